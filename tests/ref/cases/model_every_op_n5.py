# the reference of model_every_op, whose program this case repeats with a constant batch N = 5
from pathlib import Path

exec(Path(__file__).with_name("model_every_op.py").read_text())

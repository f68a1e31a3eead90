# the reference of model_momentum, whose program this case repeats with a constant batch N = 5
from pathlib import Path

exec(Path(__file__).with_name("model_momentum.py").read_text())

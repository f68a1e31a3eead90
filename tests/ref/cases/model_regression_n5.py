# the reference of model_regression, whose program this case repeats with a constant batch N = 5
from pathlib import Path

exec(Path(__file__).with_name("model_regression.py").read_text())

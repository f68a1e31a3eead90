# the reference of model_spiral, at batch 1
from pathlib import Path

exec(Path(__file__).with_name("model_spiral.py").read_text())
SET = {"N": 1}

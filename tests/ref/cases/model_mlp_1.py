# the reference of model_mlp, at batch 1
from pathlib import Path

exec(Path(__file__).with_name("model_mlp.py").read_text())
SET = {"N": 1}

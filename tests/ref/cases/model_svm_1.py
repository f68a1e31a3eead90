# the reference of model_svm, at batch 1
from pathlib import Path

exec(Path(__file__).with_name("model_svm.py").read_text())
SET = {"N": 1}

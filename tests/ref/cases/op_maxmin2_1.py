# the reference of op_maxmin2, at N = M = 1
from pathlib import Path

exec(Path(__file__).with_name("op_maxmin2.py").read_text())
SET = {"N": 1, "M": 1}

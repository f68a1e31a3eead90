# the reference of op_matmul, at odd sizes (M = 9, K = 7)
from pathlib import Path

exec(Path(__file__).with_name("op_matmul.py").read_text())
SET = {"M": 9, "K": 7}

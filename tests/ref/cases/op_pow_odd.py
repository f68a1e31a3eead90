# the reference of op_pow, at odd sizes (N = 7, M = 9)
from pathlib import Path

exec(Path(__file__).with_name("op_pow.py").read_text())
SET = {"N": 7, "M": 9}

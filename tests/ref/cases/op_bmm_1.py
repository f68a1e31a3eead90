# op_bmm at batch 1: the same reference
from op_bmm import reference  # noqa: F401

SET = {"B": 1}

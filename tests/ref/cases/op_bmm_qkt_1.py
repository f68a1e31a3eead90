# op_bmm_qkt at N = T = 1: the same reference
from op_bmm_qkt import reference  # noqa: F401

SET = {"N": 1, "T": 1}

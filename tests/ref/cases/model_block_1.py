# model_block at N = T = 1: the same reference
from model_block import reference  # noqa: F401

SET = {"N": 1, "T": 1}

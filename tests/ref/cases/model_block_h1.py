# model_block with one head of 5
from model_block import block

SET = {"N": 3, "T": 4}


def reference(t):
    return block(t, 1, 5)

# loop_rnn at N = T = 1: the same reference
from loop_rnn import reference  # noqa: F401

SET = {"N": 1, "T": 1}

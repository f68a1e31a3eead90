# slices and reshapes of int inputs read as labels and as gather ids: the
# same indexing of torch's int64 tensors; the rows of lab[:, 0] are out of
# [0, C) on purpose (that column is never read, so it is never checked)
import torch.nn.functional as F_

SET = {"N": 3, "T": 5}
LABELS = {"ids": 7, "lab": 3}


def data(t, rng):
    t["ids"][0, :] = [4, 4, 0, 6, 4]
    t["lab"][:, 0] = [-5, 100, 3]


def reference(t):
    E, F, ids, lab = t["E"], t["F"], t["ids"].long(), t["lab"].long()
    logits = E[ids[:, :-1]]
    lm = F_.cross_entropy(logits.reshape(-1, 7), ids[:, 1:].reshape(-1))
    first = F[ids[:, 1:3].reshape(-1)]
    cls = F_.cross_entropy(F[ids[:, 0]] + (first * first).sum(), lab[:, 1])
    return {"lm": lm, "cls": cls, "loss": lm + cls}

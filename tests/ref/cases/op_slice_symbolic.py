# slicing = Python basic indexing of torch tensors; N = 4, T = 6
SET = {"N": 4, "T": 6}


def reference(t):
    x, W = t["x"], t["W"]
    d = x[:, 1:] - x[:, :-1]
    pred = x[:, :-1].reshape(-1, 3) @ W
    err = pred - x[:, 1:].reshape(-1, 3)
    e = x[2:] * x[1:-1, :, 0:1]
    dd = d[:, 1:] - d[:, :-1]
    loss = (err * err).sum() + (d ** 3).sum() + e.tanh().sum() + (dd * dd).sum() + (d[:, 0] * d[:, -1]).sum() + dd.mean() \
        + d.log_softmax(1).sum()
    return {"loss": loss}

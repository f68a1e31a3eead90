"""torch_charlm.py DATA_DIR [--epochs E] [--batch B] [--lr LR] [--threads K]:
charlm.bp's model written in PyTorch (float32, eager), trained on the same
windows with the same optimizer, batch and epochs: the loss and time
comparison for examples/charlm (README). Prints the mean training loss and
the validation loss per epoch and the time per step."""
import argparse
import math
import os
import time
import numpy as np
import torch
import torch.nn.functional as F

T, V, D, H, E, FF = 32, 96, 64, 4, 16, 256


def init(shape, kind):
    if kind == "ones":
        return torch.ones(shape)
    if kind == "zeros":
        return torch.zeros(shape)
    if kind == "normal":
        return torch.randn(shape) * 0.02
    fan_in, fan_out = shape[0], shape[-1]
    if kind == "he":
        return torch.randn(shape) * math.sqrt(2.0 / fan_in)
    return torch.randn(shape) * math.sqrt(2.0 / (fan_in + fan_out))   # xavier (normal)


def params():
    p = {"tok_emb": init((V, D), "normal"), "pos_emb": init((T, D), "normal"),
         "Wout": init((D, V), "xavier"), "lnf_g": init((D,), "ones"), "lnf_b": init((D,), "zeros")}
    for b in ("1", "2"):
        for w in ("Wq", "Wk", "Wv", "Wo"):
            p[w + b] = init((D, D), "xavier")
        p["Wa" + b], p["ca" + b] = init((D, FF), "he"), init((FF,), "zeros")
        p["Wb" + b], p["cb" + b] = init((FF, D), "xavier"), init((D,), "zeros")
    for i in "1234":
        p["ln%s_g" % i], p["ln%s_b" % i] = init((D,), "ones"), init((D,), "zeros")
    return {k: v.requires_grad_() for k, v in p.items()}


def forward(p, tok):
    n = tok.shape[0]
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)

    def heads(a):
        return a.reshape(n, T, H, E).transpose(1, 2)

    def attention(a, b):
        q, k, v = heads(a @ p["Wq" + b]), heads(a @ p["Wk" + b]), heads(a @ p["Wv" + b])
        s = (q @ k.transpose(2, 3) * 0.25).masked_fill(mask, float("-inf"))
        return (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(n, T, D) @ p["Wo" + b]

    def mlp(a, b):
        return F.gelu(a @ p["Wa" + b] + p["ca" + b]) @ p["Wb" + b] + p["cb" + b]

    def ln(a, i):
        return F.layer_norm(a, (D,), p["ln%s_g" % i], p["ln%s_b" % i], 1e-5)

    x = p["tok_emb"][tok] + p["pos_emb"]
    x = x + attention(ln(x, "1"), "1")
    x = x + mlp(ln(x, "2"), "1")
    x = x + attention(ln(x, "3"), "2")
    x = x + mlp(ln(x, "4"), "2")
    return F.layer_norm(x, (D,), p["lnf_g"], p["lnf_b"], 1e-5) @ p["Wout"]


def loss_of(p, tok, nxt):
    return F.cross_entropy(forward(p, tok).reshape(-1, V), nxt.reshape(-1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    load = lambda n: torch.from_numpy(np.load(os.path.join(a.data, n)).astype(np.int64))
    tok, nxt, tokv, nxtv = load("tok.npy"), load("nxt.npy"), load("tok_val.npy"), load("nxt_val.npy")
    p = params()
    opt = torch.optim.Adam(p.values(), lr=a.lr)
    steps, spent = 0, 0.0
    for ep in range(a.epochs):
        perm = torch.randperm(len(tok))
        total, batches = 0.0, 0
        for i in range(0, len(tok) - a.batch + 1, a.batch):
            idx = perm[i:i + a.batch]
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = loss_of(p, tok[idx], nxt[idx])
            loss.backward()
            opt.step()
            spent += time.perf_counter() - t0
            steps += 1
            total, batches = total + loss.item(), batches + 1
        with torch.no_grad():
            val = loss_of(p, tokv, nxtv).item()
        print("epoch %d  train loss %.4f  val loss %.4f" % (ep + 1, total / batches, val))
    print("pytorch: %.3f ms/step over %d steps (%d thread%s)" % (1e3 * spent / steps, steps, a.threads,
                                                                "" if a.threads == 1 else "s"))


if __name__ == "__main__":
    main()

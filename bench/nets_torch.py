"""nets_torch: the steps of bench/nets.sh in PyTorch eager mode, one thread,
timed like aot_driver.c (baseline_torch.median_ms: the median over samples of
>= 2 ms of consecutive calls, after a warm-up).

usage: nets_torch.py step|conv1|conv2|tf_step|tf_fwd [--budget SEC]
  step:  conv 3x3x16 pad 1 -> relu -> maxpool 2 -> conv 3x3x32 pad 1 -> relu ->
         maxpool 2 -> flatten -> affine 10, cross_entropy, torch.optim.SGD(lr=0.01), N = 64
  conv1: F.conv2d of [64, 1, 28, 28] with [16, 1, 3, 3], padding 1 (no grad)
  conv2: F.conv2d of [64, 16, 14, 14] with [32, 16, 3, 3], padding 1 (no grad)
  tf_step, tf_fwd: bench/transformer_block.bp's sgd step and its forward (no grad),
         [16, 64, 128], 4 heads, MLP 512, statement by statement
Prints "ms <median>". Exits 3 when torch cannot be imported."""
import os
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print("nets_torch: skipped: cannot import torch (%s)" % e, file=sys.stderr)
    sys.exit(3)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baseline_torch import median_ms  # noqa: E402


def transformer(g):
    """transformer_block.bp: (step, forward) closures over its params and data."""
    n, T, D, H, E, Fw = 16, 64, 128, 4, 32, 512

    def w(*shape):
        return (torch.randn(*shape, generator=g) * (2.0 / shape[0]) ** 0.5).requires_grad_()

    def const(v, n):
        return torch.full((n,), float(v)).requires_grad_()
    p = dict(g1=const(1, D), c1=const(0, D), g2=const(1, D), c2=const(0, D), Wq=w(D, D), Wk=w(D, D),
             Wv=w(D, D), Wo=w(D, D), Wa=w(D, Fw), ba=const(0, Fw), Wb=w(Fw, D), bb=const(0, D))
    x, target = torch.randn(n, T, D, generator=g), torch.randn(n, T, D, generator=g)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    opt = torch.optim.SGD(p.values(), lr=0.01)

    def heads(a):
        return a.reshape(n, T, H, E).transpose(1, 2)

    def loss():
        a = F.layer_norm(x, (D,), p["g1"], p["c1"], 1e-5)
        q, k, v = heads(a @ p["Wq"]), heads(a @ p["Wk"]), heads(a @ p["Wv"])
        att = torch.softmax((q @ k.transpose(2, 3) * E ** -0.5).masked_fill(mask, float("-inf")), dim=-1)
        x1 = x + (att @ v).transpose(1, 2).reshape(n, T, D) @ p["Wo"]
        x2 = x1 + F.gelu(F.layer_norm(x1, (D,), p["g2"], p["c2"], 1e-5) @ p["Wa"] + p["ba"]) @ p["Wb"] + p["bb"]
        return F.mse_loss(x2, target)

    def step():
        opt.zero_grad()
        loss().backward()
        opt.step()

    def forward():
        with torch.no_grad():
            loss()
    return step, forward


def main():
    torch.set_num_threads(1)
    what = sys.argv[1]
    budget = float(sys.argv[sys.argv.index("--budget") + 1]) if "--budget" in sys.argv else 0.3
    g = torch.Generator().manual_seed(1)
    N = 64
    x = torch.rand(N, 1, 28, 28, generator=g) - 0.5
    y = torch.randint(0, 10, (N,), generator=g)
    w1 = (torch.randn(16, 1, 3, 3, generator=g) * (2 / 9) ** 0.5).requires_grad_()
    b1 = torch.zeros(16, 1, 1, requires_grad=True)
    w2 = (torch.randn(32, 16, 3, 3, generator=g) * (2 / 144) ** 0.5).requires_grad_()
    b2 = torch.zeros(32, 1, 1, requires_grad=True)
    W = (torch.randn(1568, 10, generator=g) * (2 / 1568) ** 0.5).requires_grad_()
    b = torch.zeros(10, requires_grad=True)
    opt = torch.optim.SGD([w1, b1, w2, b2, W, b], lr=0.01)

    def step():
        opt.zero_grad()
        h1 = F.max_pool2d(torch.relu(F.conv2d(x, w1, padding=1) + b1), 2)
        h2 = F.max_pool2d(torch.relu(F.conv2d(h1, w2, padding=1) + b2), 2)
        F.cross_entropy(h2.flatten(1) @ W + b, y).backward()
        opt.step()

    x2 = torch.rand(N, 16, 14, 14, generator=g)
    tf_step, tf_fwd = transformer(g)
    with torch.no_grad():
        f = {"step": step, "conv1": lambda: F.conv2d(x, w1, padding=1),
             "conv2": lambda: F.conv2d(x2, w2, padding=1), "tf_step": tf_step, "tf_fwd": tf_fwd}[what]
        if what in ("step", "tf_step"):
            torch.set_grad_enabled(True)
        print("ms %.5f" % median_ms(f, budget))


if __name__ == "__main__":
    main()

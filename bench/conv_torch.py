"""conv_torch: bench/convnet.bp's training step and its conv forwards in
PyTorch eager mode, one thread, timed like aot_driver.c (the median over
samples of >= 2 ms of consecutive calls, after a warm-up).

usage: conv_torch.py step|conv1|conv2 [--budget SEC]
  step:  conv 3x3x16 pad 1 -> relu -> maxpool 2 -> conv 3x3x32 pad 1 -> relu ->
         maxpool 2 -> flatten -> affine 10, cross_entropy, torch.optim.SGD(lr=0.01), N = 64
  conv1: F.conv2d of [64, 1, 28, 28] with [16, 1, 3, 3], padding 1 (no grad)
  conv2: F.conv2d of [64, 16, 14, 14] with [32, 16, 3, 3], padding 1 (no grad)
Prints "ms <median>". Exits 3 when torch cannot be imported."""
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print("conv_torch: skipped: cannot import torch (%s)" % e, file=sys.stderr)
    sys.exit(3)


def median_ms(f, budget):
    for _ in range(3):
        f()
    t0 = time.perf_counter()
    f()
    once = time.perf_counter() - t0
    per = int(2e-3 / max(once, 1e-8)) + 1 if once < 2e-3 else 1
    samples = min(401, max(11, int(budget / (once * per))))
    ts = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(per):
            f()
        ts.append((time.perf_counter() - t0) / per)
    ts.sort()
    return 1e3 * ts[len(ts) // 2]


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
    with torch.no_grad():
        f = {"step": step, "conv1": lambda: F.conv2d(x, w1, padding=1),
             "conv2": lambda: F.conv2d(x2, w2, padding=1)}[what]
        if what == "step":
            torch.set_grad_enabled(True)
        print("ms %.5f" % median_ms(f, budget))


main()

"""baseline_torch: the MLP training step of baseline_blas.c in PyTorch eager
mode, on --threads T threads (default 1): relu layers h @ W + b (W stored [in, out], as in the .bp
model), cross-entropy + 1e-4 * sum of W**2, torch.optim.SGD(lr=0.1).

usage: baseline_torch.py BATCH D H... C [--budget SEC] [--check K] [--threads T]
  Prints "forward_ms <median>" and "step_ms <median>", timed like
  aot_driver.c (median over samples of >= 2 ms of consecutive calls);
  --check K: the deterministic params and data of aot_driver.c, K steps,
  "losses l1 ... lK". Exits 3 with a message when torch cannot be imported.
"""
import sys
import time

try:
    import torch
except ImportError as e:
    print("baseline_torch: skipped: cannot import torch (%s)" % e, file=sys.stderr)
    sys.exit(3)


def bench_fill(which, n, scale):
    """aot_driver.c's bench_fill, exactly (every value is a float32)."""
    k = torch.arange(n, dtype=torch.int64)
    h = ((k * 2654435761 + which * 40503 + 12345) & 0xFFFFFFFF) >> 8
    return (h.to(torch.float64) / 16777216.0 - 0.5).mul(scale).to(torch.float32)


def bench_hash(which, n):
    k = torch.arange(n, dtype=torch.int64)
    return ((k * 2654435761 + which * 40503 + 12345) & 0xFFFFFFFF) >> 8


def median_ms(f, budget):
    for _ in range(3):
        f()
    t0 = time.perf_counter()
    f()
    once = time.perf_counter() - t0
    per = int(2e-3 / max(once, 1e-8)) + 1 if once < 2e-3 else 1
    samples = min(401, max(11, int(budget / (once * per))))
    t = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(per):
            f()
        t.append((time.perf_counter() - t0) / per)
    t.sort()
    return 1e3 * t[samples // 2]


def main():
    args, budget, check, threads = [], 0.3, 0, 1
    it = iter(sys.argv[1:])
    for a in it:
        if a == "--budget":
            budget = float(next(it))
        elif a == "--check":
            check = int(next(it))
        elif a == "--threads":
            threads = int(next(it))
        else:
            args.append(int(a))
    if len(args) < 4:
        print("usage: baseline_torch.py BATCH D H... C [--budget SEC] [--check K] [--threads T]", file=sys.stderr)
        sys.exit(2)
    torch.set_num_threads(threads)
    batch, dims = args[0], args[1:]
    torch.manual_seed(1)
    Ws, bs = [], []
    for l, (m, n) in enumerate(zip(dims, dims[1:])):
        if check:
            W = bench_fill(2 * l, m * n, 0.125).reshape(m, n)
            b = bench_fill(2 * l + 1, n, 0.125)
        else:
            W = torch.randn(m, n) * (2.0 / m) ** 0.5
            b = torch.zeros(n)
        Ws.append(W.requires_grad_())
        bs.append(b.requires_grad_())
    if check:
        x = bench_fill(100, batch * dims[0], 1.0).reshape(batch, dims[0])
        y = bench_hash(101, batch) % dims[-1]
    else:
        x = torch.rand(batch, dims[0]) - 0.5
        y = torch.randint(0, dims[-1], (batch,))
    opt = torch.optim.SGD(Ws + bs, lr=0.1)

    def forward():
        h = x
        for i, (W, b) in enumerate(zip(Ws, bs)):
            h = h @ W + b
            if i + 1 < len(Ws):
                h = torch.relu(h)
        return torch.nn.functional.cross_entropy(h, y) + 1e-4 * sum((W * W).sum() for W in Ws)

    def step():
        loss = forward()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    if check:
        print("losses " + " ".join("%.7g" % step().item() for _ in range(check)))
        return
    print("forward_ms %.5f" % median_ms(forward, budget))
    print("step_ms %.5f" % median_ms(step, budget))


if __name__ == "__main__":
    main()

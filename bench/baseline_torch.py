"""baseline_torch: the same MLP step in PyTorch eager, one thread.
usage: baseline_torch.py BATCH REPS D H... C   -> "median_ms <value>" """
import statistics, sys, time
try:
    import torch
except ImportError:
    print("skipped: no torch"); sys.exit(3)
torch.set_num_threads(1)
batch, reps, dims = int(sys.argv[1]), int(sys.argv[2]), [int(a) for a in sys.argv[3:]]
torch.manual_seed(1)
layers = [torch.nn.Linear(a, b) for a, b in zip(dims, dims[1:])]
params = [p for l in layers for p in l.parameters()]
opt = torch.optim.SGD(params, lr=0.1)
x, y = torch.randn(batch, dims[0]), torch.randint(0, dims[-1], (batch,))
def step():
    h = x
    for i, l in enumerate(layers):
        h = l(h)
        if i + 1 < len(layers):
            h = torch.relu(h)
    loss = torch.nn.functional.cross_entropy(h, y) + 1e-4 * sum((l.weight * l.weight).sum() for l in layers)
    opt.zero_grad()
    loss.backward()
    opt.step()
for _ in range(5):
    step()
times = []
for _ in range(reps):
    t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
print("median_ms %.5f" % (1e3 * statistics.median(times)))

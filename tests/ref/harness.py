"""Reference harness: bpc's results on every path against PyTorch in float64.

Run with /usr/bin/python3 (the Python that has torch):

    /usr/bin/python3 tests/ref/harness.py [--bpc build/bpc] [--paths quick|all|P,P..]
                                          [--half] [-j 2] [--keep DIR] [CASE ...]

CASE FORMAT. A case is tests/ref/cases/NAME.bp plus tests/ref/cases/NAME.py, which
defines

    def reference(t):         # t: dict name -> torch tensor, for every input, param
        ...                   #    and upstream gradient NAME_grad_in of the model:
        return {...}          #    float64 (requires_grad) for floats, int64 for labels.
                              # Returns dict name -> tensor: every `output` and the
                              # grad target. Written from the ops' mathematical
                              # definitions, never from bpc's output or code.

and optionally
    SET = {"N": 3}            # symbolic dims (default: 3 each)
    OPTIMIZER = ("adam", {"lr": 0.1, "beta1": "b1"})   # default: parsed from the
                              # .bp's `optimize` line; a string value names a rank-0 input
    LABELS = {"y": 4}         # int label ranges (default: from bpc --emit=ir: the
                              # last extent of the scores cross_entropy/svm take)
    def data(t, rng): ...     # adjust the generated numpy data in place (ties, ranges)
    TOL = {"f32": 1e-4, "f64": 1e-9}   # relative tolerances (see `close`)
    REJECT_OK = True          # bpc may instead refuse the program with a diagnostic
                              # (exit 1, "error: ... rename ..."): for names the
                              # SPEC allows either to compile correctly or to reject

The harness computes every gradient itself, with autograd from the reference's
grad target (a vector-Jacobian product with T_grad_in for a non-scalar target),
and the optimizer step from the textbook formulas (sgd; momentum as PyTorch's
SGD(momentum=mu, dampening=0): m = mu m + g, p -= lr m; adam as PyTorch's Adam:
m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2, t = step + 1,
p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)), starting from random nonzero
optimizer state and step count 2.

DATA. Seeded; floats uniform in [-1, 1] (rank-0 inputs, hyperparameters, in
[0.05, 0.5]; adam's v in [0, 0.01]) and rounded to float32 so every dtype sees the
same numbers; labels uniform in range. A case keeps log/sqrt arguments positive
itself (e.g. log(x*x + 1)); exact ties appear only where a case's data() makes them.

PATHS. A path is a name like aot-gcc-f64-runtime-O0: aot (bpc -o, then
tests/ref/driver.c, checking _forward+_backward = _grad and _step) with a C
compiler gcc|tcc|clang, or jit (`bpc run --in ... --out`) with tcc|cc|tiered;
then optional f64 (default f32), portable|runtime|blas (--gemm; default none),
O0, avx2 (the portable GEMM's AVX2 tile), threads (bpc --split-all, so every split
the host's threads could take is made even at these small sizes, and driver.c
runs each call on a pool of THREADS threads: the threaded code against the same
reference; gcc only). AOT sources are compiled with -std=c99 -Wall -Wextra -pedantic -Werror
(gcc, clang) or -Wall -Werror (tcc): a warning fails the path.

KNOWN FAILURES. KNOWN_FAILURES below lists cases that fail on purpose until a fix
lands elsewhere (name -> reason); such a failure is reported as XFAIL and does not
fail the run, and a pass is reported as XPASS (remove the entry then). The random
generator has the matching list KNOWN_BUGS (tests/random/gen.py), which it steers
around; remove an entry from both when its fix is merged.

Output: one line per failing check, then "N passed, N failed". Exit 1 on failure.
"""
import argparse
import atexit
import concurrent.futures
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import zlib

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Cases expected to fail until the named fix is merged (name -> reason).
KNOWN_FAILURES = {
}

QUICK_PATHS = ["aot-gcc", "aot-tcc-f64", "aot-clang-f64-O0", "aot-gcc-runtime", "aot-gcc-blas", "jit-tcc", "jit-cc-f64",
               "jit-tiered-O0", "aot-gcc-avx2"]
ALL_PATHS = [
    "aot-gcc", "aot-gcc-f64", "aot-tcc", "aot-tcc-f64", "aot-clang", "aot-clang-f64",
    "aot-gcc-O0", "aot-gcc-f64-O0", "aot-tcc-O0",
    "aot-gcc-runtime", "aot-gcc-f64-runtime", "aot-tcc-runtime", "aot-tcc-f64-runtime", "aot-clang-runtime",
    "aot-gcc-blas", "aot-gcc-f64-blas", "aot-gcc-avx2", "aot-gcc-f64-avx2",
    "jit-tcc", "jit-tcc-f64", "jit-cc", "jit-cc-f64", "jit-tiered", "jit-tiered-f64",
    "jit-tcc-O0", "jit-tcc-f64-O0", "aot-gcc-threads", "aot-gcc-f64-runtime-threads",
]
# --half: each case on one half of the paths, the half chosen by the case's name
# (crc32), so that every path still runs on about half of the cases and every
# case still runs on f32 and f64, AOT and JIT, with and without -O0, against
# the same reference. (The CI's release suite: the whole matrix took 23 of its
# 40 minutes; `--paths all` without --half runs every case on every path.)
HALVES = {
    "quick": (["aot-gcc", "aot-clang-f64-O0", "aot-gcc-blas", "jit-cc-f64"],
              ["aot-tcc-f64", "aot-gcc-runtime", "jit-tcc", "jit-tiered-O0", "aot-gcc-avx2"]),
    "all": (["aot-gcc", "aot-tcc-f64", "aot-clang", "aot-gcc-f64-O0", "aot-tcc-O0", "aot-gcc-runtime",
             "aot-tcc-f64-runtime", "aot-gcc-f64-blas", "jit-tcc", "jit-cc-f64", "jit-tiered", "jit-tcc-f64-O0",
             "aot-gcc-f64-avx2", "aot-gcc-threads"],
            ["aot-gcc-f64", "aot-tcc", "aot-clang-f64", "aot-gcc-O0", "aot-gcc-f64-runtime", "aot-tcc-runtime",
             "aot-clang-runtime", "aot-gcc-blas", "jit-tcc-f64", "jit-cc", "jit-tiered-f64", "jit-tcc-O0", "aot-gcc-avx2",
             "aot-gcc-f64-runtime-threads"]),
}
assert sorted(HALVES["quick"][0] + HALVES["quick"][1]) == sorted(QUICK_PATHS)
assert sorted(HALVES["all"][0] + HALVES["all"][1]) == sorted(ALL_PATHS)


def half_of(name, which):
    """The half of path list `which` (quick|all) that case `name` runs on."""
    return HALVES[which][zlib.crc32(name.encode()) % 2]


DEFAULT_TOL = {"f32": 1e-4, "f64": 1e-9}
WARN_FLAGS = {"gcc": ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O2"],
              "clang": ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O2"],
              "tcc": ["-Wall", "-Werror"]}


# ---------------------------------------------------------------- cases

class Case:
    """A program and its reference. src: .bp text; reference(t) -> dict."""

    def __init__(self, name, src, reference, SET=None, OPTIMIZER=None, LABELS=None, data=None, TOL=None,
                 REJECT_OK=False):
        self.name, self.src, self.reference, self.reject_ok = name, src, reference, REJECT_OK
        self.SET = dict(SET or {})
        self.OPTIMIZER, self.LABELS, self.data = OPTIMIZER, dict(LABELS or {}), data
        self.TOL = dict(DEFAULT_TOL, **(TOL or {}))


def load_case(bp_path):
    """Case from tests/ref/cases/NAME.bp + NAME.py (which may import the shared
    references next to this harness, e.g. unary.py, or a sibling case's)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (here, os.path.dirname(os.path.abspath(bp_path))):   # shared references; sibling cases
        if d not in sys.path:
            sys.path.insert(0, d)
    name = os.path.splitext(os.path.basename(bp_path))[0]
    spec = importlib.util.spec_from_file_location("case_" + name, bp_path[:-3] + ".py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with open(bp_path, encoding="utf-8") as f:
        src = f.read()
    return Case(name, src, mod.reference, getattr(mod, "SET", None), getattr(mod, "OPTIMIZER", None),
                getattr(mod, "LABELS", None), getattr(mod, "data", None), getattr(mod, "TOL", None),
                getattr(mod, "REJECT_OK", False))


# ---------------------------------------------------------------- the model, as bpc sees it

TABLE_RE = re.compile(r'\{ "(\w+)", BP_(\w+), BP_(\w+), (\d), \{ (-?\d+), (-?\d+), (-?\d+), (-?\d+) \}, '
                      r'offsetof\(\w+, \w+\), (NULL|"\w+") \}')


class Tensor:
    def __init__(self, m):
        self.name, self.role, self.dtype = m.group(1), m.group(2), m.group(3)
        rank = int(m.group(4))
        self.dims = [int(m.group(5 + k)) for k in range(rank)]
        self.of = None if m.group(9) == "NULL" else m.group(9).strip('"')


class Model:
    """Reflection table (from the generated C), label ranges (from the IR), grad
    target and optimizer (from the source)."""

    def __init__(self, case, bpc, work):
        path = os.path.join(work, "model.bp")
        with open(path, "w", encoding="utf-8") as f:
            f.write(case.src)
        self.bp = path
        run([bpc, path, "-o", os.path.join(work, "refl.c"), "--name", "m"], "bpc -o")
        with open(os.path.join(work, "refl.c"), encoding="utf-8") as f:
            self.tensors = [Tensor(m) for m in TABLE_RE.finditer(f.read())]
        if not self.tensors:
            raise HarnessError("no reflection table found in the generated C")
        self.symdims = [t.name for t in self.tensors if t.role == "DIM"]
        self.dims = {d: int(case.SET.get(d, 3)) for d in self.symdims}
        self.by_name = {t.name: t for t in self.tensors}
        self.labels = dict(case.LABELS)
        ir = run([bpc, path, "--emit=ir"], "bpc --emit=ir")
        self._label_ranges(ir)
        self.target = self._target(case.src)
        self.optimizer = case.OPTIMIZER or self._optimizer(case.src)

    def shape(self, t):
        return tuple(d if d > 0 else self.dims[self.symdims[-d - 1]] for d in t.dims)

    def _label_ranges(self, ir):
        shapes, inputs = {}, {}
        for line in ir.splitlines():
            m = re.match(r"%(\d+)\s*=\s*(\S+)\s*(.*?)\s*:\s*\w*\[([^\]]*)\]", line)
            if not m:
                continue
            shapes[m.group(1)] = [s.strip() for s in m.group(4).split(",") if s.strip()]
            if m.group(2) == "input":
                inputs[m.group(1)] = m.group(3).split()[0]
            if m.group(2) in ("cross_entropy", "svm"):
                a, b = re.findall(r"%(\d+)", m.group(3))[:2]
                last = shapes[a][-1]
                rng = int(last) if last.isdigit() else self.dims[last]
                if inputs.get(b) and inputs[b] not in self.labels:
                    self.labels[inputs[b]] = rng

    @staticmethod
    def _target(src):
        for kw in ("optimize", "grad"):
            m = re.search(r"(?:^|;)[ \t]*" + kw + r"\s+(\w+)", src, re.M)
            if m:
                return m.group(1)
        return None

    @staticmethod
    def _optimizer(src):
        m = re.search(r"(?:^|;)[ \t]*optimize\s+\w+\s+with\s+(\w+)[ \t]*(?:\(([^)]*)\))?", src, re.M)
        if not m:
            return None
        hyper = {}
        for kv in (m.group(2) or "").split(","):
            if "=" in kv:
                k, v = (s.strip() for s in kv.split("=", 1))
                try:
                    hyper[k] = float(v)
                except ValueError:
                    hyper[k] = v
        return (m.group(1), hyper)


class HarnessError(Exception):
    pass


def run(cmd, what, cwd=None, timeout=120):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise HarnessError("%s: timed out" % what)
    if p.returncode != 0:
        raise HarnessError("%s failed (exit %d): %s" % (what, p.returncode, (p.stderr + p.stdout).strip()[:2000]))
    return p.stdout


# ---------------------------------------------------------------- data and the reference

def make_data(case, model, seed):
    """numpy arrays for every input, param, upstream gradient and optimizer state."""
    rng = np.random.RandomState(seed)
    d = {}
    for t in model.tensors:
        shape = model.shape(t)
        if t.role == "INPUT" and t.dtype == "I32":
            d[t.name] = rng.randint(0, max(model.labels.get(t.name, 1), 1), size=shape).astype(np.int64)
        elif t.role == "INPUT" and not shape:
            d[t.name] = rng.uniform(0.05, 0.5, size=shape)
        elif t.role in ("INPUT", "PARAM", "GRAD_IN"):
            d[t.name] = rng.uniform(-1, 1, size=shape)
        elif t.role == "STATE" and t.dtype == "I64":
            d[t.name] = np.array(2, dtype=np.int64)
        elif t.role == "STATE" and t.name.endswith("_running_var"):   # batchnorm's running averages
            d[t.name] = rng.uniform(0.5, 1.5, size=shape)
        elif t.role == "STATE" and t.name.endswith("_running_mean"):
            d[t.name] = rng.uniform(-0.5, 0.5, size=shape)
        elif t.role == "STATE" and t.name.endswith("_v"):
            d[t.name] = rng.uniform(0, 0.01, size=shape)
        elif t.role == "STATE":
            d[t.name] = rng.uniform(-0.1, 0.1, size=shape)
    if case.data:
        case.data(d, rng)
    for k, v in d.items():
        if v.dtype.kind == "f":
            d[k] = np.asarray(v, dtype=np.float32).astype(np.float64)
    return d


def is_running(tt):
    """batchnorm's running averages NAME_running_mean/_var: state the reference
    receives (float64, no grad) and returns updated by one training-mode forward."""
    return tt.role == "STATE" and (tt.name.endswith("_running_mean") or tt.name.endswith("_running_var"))


def reference(case, model, data, dtype=torch.float64):
    """dict name -> numpy float64: outputs, target, grads, the running averages after
    one training-mode forward, 'predict/NAME' outputs in inference mode (when the
    reference returns them), and (with optimize) 'step/NAME' results. dtype: the
    precision PyTorch computes in (float32: how far rounding alone moves the result)."""
    t = {}
    for k, v in data.items():
        tt = model.by_name[k]
        if is_running(tt):
            t[k] = torch.tensor(v, dtype=dtype)
            continue
        if tt.role == "STATE":
            continue
        t[k] = torch.tensor(v, dtype=torch.int64) if v.dtype.kind == "i" else \
            torch.tensor(v, dtype=dtype, requires_grad=True)
    res = case.reference(dict(t))
    out = {}
    for tt in model.tensors:
        if tt.role in ("OUTPUT", "TARGET"):
            if tt.name not in res:
                raise HarnessError("the reference returns no '%s'" % tt.name)
            out[tt.name] = res[tt.name].detach().double().numpy().reshape(model.shape(tt))
        if is_running(tt):
            if tt.name not in res:
                raise HarnessError("the reference returns no updated '%s'" % tt.name)
            out[tt.name] = res[tt.name].detach().double().numpy().reshape(model.shape(tt))
        if tt.role == "OUTPUT" and "predict/" + tt.name in res:
            out["predict/" + tt.name] = res["predict/" + tt.name].detach().double().numpy().reshape(model.shape(tt))
    grads = [tt for tt in model.tensors if tt.role == "GRAD"]
    if grads:
        T = res[model.target]
        gin = t.get(model.target + "_grad_in")
        wrt = [t[g.of] for g in grads]
        gs = torch.autograd.grad(T, wrt, grad_outputs=gin if T.dim() else None, allow_unused=True)
        for g, v, w in zip(grads, gs, wrt):
            out[g.name] = (v if v is not None else torch.zeros_like(w)).detach().double().numpy()
    if model.optimizer:
        reference_step(model, data, t, out)
    return out


def hyper(model, t, name, default):
    v = model.optimizer[1].get(name, default)
    return float(t[v].detach()) if isinstance(v, str) else float(v)


def reference_step(model, data, t, out):
    """The optimizer update from the textbook formulas, into out['step/NAME']."""
    kind = model.optimizer[0]
    lr = hyper(model, t, "lr", 0.01)
    for p in (tt for tt in model.tensors if tt.role == "PARAM"):
        g = out.get(p.name + "_grad", np.zeros_like(data[p.name]))
        w = data[p.name]
        if kind == "sgd":
            w = w - lr * g
        elif kind == "momentum":
            m = hyper(model, t, "mu", 0.9) * data[p.name + "_m"] + g
            w = w - lr * m
            out["step/" + p.name + "_m"] = m
        elif kind == "adam":
            b1, b2 = hyper(model, t, "beta1", 0.9), hyper(model, t, "beta2", 0.999)
            eps, step = hyper(model, t, "eps", 1e-8), int(data["step"]) + 1
            m = b1 * data[p.name + "_m"] + (1 - b1) * g
            v = b2 * data[p.name + "_v"] + (1 - b2) * g * g
            w = w - lr * (m / (1 - b1 ** step)) / (np.sqrt(v / (1 - b2 ** step)) + eps)
            out["step/" + p.name + "_m"], out["step/" + p.name + "_v"] = m, v
            out["step/step"] = np.array(step)
        else:
            raise HarnessError("unknown optimizer '%s'" % kind)
        out["step/" + p.name] = w
    for k in [k for k in out if "/" not in k]:
        out["step/" + k] = out[k]


# ---------------------------------------------------------------- paths

def parse_path(name):
    parts = name.split("-")
    if len(parts) < 2 or parts[0] not in ("aot", "jit"):
        raise HarnessError("bad path name '%s'" % name)
    p = {"name": name, "kind": parts[0], "cc": parts[1], "dtype": "f32", "gemm": None, "O0": False, "isa": [],
         "threads": False}
    for x in parts[2:]:
        if x in ("f32", "f64"):
            p["dtype"] = x
        elif x in ("portable", "runtime", "blas"):
            p["gemm"] = x
        elif x == "O0":
            p["O0"] = True
        elif x == "avx2":   # the portable GEMM's AVX tile (bp_kernels.inc's BPK_GEMM_V256), whatever the CPU's best
            p["isa"] = ["-mavx2", "-mfma"]
        elif x == "threads":   # bpc --split-all, run on a pool of THREADS threads (driver.c's BP_THREADS)
            p["threads"] = True
        else:
            raise HarnessError("bad path name '%s'" % name)
    ok = p["cc"] in (("gcc", "tcc", "clang") if p["kind"] == "aot" else ("tcc", "cc", "tiered"))
    if not ok or (p["kind"] == "jit" and (p["gemm"] or p["isa"] or p["threads"])) or \
            ((p["isa"] or p["threads"]) and p["cc"] == "tcc"):
        raise HarnessError("bad path name '%s'" % name)
    return p


def bpc_flags(p):
    f = []
    if p["dtype"] == "f64":
        f += ["--dtype", "f64"]
    if p["gemm"]:
        f += ["--gemm", p["gemm"]]
    if p["O0"]:
        f += ["-O0"]
    if p["threads"]:
        f += ["--split-all"]
    return f


class Env:
    """Where things are: bpc, the runtime library, cached driver objects."""

    def __init__(self, bpc, work):
        self.bpc = os.path.abspath(bpc)
        self.build = os.path.dirname(self.bpc)
        self.libbprt = os.path.join(self.build, "runtime", "libbprt.a")
        self.work = work
        self.objdir = tempfile.mkdtemp(prefix="refdrv_", dir=work)
        self.drivers, self.lock = {}, threading.Lock()
        self.libtcc1 = lambda: os.path.join(re.search(r"install: (\S+)", run(["tcc", "-print-search-dirs"], "tcc")).group(1),
                                            "libtcc1.a")
        self.sanitize_flags = lambda: sanitize_flags(self)
        self.driver = lambda cc, has_step, d, threads=False: driver_object(self, cc, has_step, d, threads)
        self.has = {c: shutil.which(c) is not None for c in ("gcc", "tcc", "clang")}
        flags = open("/proc/cpuinfo").read().split("\nflags")[1].split("\n")[0].split() if os.path.exists("/proc/cpuinfo") else []
        self.has_avx2 = "avx2" in flags and "fma" in flags   # else the avx2 paths are skipped


THREADS = 3   # the pool of the "-threads" paths: an odd split, and more tasks than this machine's 2 cores


def driver_object(env, cc, has_step, d, threads=False):
    """driver.c compiled once per compiler (and with/without step, threads): it reaches
    the io struct through the reflection table only, so any model's m.h will do."""
    key = (cc, has_step, threads)
    with env.lock:
        if key not in env.drivers:
            obj = os.path.join(env.objdir, "driver_%s%s%s.o" % (cc, "_step" if has_step else "",
                                                               "_threads" if threads else ""))
            run([cc, "-O2" if cc != "tcc" else "-O0", "-DMODEL_H=\"m.h\"", "-DP=m", "-I" + d, "-c",
                 os.path.join(HERE, "driver.c"), "-o", obj] + (["-DHAS_STEP"] if has_step else []) +
                (["-DBP_THREADS=%d" % THREADS] + ["-I" + os.path.join(REPO, x) for x in ("runtime", "include")]
                 if threads else []),
                "%s driver.c" % cc)
            env.drivers[key] = obj
        return env.drivers[key]


def sanitize_flags(env):
    """-fsanitize=address,undefined when libbprt.a was built with them (BPC_SANITIZE)."""
    if not hasattr(env, "_san"):
        p = subprocess.run(["nm", env.libbprt], capture_output=True, text=True)
        env._san = ["-fsanitize=address,undefined"] if "__asan_" in p.stdout or "__ubsan_" in p.stdout else []
    return env._san


def save_inputs(model, data, d):
    os.makedirs(d, exist_ok=True)
    for k, v in data.items():
        np.save(os.path.join(d, k + ".npy"), v)


def run_aot(env, model, data, p, d):
    """Returns dict 'grad/NAME', 'fb/NAME', 'step/NAME' -> numpy, and fb_vs_grad."""
    cc = p["cc"]
    run([env.bpc, model.bp, "-o", os.path.join(d, "m.c"), "--name", "m"] + bpc_flags(p), "bpc -o")
    run([cc] + WARN_FLAGS[cc] + p["isa"] + ["-c", "m.c", "-o", "m.o"], "%s on the generated C" % cc, cwd=d)
    drv = env.driver(cc, bool(model.optimizer), d, p["threads"])
    libs = []
    linker = cc
    if p["threads"]:   # the driver's pool (libbprt), and where the model's io keeps bp_par
        with open(os.path.join(d, "par.c"), "w") as f:
            f.write('#include <stddef.h>\n#include "m.h"\nconst size_t bp_par_offset = offsetof(m_io, bp_par);\n')
        run([cc, "-c", "par.c", "-o", "par.o"], "%s par.c" % cc, cwd=d)
        libs = ["par.o", env.libbprt, "-lpthread"] + env.sanitize_flags()
    if p["gemm"] == "runtime":   # tcc cannot link gcc's libbprt.a (GOT relocations): gcc links then,
        libs += [env.libbprt, "-lpthread"]     # with tcc's own helpers (libtcc1.a)
        linker = "gcc" if cc == "tcc" else cc
        libs += [env.libtcc1()] if cc == "tcc" else []
        libs += env.sanitize_flags()   # an ASan+UBSan build's libbprt needs their runtimes
    elif p["gemm"] == "blas":
        libs = ["-lopenblas"]
    run([linker, drv, "m.o", "-o", "driver"] + libs + ["-lm"], "link (%s)" % linker, cwd=d)
    save_inputs(model, data, os.path.join(d, "in"))
    out = run([os.path.join(d, "driver"), "in", "out"] + ["%s=%d" % kv for kv in model.dims.items()], "driver", cwd=d)
    res = {}
    for sub in ("grad", "fb", "step", "predict"):
        sd = os.path.join(d, "out", sub)
        if os.path.isdir(sd):
            for f in os.listdir(sd):
                res[sub + "/" + f[:-4]] = np.load(os.path.join(sd, f))
    m = re.search(r"fb_vs_grad (\S+)", out)
    res["fb_vs_grad"] = float(m.group(1)) if m else float("inf")
    return res


def run_jit(env, model, data, p, d):
    save_inputs(model, data, os.path.join(d, "in"))
    cmd = [env.bpc, "run", model.bp, "--out", os.path.join(d, "out"), "--jit", p["cc"]] + bpc_flags(p)
    for k, v in model.dims.items():
        cmd += ["--set", "%s=%d" % (k, v)]
    for k in data:
        if model.by_name[k].role != "STATE":
            cmd += ["--in", "%s=%s" % (k, os.path.join(d, "in", k + ".npy"))]
    run(cmd, "bpc run")
    res = {}
    od = os.path.join(d, "out")
    for f in os.listdir(od):
        if model.by_name.get(f[:-4]) and model.by_name[f[:-4]].role in ("OUTPUT", "TARGET", "GRAD"):
            res["grad/" + f[:-4]] = np.load(os.path.join(od, f))
    return res


# ---------------------------------------------------------------- comparison

def close(got, want, rtol, floor=0.0):
    """Non-finite elements equal exactly (-inf of a mask), then, over the finite ones,
    max of |got - want| / (|want| + max(max|want|, floor)), against
    rtol: relative to the element, floored by the tensor's scale (a tiny element of
    a large tensor carries the rounding of the large ones) and by `floor` (a tensor
    that is exactly zero in theory, e.g. the gradient of a shift log_softmax ignores,
    carries the rounding of the values it came from). Returns (ok, err)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False, "shape %s, expected %s" % (got.shape, want.shape)
    fin = np.isfinite(want)   # -inf where a mask (causal) puts it: equal exactly, the rest compared
    if not np.array_equal(np.isfinite(got), fin) or not np.array_equal(got[~fin], want[~fin], equal_nan=True):
        return False, "non-finite values"
    got, want = got[fin], want[fin]
    if got.size == 0:
        return True, 0.0
    scale = max(np.max(np.abs(want)), floor)
    err = float(np.max(np.abs(got - want) / (np.abs(want) + scale + 1e-30)))
    return err <= rtol, err


def compare(model, ref, res, p, tol):
    """List of failure strings for one path."""
    fails = []
    rtol = tol[p["dtype"]]
    floor = 1e-2 * max([1.0] + [float(np.max(np.abs(v), initial=0)) for v in ref.values()])
    subs = ["grad"] + (["fb", "step", "predict"] if p["kind"] == "aot" else [])
    if p["kind"] == "aot" and not model.optimizer:
        subs.remove("step")
    for sub in subs:
        for k, want in ref.items():
            if "/" in k and sub not in ("step", "predict"):
                continue
            if sub in ("step", "predict") and not k.startswith(sub + "/"):
                continue
            name = k[len(sub) + 1:] if sub in ("step", "predict") else k
            if p["kind"] == "jit" and model.by_name.get(name) and is_running(model.by_name[name]):
                continue   # bpc run reports outputs and gradients only
            got = res.get(sub + "/" + name)
            if got is None:
                fails.append("%s: %s missing" % (sub, name))
                continue
            ok, err = close(got, want, rtol, floor)
            if not ok:
                fails.append("%s: %s: err %s > %g\n      got      %s\n      expected %s" % (
                    sub, name, err if isinstance(err, str) else "%.3g" % err, rtol, brief(got), brief(want)))
    if p["kind"] == "aot" and not res.get("fb_vs_grad", 0) <= rtol:
        fails.append("forward+backward differs from grad by %.3g" % res["fb_vs_grad"])
    return fails


def brief(a):
    a = np.asarray(a, dtype=np.float64).ravel()
    s = np.array2string(a[:6], precision=6, separator=", ")
    return s[:-1] + (", ...]" if a.size > 6 else "]")


# ---------------------------------------------------------------- driving

def check_case(env, case, paths, seed=1, keep=None):
    """Run one case on the given paths. Returns list of (path, failure text)."""
    work = tempfile.mkdtemp(prefix="ref_%s_" % case.name, dir=keep)
    try:
        model = Model(case, env.bpc, work)
        data = make_data(case, model, seed)
        ref = reference(case, model, data)
    except HarnessError as e:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
        if case.reject_ok and rejected(str(e)):
            return []
        return [("setup", str(e))]
    fails = []
    for pname in paths:
        p = parse_path(pname)
        if (p["kind"] == "aot" and not env.has[p["cc"]]) or (p["isa"] and not env.has_avx2):
            continue
        d = os.path.join(work, pname)
        os.makedirs(d, exist_ok=True)
        try:
            res = (run_aot if p["kind"] == "aot" else run_jit)(env, model, data, p, d)
            fails += [(pname, f) for f in compare(model, ref, res, p, case.TOL)]
        except HarnessError as e:
            fails.append((pname, str(e)))
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return fails


def rejected(msg):
    """bpc refused the program with a diagnostic asking for another name."""
    return msg.startswith("bpc -o failed (exit 1)") and "error:" in msg and "rename" in msg


def case_files(names):
    cdir = os.path.join(HERE, "cases")
    if names:
        return [n if n.endswith(".bp") else os.path.join(cdir, n + ".bp") for n in names]
    return sorted(os.path.join(cdir, f) for f in os.listdir(cdir) if f.endswith(".bp"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bpc", default=os.path.join(ROOT, "build", "bpc"))
    ap.add_argument("--paths", default="all", help="quick, all, or a comma list of path names")
    ap.add_argument("-j", type=int, default=1, help="cases run in parallel")
    ap.add_argument("--keep", help="keep the work folders under this folder")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--half", action="store_true",
                    help="each case on one half of --paths quick|all, chosen by its name (HALVES)")
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    paths = {"quick": QUICK_PATHS, "all": ALL_PATHS}.get(a.paths) or a.paths.split(",")
    for pn in paths:
        parse_path(pn)
    if a.half and a.paths not in HALVES:
        ap.error("--half needs --paths quick or all")
    paths_of = (lambda c: half_of(c.name, a.paths)) if a.half else (lambda c: paths)
    env = Env(a.bpc, a.keep)
    atexit.register(shutil.rmtree, env.objdir, True)
    cases = [load_case(f) for f in case_files(a.cases)]
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(a.j, 1)) as ex:
        results = ex.map(lambda c: (c, check_case(env, c, paths_of(c), a.seed, a.keep)), cases)
        for case, fails in results:
            known = KNOWN_FAILURES.get(case.name)
            if fails and known:
                print("XFAIL %s (%s): %d checks fail" % (case.name, known, len(fails)))
                passed += 1
            elif fails:
                failed += 1
                for pn, f in fails:
                    print("FAIL %s [%s]: %s" % (case.name, pn, f))
            else:
                passed += 1
                if known:
                    print("XPASS %s: passes now; remove it from KNOWN_FAILURES" % case.name)
            sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

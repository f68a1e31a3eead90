"""Several optimizer steps in one process against the textbook update, from PyTorch float64.

    /usr/bin/python3 tests/ref/steps.py [--bpc build/bpc] [--steps 4] [--paths P,P..] [CASE ...]

harness.py checks one `_step` call from random optimizer state. This checks what
only repeated calls show: K calls of `P_step` on one io struct and one workspace
(as a training loop makes them), the params, optimizer state and adam's step count
carried from call to call by the generated code alone, against K reference
updates (harness.reference, each from the previous one's results). It takes every
case with `optimize` (default: every tests/ref/cases/*.bp that has one), starting
from the harness's data with zeroed optimizer state and step 0, as a fresh
training run does. Paths: f32 and f64, each also -O0; the generated C is built
with cc into a shared object and driven through its reflection table (ctypes).
Output: one line per failing check, then "N passed, N failed". Exit 1 on failure.
"""
import argparse
import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PATHS = [("f32", []), ("f64", ["--dtype", "f64"]), ("f32-O0", ["-O0"]), ("f64-O0", ["--dtype", "f64", "-O0"])]
ROLES = {"DIM": 0, "INPUT": 1, "PARAM": 2, "OUTPUT": 3, "TARGET": 4, "GRAD": 5, "GRAD_IN": 6, "STATE": 7}
NPDT = {0: np.float32, 1: np.float64, 2: np.int32, 3: np.int64}


class Info(ctypes.Structure):
    """bp_tensor_info (SPEC §3)."""
    _fields_ = [("name", ctypes.c_char_p), ("role", ctypes.c_int), ("dtype", ctypes.c_int), ("rank", ctypes.c_int),
                ("dims", ctypes.c_int64 * 4), ("offset", ctypes.c_size_t), ("of", ctypes.c_char_p)]


def bpc_steps(bpc, bp, dims, data, flags, k, work):
    """Build the model, set its io from data, call m_step k times. Returns name -> numpy of
    every param, state tensor and the step count afterwards."""
    harness.run([bpc, bp, "-o", os.path.join(work, "m.c"), "--name", "m"] + flags, "bpc -o")
    so = os.path.join(work, "m.so")
    harness.run(["cc", "-O1", "-shared", "-fPIC", "-o", so, os.path.join(work, "m.c"), "-lm"], "cc -shared")
    lib = ctypes.CDLL(so)
    n = ctypes.c_int.in_dll(lib, "m_num_tensors").value
    tab = (Info * n).in_dll(lib, "m_tensors")
    io = ctypes.create_string_buffer(max(t.offset for t in tab) + 16)
    symdims = [t.name.decode() for t in tab if t.role == ROLES["DIM"]]
    bufs = {}
    for t in tab:
        name = t.name.decode()
        if t.dtype == 3:   # int64: a dim or adam's step count, stored in the struct itself
            v = dims[name] if t.role == ROLES["DIM"] else int(data.get(name, 0))
            ctypes.c_int64.from_buffer(io, t.offset).value = v
            continue
        shape = [d if d > 0 else dims[symdims[-d - 1]] for d in list(t.dims)[:t.rank]]
        a = np.ascontiguousarray(data[name] if name in data else np.zeros(shape), dtype=NPDT[t.dtype]).reshape(shape)
        bufs[name] = a.copy()
        ctypes.c_void_p.from_buffer(io, t.offset).value = bufs[name].ctypes.data
    lib.m_workspace_size.restype = ctypes.c_size_t
    ws = ctypes.create_string_buffer(lib.m_workspace_size(io) + 64)
    for i in range(k):
        rc = lib.m_step(io, ws)
        if rc != 0:
            raise harness.HarnessError("m_step returned %d at call %d" % (rc, i + 1))
    res = {name: bufs[name] for name in bufs if name in data and harness_role(tab, name) in ("PARAM", "STATE")}
    for t in tab:
        if t.dtype == 3 and t.role == ROLES["STATE"]:
            res[t.name.decode()] = np.array(ctypes.c_int64.from_buffer(io, t.offset).value)
    return res


def harness_role(tab, name):
    for t in tab:
        if t.name.decode() == name:
            return [r for r, v in ROLES.items() if v == t.role][0]
    return None


def reference_steps(case, model, data, k):
    """k reference updates, each from the previous one's params and state."""
    d = dict(data)
    for _ in range(k):
        ref = harness.reference(case, model, d)
        for key, v in ref.items():
            if key.startswith("step/") and model.by_name[key[5:]].role in ("PARAM", "STATE"):
                d[key[5:]] = v
    return {name: v for name, v in d.items() if model.by_name[name].role in ("PARAM", "STATE")}


def check(bpc, bp, k, paths=PATHS):
    case = harness.load_case(bp)
    work = tempfile.mkdtemp(prefix="steps_%s_" % case.name)
    fails = []
    try:
        model = harness.Model(case, bpc, work)
        data = harness.make_data(case, model, seed=1)
        for t in model.tensors:       # a fresh run: zero optimizer state, step 0
            if t.role == "STATE":
                data[t.name] = np.zeros_like(data[t.name])
        want = reference_steps(case, model, data, k)
        for pname, flags in paths:
            d = os.path.join(work, pname)
            os.makedirs(d)
            got = bpc_steps(bpc, model.bp, model.dims, data, flags, k, d)
            rtol = case.TOL["f64" if "f64" in pname else "f32"] * 10 * k
            for name, w in want.items():
                ok, err = harness.close(got.get(name, np.array(np.nan)), w, rtol)
                if not ok:
                    fails.append("%s [%s]: %s after %d steps: err %s > %g\n      got      %s\n      expected %s" % (
                        case.name, pname, name, k, err, rtol, harness.brief(got.get(name, [np.nan])), harness.brief(w)))
    except harness.HarnessError as e:
        fails.append("%s [setup]: %s" % (case.name, e))
    shutil.rmtree(work, ignore_errors=True)
    return fails


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bpc", default=os.path.join(harness.ROOT, "build", "bpc"))
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--paths", default=",".join(p for p, _ in PATHS), help="a comma list of " + ", ".join(p for p, _ in PATHS))
    ap.add_argument("cases", nargs="*")
    a = ap.parse_args()
    paths = [p for p in PATHS if p[0] in a.paths.split(",")]
    if len(paths) != len(a.paths.split(",")):
        ap.error("--paths: each of %s" % ", ".join(p for p, _ in PATHS))
    files = [f for f in harness.case_files(a.cases)
             if re.search(r"^\s*optimize\s", open(f, encoding="utf-8").read(), re.M)]
    passed = failed = 0
    for f in files:
        name = os.path.splitext(os.path.basename(f))[0]
        fails = check(os.path.abspath(a.bpc), f, a.steps, paths)
        known = harness.KNOWN_FAILURES.get(name)
        if fails and known:
            print("XFAIL %s (%s)" % (name, known))
            passed += 1
        elif fails:
            failed += 1
            print("\n".join("FAIL " + x for x in fails))
        else:
            passed += 1
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

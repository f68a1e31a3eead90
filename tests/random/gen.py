"""Random .bp programs with their PyTorch reference, checked on bpc's paths.

    /usr/bin/python3 tests/random/gen.py --seeds A:B [--paths rotate|every|P,P..]
                                         [-j 2] [--bpc build/bpc] [--out DIR]
                                         [--print SEED] [--no-shrink]

Each seed gives one program over the whole current language (grammar/bp.y,
compiler/ops.def, the builtins of compiler/lower_expr.c): every elementwise op and
builtin, broadcasting on either side and with extent-1 axes (a literal 1 or a dim
of value 1), symbolic and constant dims (symbolic ones bound to 1..4), the four
`@` forms with `.T` / `ᵀ` transposes, reductions with and without axis= (negative
axes too), softmax / log_softmax, cross_entropy / svm (margin=) / mse, `def`s,
`**` with constant exponents, bindings reused several times, outputs, and one of:
`grad T` (all params), `grad T wrt ...` (inputs and params), a non-scalar T with
T_grad_in, or `optimize T with sgd|momentum|adam` (literal hyperparameters, rank-0
input ones, or defaults). Arguments of log, sqrt, `/`, and non-integer powers are
kept away from 0 by construction (log(x*x + c), a / (b*b + c), ...); a program
whose reference has a non-finite or huge (> 1e4) value is replaced by the next
variant of its seed.

The reference is emitted as Python source next to the program (the case format
of tests/ref/harness.py), so a failure is written out as a ready-made case:
OUT/seed<S>.bp + .py (default OUT tests/random/failures), after shrinking it
(statements deleted, subexpressions replaced by their operands or by a fresh
input, outputs and the optimizer dropped) while the same path still fails.

Paths: `rotate` (default) runs each program on one AOT and one JIT path taken in
turn from tests/ref/harness.py's ALL_PATHS, so a seed range covers every path;
`every` runs all of them on every program. Output: a line per failing seed, then
"N passed, N failed (R rejected as ill-conditioned)". Exit 1 on a failure.
"""
import argparse
import concurrent.futures
import copy
import os
import random
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ref"))
import harness  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

MAX_RANK = 4

# Bugs being fixed on other branches that random programs would hit again and
# again; while listed, the generator steers around them (--no-avoid keeps them):
#   mean_symbolic: mean(x) without axis= (and mse) over an operand of rank >= 2
#                  with a symbolic extent divides by a wrong count.
#   max_ties:      a max reduction gives each tied element the whole gradient; random
#                  data ties where a broadcast repeats a value along the reduced axes.
#   macro_names:   a name that is an object-like macro of the headers the generated
#                  C includes (NULL, INT64_MAX, ...) breaks it (not fixed yet).
#   prefix_names:  a tensor named like one of the model's support functions
#                  (m_gemm, m_dot, m_scale...) shadows it (not fixed yet).
KNOWN_BUGS = set()

# Names that C, libc or the generated code use themselves (SPEC §1: still valid).
TRICKY = ["memset", "memcpy", "expf", "sqrtf", "fabs", "main", "i", "j", "k", "acc", "rc",
          "s", "t", "u", "v", "lr", "c1", "c2", "eps", "mu", "seed", "io", "ws", "m_io", "m_forward",
          "m_tensors", "t12", "v3", "size_t", "int64_t", "real", "count", "scale", "step", "row", "lse"]
PREFIXED = ["m_gemm", "m_dot", "m_scale", "m_epilogue", "m_xent_grad", "m_adam"]
MACROS = ["NULL", "INT64_MAX", "SIZE_MAX", "HUGE_VAL", "FP_NAN", "INFINITY", "NAN", "M_PI", "math_errhandling",
          "unix", "linux"]   # tcc predefines these two


# ---------------------------------------------------------------- expression trees

class Node:
    """op: leaf num un bin matmul T red softmax log_softmax xent svm mse call.
    shape: tuple of extent tokens (dim names, or the int 1)."""

    def __init__(self, op, shape, kids=(), **attrs):
        self.op, self.shape, self.kids, self.a = op, tuple(shape), list(kids), attrs

    def walk(self):
        yield self
        for k in self.kids:
            yield from k.walk()


UNARY = {  # name: (bp format, python format); {0} the operand, {c} a constant
    "relu": ("relu({0})", "torch.relu({0})"),
    "sigmoid": ("sigmoid({0})", "torch.sigmoid({0})"),
    "tanh": ("tanh({0})", "torch.tanh({0})"),
    "exp": ("exp({0})", "torch.exp({0})"),
    "abs": ("abs({0})", "torch.abs({0})"),
    "gelu": ("gelu({0})", "torch.nn.functional.gelu({0})"),
    "neg": ("(-{0})", "(-{0})"),
    "leaky": ("leaky_relu({0}, {c})", "torch.where({0} > 0, {0}, {c} * {0})"),
    "leaky_default": ("leaky_relu({0})", "torch.where({0} > 0, {0}, 0.01 * {0})"),
    "logsq": ("log({0} * {0} + {c})", "torch.log({0} * {0} + {c})"),
    "logabs": ("log(abs({0}) + {c})", "torch.log(torch.abs({0}) + {c})"),
    "sqrtsq": ("sqrt({0} * {0} + {c})", "torch.sqrt({0} * {0} + {c})"),
    "pow2": ("({0} ** 2)", "({0} ** 2)"),
    "pow3": ("({0} ** 3)", "({0} ** 3)"),
    "negpow": ("(-{0} ** 2)", "(-({0} ** 2))"),     # unary minus binds looser than **
    "powpow": ("({0} ** 1 ** 3)", "({0} ** (1 ** 3))"),  # ** is right-associative
    "powneg": ("(({0} * {0} + {c}) ** -1.5)", "(({0} * {0} + {c}) ** -1.5)"),
    "powhalf": ("(({0} * {0} + {c}) ** 0.5)", "(({0} * {0} + {c}) ** 0.5)"),
    "powint": ("(({0} * {0} + {c}) ** -1)", "(({0} * {0} + {c}) ** -1)"),
}
BINARY = {
    "+": ("({0} + {1})", "({0} + {1})"),
    "-": ("({0} - {1})", "({0} - {1})"),
    "*": ("({0} * {1})", "({0} * {1})"),
    "/": ("({0} / ({1} * {1} + {c}))", "({0} / ({1} * {1} + {c}))"),
    "/abs": ("({0} / (abs({1}) + {c}))", "({0} / (torch.abs({1}) + {c}))"),
    "max": ("max({0}, {1})", "torch.maximum({0}, {1})"),
    "min": ("min({0}, {1})", "torch.minimum({0}, {1})"),
}


def fmt_num(v):
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


def bp_of(n, P):
    """The .bp text of node n in program P."""
    k = [bp_of(c, P) for c in n.kids]
    a = n.a
    if n.op == "leaf":
        return a["name"]
    if n.op == "num":
        return fmt_num(a["v"]) if a["v"] >= 0 else "(%s)" % fmt_num(a["v"])
    if n.op == "un":
        return UNARY[a["f"]][0].format(k[0], c=fmt_num(a.get("c", 1)))
    if n.op == "bin":
        return BINARY[a["f"]][0].format(k[0], k[1], c=fmt_num(a.get("c", 1)))
    if n.op == "matmul":
        return "(%s @ %s)" % (k[0], k[1])
    if n.op == "T":
        return "(%s)%s" % (k[0], a["style"])
    if n.op == "red":
        return "%s(%s%s)" % (a["f"], k[0], "" if a["axis"] is None else ", axis=%d" % a["axis"])
    if n.op in ("softmax", "log_softmax"):
        return "%s(%s)" % (n.op, k[0])
    if n.op == "xent":
        return "cross_entropy(%s, %s)" % (k[0], a["labels"])
    if n.op == "svm":
        return "svm(%s, %s%s)" % (k[0], a["labels"], "" if a["margin"] is None else ", margin=%s" % fmt_num(a["margin"]))
    if n.op == "mse":
        return "mse(%s, %s)" % (k[0], k[1])
    if n.op == "call":
        return "%s(%s)" % (a["name"], ", ".join(k))
    if n.op == "index":
        return "%s[%s]" % (a["name"], a["var"])
    raise ValueError(n.op)


def py_of(n, P, env):
    """Python (torch) source computing node n; env maps names to Python expressions."""
    k = [py_of(c, P, env) for c in n.kids]
    a = n.a
    if n.op == "leaf":
        return env[a["name"]]
    if n.op == "num":
        return "torch.tensor(%r)" % float(a["v"])
    if n.op == "un":
        return UNARY[a["f"]][1].format(k[0], c=repr(float(a.get("c", 1))))
    if n.op == "bin":
        return BINARY[a["f"]][1].format(k[0], k[1], c=repr(float(a.get("c", 1))))
    if n.op == "matmul":
        return "torch.matmul(%s, %s)" % (k[0], k[1])
    if n.op == "T":
        return "%s.t()" % k[0] if len(n.kids[0].shape) == 2 else k[0]
    if n.op == "red":
        if a["axis"] is None:
            return {"sum": "%s.sum()", "mean": "%s.mean()", "max": "torch.amax(%s)"}[a["f"]] % k[0]
        f = {"sum": "%s.sum(dim=%d)", "mean": "%s.mean(dim=%d)", "max": "torch.amax(%s, dim=%d)"}[a["f"]]
        return f % (k[0], a["axis"])
    if n.op == "softmax":
        return "torch.softmax(%s, dim=-1)" % k[0]
    if n.op == "log_softmax":
        return "torch.log_softmax(%s, dim=-1)" % k[0]
    if n.op == "xent":
        return "xent(%s, t[%r])" % (k[0], a["labels"])
    if n.op == "svm":
        return "svm(%s, t[%r], %r)" % (k[0], a["labels"], 1.0 if a["margin"] is None else float(a["margin"]))
    if n.op == "mse":
        return "((%s - %s) ** 2).mean()" % (k[0], k[1])
    if n.op == "call":
        return "d_%s(%s)" % (a["name"], ", ".join(k))
    if n.op == "index":
        return "%s[_k]" % env[a["name"]]
    raise ValueError(n.op)


PY_HELPERS = '''import torch


def xent(s, y):
    # softmax then the negative log-likelihood of the label, mean over rows
    logp = s - torch.logsumexp(s, dim=1, keepdim=True)
    return -logp[torch.arange(s.shape[0]), y].mean()


def svm(s, y, margin):
    # multiclass hinge: sum over j != y of max(0, s_j - s_y + margin), mean over rows
    sy = s[torch.arange(s.shape[0]), y].unsqueeze(1)
    h = torch.clamp(s - sy + margin, min=0)
    mask = torch.ones_like(s)
    mask[torch.arange(s.shape[0]), y] = 0
    return (h * mask).sum(dim=1).mean()
'''


# ---------------------------------------------------------------- for loops

def loop_bp(name, n, P):
    """A loop statement: kids[0] the value before the loop, kids[1] the body's
    value, which reads `name` (carried) and index nodes W[var]."""
    a = n.a
    return ["%s = %s" % (name, bp_of(n.kids[0], P)), "for %s in %s..%s {" % (a["var"], a["lo"], a["hi"]),
            "    %s = %s" % (name, bp_of(n.kids[1], P)), "}"]


def loop_py(name, n, P, env):
    a = n.a
    hi = P.dims[a["hi"]][0] if isinstance(a["hi"], str) else a["hi"]
    out = ["    v_%s = %s" % (name, py_of(n.kids[0], P, env))]
    env[name] = "v_" + name
    out.append("    for _k in range(%d, %d):" % (a["lo"], hi))
    out.append("        v_%s = %s" % (name, py_of(n.kids[1], P, env)))
    return out


# ---------------------------------------------------------------- programs

class Prog:
    def __init__(self):
        self.dims = {}       # name -> (value, symbolic)
        self.decls = {}      # name -> (kind input|param|label, shape, init text)
        self.defs = []       # (name, formals, body Node)
        self.stmts = []      # (name, Node)
        self.outputs = []
        self.target = None
        self.grad = None     # ("grad", wrt list or None) | ("optimize", kind, {hyper: number or input name} or None)
        self.style = 0       # seeds restyle()
        self.loopvars = set()  # for-loop variables (no other name may take one)

    def binding_shape(self, name):
        for nm, n in self.stmts:
            if nm == name:
                return n.shape
        return self.decls[name][1]

    def used_names(self):
        used = set()
        for _, n in self.stmts:
            for m in n.walk():
                if m.op == "leaf":
                    used.add(m.a["name"])
                if m.op in ("xent", "svm"):
                    used.add(m.a["labels"])
                if m.op in ("call", "index"):
                    used.add(m.a["name"])
        if self.grad and self.grad[0] == "grad" and self.grad[1]:
            used.update(self.grad[1])
        if self.grad and self.grad[0] == "optimize" and self.grad[2]:
            used.update(v for v in self.grad[2].values() if isinstance(v, str))
        return used

    def bp(self):
        used = self.used_names()
        for _, formals, body in self.defs:
            for m in body.walk():
                if m.op == "leaf" and m.a["name"] not in formals:
                    used.add(m.a["name"])
        lines = ["# random program (tests/random/gen.py)"]
        dims_used = set()
        for name, (kind, shape, _) in self.decls.items():
            if name in used:
                dims_used.update(e for e in shape if isinstance(e, str))
        for _, n in self.stmts:
            for m in n.walk():
                dims_used.update(e for e in m.shape if isinstance(e, str))
                if m.op == "loop" and isinstance(m.a["hi"], str):
                    dims_used.add(m.a["hi"])
        sym = [d for d in self.dims if self.dims[d][1] and d in dims_used]
        const = [d for d in self.dims if not self.dims[d][1] and d in dims_used]
        if sym:
            lines.append("dim " + ", ".join(sym))
        if const:
            lines.append("dim " + ", ".join("%s = %d" % (d, self.dims[d][0]) for d in const))
        for name, (kind, shape, init) in self.decls.items():
            if name not in used:
                continue
            ext = "[%s]" % ", ".join(str(e) for e in shape) if shape or init == "brackets" else ""
            if kind == "label":
                lines.append("input %s%s : int" % (name, ext))
            elif kind == "input":
                lines.append("input %s%s" % (name, ext))
            else:
                lines.append("param %s%s%s" % (name, ext, "" if init in (None, "brackets") else " ~ " + init))
        for name, formals, body in self.defs:
            if name in used:
                lines.append("def %s(%s) = %s" % (name, ", ".join(formals), bp_of(body, self)))
        for name, n in self.stmts:
            lines.extend(loop_bp(name, n, self) if n.op == "loop" else ["%s = %s" % (name, bp_of(n, self))])
        if self.outputs:
            lines.append("output " + ", ".join(self.outputs))
        if self.grad and self.grad[0] == "grad":
            lines.append("grad %s%s" % (self.target, " wrt " + ", ".join(self.grad[1]) if self.grad[1] else ""))
        elif self.grad:
            kind, hyp = self.grad[1], self.grad[2]
            args = "" if hyp is None else "(%s)" % ", ".join(
                "%s = %s" % (k, v if isinstance(v, str) else fmt_num(v)) for k, v in hyp.items())
            lines.append("optimize %s with %s%s" % (self.target, kind, args))
        return "\n".join(self.restyle(lines)) + "\n"

    def restyle(self, lines):
        """The same program in other layouts: statements joined by ';', a newline
        inside parentheses, comments and blank lines (grammar/bp.y, SPEC §1)."""
        r = random.Random(self.style)
        out = []
        for ln in lines:
            is_bind = " = " in ln and not ln.startswith(("dim", "def", "param", "input"))
            if is_bind and ", " in ln and r.random() < 0.2:
                ln = ln.replace(", ", ",\n      ", 1)
            if is_bind and r.random() < 0.15 and out and out[-1].split(" = ")[0].isidentifier() and "#" not in out[-1]:
                out[-1] += "; " + ln
                continue
            if r.random() < 0.08:
                out.append("# a comment line")
            if r.random() < 0.05:
                out.append("")
            out.append(ln + ("   # trailing comment" if r.random() < 0.08 else ""))
        return out

    def py(self):
        env = {name: "t[%r]" % name for name in self.decls}
        out = [PY_HELPERS, "SET = %r" % {d: v for d, (v, s) in self.dims.items() if s},
               "LABELS = %r" % self.labels(), "REJECT_OK = True", "", "", "def reference(t):"]
        for name, formals, body in self.defs:
            denv = dict(env, **{f: f for f in formals})
            out.append("    def d_%s(%s):" % (name, ", ".join(formals)))
            out.append("        return %s" % py_of(body, self, denv))
        for name, n in self.stmts:
            if n.op == "loop":
                out.extend(loop_py(name, n, self, env))
            else:
                out.append("    v_%s = %s" % (name, py_of(n, self, env)))
            env[name] = "v_" + name
        ret = list(dict.fromkeys(self.outputs + [self.target]))
        out.append("    return {%s}" % ", ".join("%r: v_%s" % (r, r) for r in ret))
        return "\n".join(out) + "\n"

    def labels(self):
        res = {}
        for _, n in self.stmts:
            for m in n.walk():
                if m.op in ("xent", "svm"):
                    c = m.kids[0].shape[-1]
                    res[m.a["labels"]] = self.dims[c][0] if isinstance(c, str) else c
        return res

    def case(self, name):
        src = self.py()
        ns = {}
        exec(compile(src, name + ".py", "exec"), ns)
        c = harness.Case(name, self.bp(), ns["reference"], ns["SET"], None, ns["LABELS"], None,
                         {"f32": 2e-3, "f64": 1e-8}, True)
        c.pysrc = src
        return c


# ---------------------------------------------------------------- the generator

class Gen:
    def __init__(self, seed, avoid=True):
        self.avoid = avoid
        self.r = random.Random(seed)
        self.P = Prog()
        self.P.style = self.r.randrange(1 << 30)
        self.count = 0
        r, P = self.r, self.P
        nsym = r.choice([1, 1, 2])
        for i in range(nsym):
            P.dims["N" if i == 0 else "M"] = (r.choice([1, 2, 3, 4]), True)
        for name in ("D", "E", "F")[:r.choice([1, 2, 3])]:
            P.dims[name] = (r.choice([2, 3, 4]), False)
        if r.random() < 0.5:
            P.dims["U"] = (1, False)      # a constant dim of extent 1

    def fresh(self, prefix):
        self.count += 1
        if self.r.random() < 0.05:
            pool = TRICKY + ([] if self.avoid and "macro_names" in KNOWN_BUGS else MACROS)
            pool += [] if self.avoid and "prefix_names" in KNOWN_BUGS else PREFIXED
            pool += [d + sfx for d in self.P.decls for sfx in ("_grad", "_m", "_v", "_grad_in")]
            taken = set(self.P.decls) | {n for n, _ in self.P.stmts} | set(self.P.dims) | \
                {n for n, _, _ in self.P.defs} | self.P.loopvars
            name = self.r.choice(pool)
            if name not in taken:
                return name
        return "%s%d" % (prefix, self.count)

    def extent(self):
        return self.r.choice(list(self.P.dims))

    def shape(self, rank=None):
        if rank is None:
            rank = self.r.choice([0, 1, 1, 2, 2, 2, 3, 4][:8 if self.r.random() < 0.3 else 6])
        return tuple(self.extent() for _ in range(rank))

    def mean_bug(self, S):
        return self.avoid and "mean_symbolic" in KNOWN_BUGS and len(S) >= 2 and \
            any(isinstance(e, str) and self.P.dims[e][1] for e in S)

    def may_tie(self, n):
        """n may hold repeated values: a broadcast somewhere below (through bindings)."""
        if not (self.avoid and "max_ties" in KNOWN_BUGS):
            return False
        for m in n.walk():
            if m.op == "bin" and m.kids[0].shape != m.kids[1].shape and \
                    not any(k.op == "num" for k in m.kids):
                return True
            if m.op == "leaf":
                for nm, b in self.P.stmts:
                    if nm == m.a["name"] and self.may_tie(b):
                        return True
        return False

    def is_one(self, e):
        return e == 1 or (isinstance(e, str) and not self.P.dims[e][1] and self.P.dims[e][0] == 1)

    def reduced(self, S):
        """A shape that broadcasts to S: leading axes dropped, some extents 1."""
        r = self.r
        k = r.randint(0, len(S))
        T = list(S[len(S) - k:]) if r.random() < 0.5 else list(S)
        for i in range(len(T)):
            if r.random() < 0.3:
                T[i] = 1 if r.random() < 0.6 or "U" not in self.P.dims else "U"
        return tuple(T)

    def decl(self, shape, kind=None):
        r = self.r
        kind = kind or ("param" if r.random() < 0.5 else "input")
        name = self.fresh("w" if kind == "param" else "x")
        init = None
        if kind == "param":
            init = r.choice([None, None, "zeros", "ones", "normal(0.5)", "uniform(-1, 1)", "xavier", "he"])
            if init in ("xavier", "he") and len(shape) < 2:
                init = None
        if not shape and r.random() < 0.3:
            init = init if kind == "param" and init else "brackets"  # NAME[] form
        self.P.decls[name] = (kind, tuple(shape), init)
        return name

    def leaf(self, S):
        r, P = self.r, self.P
        same = [nm for nm, n in P.stmts if n.shape == tuple(S)]
        same += [nm for nm, (k, sh, _) in P.decls.items() if k != "label" and sh == tuple(S)]
        if same and r.random() < 0.6:
            return Node("leaf", S, name=r.choice(same))
        return Node("leaf", S, name=self.decl(S))

    def gen(self, S, depth):
        r = self.r
        S = tuple(S)
        if depth <= 0 or r.random() < 0.15:
            return self.leaf(S)
        choices = ["un"] * 4 + ["bin"] * 5 + ["red"] * 2
        if len(S) <= 2:
            choices += ["matmul"] * 3
        if len(S) == 2:
            choices += ["T"]
        if len(S) >= 1:
            choices += ["softmax"]
        if not S:
            choices += ["loss"] * 2
        if self.defs_for(S):
            choices += ["call"] * 2
        op = r.choice(choices)
        return getattr(self, "g_" + op)(S, depth - 1)

    def g_un(self, S, d):
        f = self.r.choice(list(UNARY))
        c = self.r.choice([0.1, 0.2, 0.5]) if f == "leaky" else self.r.choice([0.5, 1, 2])
        return Node("un", S, [self.gen(S, d)], f=f, c=c)

    def g_bin(self, S, d):
        r = self.r
        f = r.choice(list(BINARY))
        a = self.gen(S, d)
        if r.random() < 0.15 and f not in ("/", "/abs"):
            b = Node("num", (), v=r.choice([0.5, 2, -1.5, 3, 0.25]))
        else:
            b = self.gen(self.reduced(S), d)
        if r.random() < 0.5:
            a, b = b, a
        return Node("bin", S, [a, b], f=f, c=r.choice([0.5, 1, 2]))

    def g_matmul(self, S, d):
        r = self.r
        k = self.extent()
        if len(S) == 2:
            A, B = (S[0], k), (k, S[1])
        elif len(S) == 1:
            A, B = ((k,), (k, S[0])) if r.random() < 0.5 else ((S[0], k), (k,))
        else:
            A, B = (k,), (k,)
        return Node("matmul", S, [self.maybe_T(A, d), self.maybe_T(B, d)])

    def maybe_T(self, S, d):
        if len(S) == 2 and self.r.random() < 0.35:
            return self.g_T(S, d)
        return self.gen(S, d)

    def g_T(self, S, d):
        return Node("T", S, [self.gen((S[1], S[0]), d)], style=self.r.choice([".T", "ᵀ"]))

    def g_red(self, S, d):
        r = self.r
        f = r.choice(["sum", "sum", "mean", "max"])
        if not S and r.random() < 0.5:
            T = self.shape(r.choice([1, 2, 2, 3]))
            f = "sum" if f == "mean" and self.mean_bug(T) else f
            x = self.gen(T, d)
            f = "sum" if f == "max" and self.may_tie(x) else f
            return Node("red", S, [x], f=f, axis=None)
        if len(S) >= MAX_RANK:
            return self.g_un(S, d)
        p = r.randint(0, len(S))
        T = S[:p] + (self.extent(),) + S[p:]
        axis = p if r.random() < 0.5 else p - len(T)
        x = self.gen(T, d)
        f = "sum" if f == "max" and self.may_tie(x) else f
        return Node("red", S, [x], f=f, axis=axis)

    def g_softmax(self, S, d):
        return Node(self.r.choice(["softmax", "log_softmax"]), S, [self.gen(S, d)])

    def g_loss(self, S, d):
        r = self.r
        kind = r.choice(["xent", "svm", "mse"])
        if kind == "mse":
            T = self.shape(r.choice([1, 2, 2, 3]))
            while self.mean_bug(T):
                T = self.shape(r.choice([1, 2, 2, 3]))
            a, b = self.gen(T, d), self.gen(self.reduced(T), d)
            return Node("mse", (), [a, b] if r.random() < 0.5 else [b, a])
        rows = self.extent()
        cls = r.choice([e for e in self.P.dims if self.P.dims[e][0] >= 2] or [self.extent()])
        labels = [nm for nm, (k, sh, _) in self.P.decls.items() if k == "label" and sh == (rows,)]
        lab = labels[0] if labels and r.random() < 0.7 else self.decl((rows,), "label")
        scores = self.maybe_T((rows, cls), d)
        if kind == "xent":
            return Node("xent", (), [scores], labels=lab)
        return Node("svm", (), [scores], labels=lab, margin=r.choice([None, 1, 0.5, 2]))

    def defs_for(self, S):
        return [df for df in self.P.defs if True]

    def g_call(self, S, d):
        name, formals, body = self.r.choice(self.P.defs)
        return Node("call", S, [self.gen(S, d) for _ in formals], name=name)

    def make_def(self):
        """def f(a, b) = an elementwise expression of its formals (shape-polymorphic)."""
        r = self.r
        name = self.fresh("f")
        formals = ["a", "b"][:r.choice([1, 2])]
        S = ("_",)

        def body(d):
            if d <= 0 or r.random() < 0.3:
                return Node("leaf", S, name=r.choice(formals)) if r.random() < 0.85 else Node("num", (), v=0.5)
            if r.random() < 0.5:
                f = r.choice(["relu", "sigmoid", "tanh", "abs", "neg", "sqrtsq", "logsq", "pow2"])
                return Node("un", S, [body(d - 1)], f=f, c=1)
            kids = [body(d - 1), body(d - 1)]
            if kids[0].op == "num" and kids[1].op == "num":
                kids[0] = Node("leaf", S, name=formals[0])
            return Node("bin", S, kids, f=r.choice(["+", "-", "*", "/", "max", "min"]), c=1)
        top = body(3)
        while not any(m.op == "leaf" for m in top.walk()):   # a formal fixes the result's shape
            top = body(3)
        self.P.defs.append((name, formals, top))

    def loop_stmt(self):
        """name = init; for k in lo..hi { name = tanh(name * e + W[k]) }: a
        carried value, captured values in e, a param indexed by the loop variable."""
        r, P = self.r, self.P
        S = self.shape(r.randint(0, 3))
        name, var = self.fresh("h"), self.fresh("k")
        P.loopvars.add(var)
        hi = self.fresh("T")
        P.dims[hi] = (r.randint(1, 4), r.random() < 0.5)
        lo = r.choice([0, 0, 1]) if P.dims[hi][0] > 1 else 0
        init = self.gen(S, r.randint(0, 2))
        carry = Node("leaf", S, name=name)
        e = self.gen(S, r.randint(0, 2))
        body = Node("bin", S, [carry, Node("un", S, [e], f="tanh", c=1)], f="*")
        if r.random() < 0.7:
            w = self.decl((hi,) + tuple(S), "param")
            body = Node("bin", S, [body, Node("index", S, name=w, var=var)], f="+")
        body = Node("un", S, [body], f="tanh", c=1)
        P.stmts.append((name, Node("loop", S, [init, body], var=var, lo=lo, hi=hi)))

    def program(self):
        r, P = self.r, self.P
        if r.random() < 0.4:
            self.make_def()
        for _ in range(r.randint(1, 4)):
            if r.random() < 0.25:
                self.loop_stmt()
                continue
            S = self.shape()
            n = self.gen(S, r.randint(1, 4))
            P.stmts.append((self.fresh("h"), n))
        mode = r.choice(["grad", "grad", "wrt", "vjp", "optimize", "optimize"])
        if mode == "vjp":
            nm, n = P.stmts[-1]
            if not n.shape:
                mode = "grad"
            else:
                P.target = nm
        if mode != "vjp":
            terms = []
            for nm, n in P.stmts:
                if not n.shape:
                    terms.append(Node("leaf", (), name=nm))
                elif r.random() < 0.7 or not terms:
                    f = r.choice(["sum", "mean", "max", "sum"])
                    f = "sum" if f == "mean" and self.mean_bug(n.shape) else f
                    f = "sum" if f == "max" and self.may_tie(n) else f
                    terms.append(Node("red", (), [Node("leaf", n.shape, name=nm)], f=f, axis=None))
            loss = terms[0]
            for t in terms[1:]:
                loss = Node("bin", (), [loss, t], f=r.choice(["+", "+", "-", "*"]))
            if r.random() < 0.3:
                loss = Node("bin", (), [loss, self.g_loss((), 2)], f="+")
            P.target = self.fresh("loss")
            P.stmts.append((P.target, loss))
        params = [nm for nm, (k, _, _) in P.decls.items() if k == "param" and nm in P.used_names()]
        floats = [nm for nm, (k, _, _) in P.decls.items() if k != "label" and nm in P.used_names()]
        if mode in ("wrt", "vjp") or not params:
            P.grad = ("grad", r.sample(floats, r.randint(1, len(floats))) if floats else None)
        elif mode == "optimize":
            P.grad = ("optimize",) + self.optimizer()
        else:
            P.grad = ("grad", None)
        if P.grad == ("grad", None) and not params:
            P.grad = None
        outs = [nm for nm, _ in P.stmts]
        P.outputs = r.sample(outs, r.randint(0 if P.grad else 1, min(2, len(outs))))
        if mode == "vjp" and r.random() < 0.5 and P.target not in P.outputs:
            P.outputs.append(P.target)
        return P

    def optimizer(self):
        r = self.r
        kind = r.choice(["sgd", "momentum", "adam"])
        names = {"sgd": ["lr"], "momentum": ["lr", "mu"], "adam": ["lr", "beta1", "beta2", "eps"]}[kind]
        lits = {"lr": [0.1, 0.05, 0.5], "mu": [0.9, 0.5], "beta1": [0.9, 0.8], "beta2": [0.999, 0.99],
                "eps": [1e-8, 1e-6, 0.01]}
        if r.random() < 0.15:
            return kind, None
        hyp = {}
        for nm in names:
            x = r.random()
            if x < 0.25:
                hyp[nm] = self.decl((), "input")
            elif x < 0.85:
                hyp[nm] = r.choice(lits[nm])
        return kind, hyp


AVOID = [True]


def generate(seed, variant=0):
    return Gen(seed * 1000 + variant, AVOID[0]).program()


# ---------------------------------------------------------------- checking

def paths_for(seed, mode):
    if mode == "every":
        return list(harness.ALL_PATHS)
    if mode != "rotate":
        return mode.split(",")
    aot = [p for p in harness.ALL_PATHS if p.startswith("aot")]
    jit = [p for p in harness.ALL_PATHS if p.startswith("jit")]
    return [aot[seed % len(aot)], jit[(seed * 7) % len(jit)]]


def well_conditioned(case, env, work):
    """The reference on the harness's data is finite and moderate (|v| <= 1e4)."""
    model = harness.Model(case, env.bpc, work)
    data = harness.make_data(case, model, 1)
    ref = harness.reference(case, model, data)
    return all(np.all(np.isfinite(v)) and np.max(np.abs(v), initial=0) <= 1e4 for v in ref.values())


def pick(seed, env, work):
    """The program for seed: the first well-conditioned variant (None if none is).
    A program bpc rejects is returned as it is: that is a failure to report."""
    for variant in range(8):
        P = generate(seed, variant)
        case = P.case("seed%d" % seed)
        try:
            if well_conditioned(case, env, work):
                return P, variant
        except harness.HarnessError:
            return P, variant
    return None, None


def failing(P, seed, env, paths):
    case = P.case("seed%d" % seed)
    return harness.check_case(env, case, paths)


def signature(fails):
    return {(p, f.split(":")[0]) for p, f in fails}


def candidates(P):
    """Smaller variants of P, most promising first."""
    out = []
    if P.grad and P.grad[0] == "optimize":
        Q = copy.deepcopy(P)
        Q.grad = ("grad", None)
        out.append(Q)
    if P.outputs:
        for i in range(len(P.outputs)):
            Q = copy.deepcopy(P)
            del Q.outputs[i]
            out.append(Q)
    if P.grad and P.grad[0] == "grad" and P.grad[1] and len(P.grad[1]) > 1:
        for i in range(len(P.grad[1])):
            Q = copy.deepcopy(P)
            Q.grad = ("grad", Q.grad[1][:i] + Q.grad[1][i + 1:])
            out.append(Q)
    # delete a binding: its uses become a fresh input of its shape
    for i, (nm, n) in enumerate(P.stmts):
        if nm == P.target:
            continue
        Q = copy.deepcopy(P)
        del Q.stmts[i]
        fresh = "x_" + nm
        Q.decls[fresh] = ("input", n.shape, None)
        for _, m in Q.stmts:
            for x in m.walk():
                if x.op == "leaf" and x.a["name"] == nm:
                    x.a["name"] = fresh
        Q.outputs = [o for o in Q.outputs if o != nm]
        if Q.grad and Q.grad[0] == "grad" and Q.grad[1]:
            Q.grad = ("grad", [w for w in Q.grad[1] if w != nm])
        out.append(Q)
    # replace a subexpression by an operand of the same shape, or by a fresh input
    for si, (nm, n) in enumerate(P.stmts):
        nodes = list(n.walk())
        for ni, x in enumerate(nodes):
            if x.op == "leaf" or x.op == "num":
                continue
            for ki, k in enumerate(x.kids):
                if k.shape == x.shape:
                    Q = copy.deepcopy(P)
                    qn = list(Q.stmts[si][1].walk())[ni]
                    qk = qn.kids[ki]
                    qn.op, qn.kids, qn.a = qk.op, qk.kids, qk.a
                    out.append(Q)
            Q = copy.deepcopy(P)
            qn = list(Q.stmts[si][1].walk())[ni]
            fresh = "z%d_%d" % (si, ni)
            Q.decls[fresh] = ("input", x.shape, None)
            qn.op, qn.kids, qn.a = "leaf", [], {"name": fresh}
            out.append(Q)
    return out


def valid(Q, seed, env, work):
    try:
        return well_conditioned(Q.case("seed%d" % seed), env, work)
    except (harness.HarnessError, KeyError):   # KeyError: a loop's body left without its loop
        return False


def shrink(P, seed, env, paths, sig, log):
    """Greedy: take the first smaller candidate that still fails with the same signature."""
    work = os.path.join(env.work or "/tmp", "shrink%d" % seed)
    os.makedirs(work, exist_ok=True)
    steps = 0
    progress = True
    while progress and steps < 400:
        progress = False
        for Q in candidates(P):
            steps += 1
            if not valid(Q, seed, env, work):
                continue
            f = failing(Q, seed, env, paths)
            if f and signature(f) & sig:
                P, progress = Q, True
                break
    return P


def run_seed(seed, env, mode, shrink_on, outdir, lock):
    """(status, text): status pass | fail | rejected."""
    try:
        return run_seed_(seed, env, mode, shrink_on, outdir, lock)
    except Exception:   # a generator or harness bug: report it with the seed, keep going
        import traceback
        return "fail", "FAIL seed %d: internal error\n%s" % (seed, traceback.format_exc())


def run_seed_(seed, env, mode, shrink_on, outdir, lock):
    work = os.path.join(env.work or "/tmp", "gen%d" % seed)
    os.makedirs(work, exist_ok=True)
    P, variant = pick(seed, env, work)
    if P is None:
        return "rejected", ""
    paths = paths_for(seed, mode)
    fails = failing(P, seed, env, paths)
    if not fails:
        return "pass", ""
    fpaths = sorted({p for p, _ in fails if p != "setup"}) or paths
    if shrink_on:
        P = shrink(P, seed, env, fpaths, signature(fails), None)
        fails = failing(P, seed, env, fpaths) or fails
    case = P.case("seed%d" % seed)
    with lock:
        os.makedirs(outdir, exist_ok=True)
        with open(os.path.join(outdir, "seed%d.bp" % seed), "w", encoding="utf-8") as f:
            f.write(case.src)
        with open(os.path.join(outdir, "seed%d.py" % seed), "w", encoding="utf-8") as f:
            f.write(case.pysrc)
    text = "FAIL seed %d (variant %d) -> %s/seed%d.bp\n%s\n%s" % (
        seed, variant, outdir, seed, case.src,
        "\n".join("  [%s] %s" % (p, f) for p, f in fails[:6]))
    return "fail", text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="0:20", help="A:B, the half-open range")
    ap.add_argument("--paths", default="rotate")
    ap.add_argument("--bpc", default=os.path.join(harness.ROOT, "build", "bpc"))
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(HERE, "failures"))
    ap.add_argument("--work", help="work folder (kept)")
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--no-avoid", action="store_true", help="generate programs that hit KNOWN_BUGS too")
    ap.add_argument("--print", type=int, help="print the program and reference of one seed and exit")
    a = ap.parse_args()
    AVOID[0] = not a.no_avoid
    if a.print is not None:
        P = generate(a.print)
        print(P.bp())
        print(P.py())
        return 0
    lo, hi = (int(x) for x in a.seeds.split(":"))
    import tempfile
    work = a.work or tempfile.mkdtemp(prefix="bprandom_")
    os.makedirs(work, exist_ok=True)
    env = harness.Env(a.bpc, work)
    lock = threading.Lock()
    counts = {"pass": 0, "fail": 0, "rejected": 0}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(a.j, 1)) as ex:
        futs = [ex.submit(run_seed, s, env, a.paths, not a.no_shrink, a.out, lock) for s in range(lo, hi)]
        for fu in futs:
            status, text = fu.result()
            counts[status] += 1
            if text:
                print(text)
            done = sum(counts.values())
            if done % 100 == 0:
                print("progress: %d seeds, %d passed, %d failed, %d rejected" % (
                    done, counts["pass"], counts["fail"], counts["rejected"]))
            sys.stdout.flush()
    if not a.work:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed (%d rejected as ill-conditioned)" % (counts["pass"], counts["fail"], counts["rejected"]))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())

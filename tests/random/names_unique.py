"""The random generator never gives an input or param the name of a statement
(seed 5193 did: a statement's name was drawn before its expression declared the
leaves it reads, and bpc rightly refused the program as a redefinition).
usage: names_unique.py A:B   (the seeds to generate; nothing is compiled)"""
import importlib.util
import os
import sys

spec = importlib.util.spec_from_file_location("gen", os.path.join(os.path.dirname(__file__), "gen.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
a, b = (int(x) for x in sys.argv[1].split(":"))
bad = []
for seed in range(a, b):
    P = gen.generate(seed)
    clash = set(P.decls) & {n for n, _ in P.stmts}
    if clash:
        bad.append((seed, sorted(clash)))
for seed, names in bad:
    print("seed %d: %s both declared and bound by a statement" % (seed, ", ".join(names)))
print("%d seeds, %d with a name bound twice" % (b - a, len(bad)))
sys.exit(1 if bad else 0)

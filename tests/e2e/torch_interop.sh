#!/usr/bin/env bash
# The PyTorch lines of docs/cli.md (the ```python block after the marker
# "<!-- tested: torch_interop -->"), run as written: a bpc checkpoint loads
# into torch.nn.Linear and gives bpc's outputs; weights changed in PyTorch
# and saved back give PyTorch's outputs in bpc predict.
# Exit 77 (CTest: skipped) without /usr/bin/python3 with torch and NumPy.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
if ! /usr/bin/python3 -c "import torch, numpy" >/dev/null 2>&1; then
    echo "skipped: needs /usr/bin/python3 with torch and numpy"
    exit 77
fi
awk '/<!-- tested: torch_interop -->/{on=1; next} on && /^```python/{inb=1; next} inb && /^```/{exit} inb' \
    "$SRC/docs/cli.md" > snippet.py
check "docs/cli.md has the PyTorch lines" grep -q "torch.nn.Linear" snippet.py
printf 'dim N, D = 5, C = 3\ninput x[N, D]\ninput y[N] : int\nparam W1[D, C] ~ normal(0.5)\nparam b1[C] ~ normal(0.5)\nscores = x @ W1 + b1\nloss = cross_entropy(scores, y)\noutput scores\noptimize loss with sgd(lr = 0.1)\n' > lin.bp
"$BPC" run lin.bp --set N=20 --seed 3 --out d >/dev/null 2>&1
"$BPC" train lin.bp --in x=d/x.npy,y=d/y.npy --epochs 2 --save ck >/dev/null 2>&1
"$BPC" predict lin.bp --load ck --in x=d/x.npy --out p1 >/dev/null 2>&1
cat > driver.py <<'PY'
import numpy as np, torch
exec(open("snippet.py").read())                     # defines fc1 from ck, saves it back
x = torch.from_numpy(np.load("d/x.npy"))
assert np.allclose(fc1(x).detach().numpy(), np.load("p1/scores.npy"), atol=1e-6), "bpc -> torch differs"
with torch.no_grad():                               # change the layer in PyTorch ...
    fc1.weight.mul_(2.0); fc1.bias.add_(1.0)
np.save("ck/W1.npy", fc1.weight.detach().numpy().T.copy())
np.save("ck/b1.npy", fc1.bias.detach().numpy())
np.save("want.npy", fc1(x).detach().numpy())        # ... and bpc must agree
PY
check "the docs' lines load a bpc checkpoint into nn.Linear and save it back" /usr/bin/python3 driver.py
check "bpc predict reads the weights PyTorch saved" "$BPC" predict lin.bp --load ck --in x=d/x.npy --out p2
check "bpc's outputs equal PyTorch's" /usr/bin/python3 -c "import numpy as np; assert np.allclose(np.load('p2/scores.npy'), np.load('want.npy'), atol=1e-5)"
finish

#!/usr/bin/env bash
# Layout and indexing at run time: gather ids outside the table's rows are
# refused (BP_ELABEL) before anything is written, a symbolic dim too small for
# a constant index on it is refused (BP_EDIM), and in range the values are
# the rows asked for (JIT, and the written C compiled by gcc).
. "$(dirname "$0")/lib.sh"
cd "$WORK"
cat > rt.bp <<'BP'
dim N
input x[N, 3]
input ids[2] : int
param E[4, 3] ~ normal(1)
a = x[2:4]
b = E[ids]
last = x[-1]
output a, b, last
BP
/usr/bin/python3 - <<'PY'
import numpy as np
np.save("ids_bad.npy", np.array([1, 4], dtype=np.int32))
np.save("ids_neg.npy", np.array([-1, 0], dtype=np.int32))
np.save("ids_ok.npy", np.array([3, 0], dtype=np.int32))
np.save("x3.npy", np.ones((3, 3), dtype=np.float32))
np.save("x5.npy", np.arange(15, dtype=np.float32).reshape(5, 3))
PY
check "ids in range" "$BPC" run rt.bp --in x=x5.npy --in ids=ids_ok.npy --out ok
check "x[2:4] is rows 2 and 3" /usr/bin/python3 -c "
import numpy as np
assert (np.load('ok/a.npy') == np.arange(6, 12).reshape(2, 3)).all()
assert (np.load('ok/last.npy') == [12, 13, 14]).all()"
check "an id past the rows is refused" expect_exit 1 "$BPC" run rt.bp --in x=x5.npy --in ids=ids_bad.npy
check "a negative id is refused" expect_exit 1 "$BPC" run rt.bp --in x=x5.npy --in ids=ids_neg.npy
check "with the label message" sh -c "'$BPC' run rt.bp --in x=x5.npy --in ids=ids_bad.npy 2>&1 | grep -q 'int label is outside its range'"
check "N = 3 is too small for x[2:4]" expect_exit 1 "$BPC" run rt.bp --in x=x3.npy --in ids=ids_ok.npy
check "with the dim message" sh -c "'$BPC' run rt.bp --set N=3 2>&1 | grep -q 'less than a constant index on it needs'"
check "the written C checks N >= 4" sh -c "'$BPC' rt.bp -o rt.c && grep -q 'io->N < 4 ' rt.c"
check "and compiles cleanly" gcc -std=c99 -Wall -Wextra -pedantic -Werror -c rt.c -o rt.o
# int labels sliced from an int input: only the elements the slice reads are
# checked (column 0 of lab is never read), before anything is written
cat > lm.bp <<'BP'
dim N
input ids[N, 4] : int
input lab[N, 2] : int
param E[5, 5] ~ normal(1)
loss = cross_entropy(reshape(E[ids[:, :-1]], [-1, 5]), reshape(ids[:, 1:], [-1])) + cross_entropy(E[ids[:, 0]], lab[:, 1])
output loss
BP
/usr/bin/python3 - <<'PY'
import numpy as np
np.save("lm_ok.npy", np.array([[1, 2, 3, 4], [0, 0, 4, 1]], dtype=np.int32))
np.save("lm_bad.npy", np.array([[1, 2, 3, 4], [0, 0, 5, 1]], dtype=np.int32))
np.save("lm_lastbad.npy", np.array([[1, 2, 3, 4], [0, 0, 4, 7]], dtype=np.int32))
np.save("lab_ok.npy", np.array([[-9, 1], [99, 4]], dtype=np.int32))
np.save("lab_bad.npy", np.array([[0, 1], [0, 5]], dtype=np.int32))
PY
check "sliced labels in range (an unread column out of range)" "$BPC" run lm.bp --in ids=lm_ok.npy --in lab=lab_ok.npy
check "a sliced id past the rows is refused" expect_exit 1 "$BPC" run lm.bp --in ids=lm_bad.npy --in lab=lab_ok.npy
check "a sliced label past the classes is refused" expect_exit 1 "$BPC" run lm.bp --in ids=lm_lastbad.npy --in lab=lab_ok.npy
check "a label column past the classes is refused" expect_exit 1 "$BPC" run lm.bp --in ids=lm_ok.npy --in lab=lab_bad.npy
check "with the label message" sh -c "'$BPC' run lm.bp --in ids=lm_lastbad.npy --in lab=lab_ok.npy 2>&1 | grep -q 'int label is outside its range'"
check "the written C compiles cleanly" sh -c "'$BPC' lm.bp -o lm.c && gcc -std=c99 -Wall -Wextra -pedantic -Werror -c lm.c -o lm.o"
finish

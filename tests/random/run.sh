#!/usr/bin/env bash
# Random programs against PyTorch: tests/random/run.sh --seeds A:B [--paths rotate|every|P,P..]
#   [--bpc PATH] [-j N] [--out DIR] [--no-shrink] [--no-avoid]
# Long runs are fine (a few thousand seeds take about an hour on 2 cores); each
# failure is shrunk and written to tests/random/failures/seedS.bp + .py (a case for
# tests/ref/harness.py). See tests/random/gen.py for what is generated.
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/gen.py" "$@"

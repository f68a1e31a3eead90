#!/usr/bin/env python3
"""The REPL on a real terminal (a pty): tab completion of a keyword, a
function and a name; an error pointing into what was typed, once; history
kept across sessions (the up arrow in a new session recalls a line of the
last one). Exit 77 (CTest: skipped) when bpc was built without libedit.

usage: repl_pty.py BPC"""
import os
import pty
import select
import sys
import tempfile
import time

BPC = sys.argv[1]
failures = passed = 0


def check(name, ok, output=""):
    global failures, passed
    if ok:
        passed += 1
    else:
        failures += 1
        print(f"FAIL: {name}\n--- output ---\n{output[-1500:]}\n---")


class Repl:
    def __init__(self, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe(BPC, [BPC, "repl"], env)
        self.out = ""

    def read_until(self, text, timeout=10.0):
        end = time.time() + timeout
        while text not in self.out and time.time() < end:
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if r:
                try:
                    self.out += os.read(self.fd, 65536).decode("utf-8", "replace")
                except OSError:
                    break
        return text in self.out

    def read_after(self, marker, text, timeout=10.0):
        """Wait for text after marker (a prompt echoed earlier does not count)."""
        end = time.time() + timeout
        while time.time() < end:
            at = self.out.find(marker)
            if at >= 0 and text in self.out[at + len(marker):]:
                return True
            self.read_until("\0", 0.1)
        return False

    def values_after(self, marker):
        """The numbers printed after marker, up to the next prompt."""
        if not self.read_after(marker, "bpc> "):
            return []
        return [float(v) for v in self.out.split(marker, 1)[1].split("bpc>")[0].split()]

    def send(self, keys):
        os.write(self.fd, keys.encode())

    def close(self):
        self.send(":quit\r")
        self.read_until("\0", 2.0)
        os.waitpid(self.pid, 0)


work = tempfile.mkdtemp()
env = dict(os.environ, BPC_HISTORY=os.path.join(work, "hist"), HOME=work, TERM="xterm")

r = Repl(env)
if not r.read_until("bpc> "):
    check("the REPL starts", False, r.out)
    sys.exit(1)
if "libedit" not in r.out:
    print("skipped: bpc was built without libedit (plain lines)")
    r.close()
    sys.exit(77)
r.send("dim N = 2\r")
r.send("inp\t x_values[N, 3]\r")               # keyword: input
r.read_until("bpc> ", 5)
r.out = ""
r.send("sigm\t(x_val\t)\r")                    # function and name
check("tab completes a function and a name", r.read_until("[2, 3] ="), r.out)
vals = r.values_after("[2, 3] =")
check("... to sigmoid(x_values): six values in (0, 1)", len(vals) == 6 and all(0 < v < 1 for v in vals), r.out)
r.out = ""
r.send("x_values @ nope\r")
ok = r.read_until("error:") and r.read_until("^~~~", 5) and r.read_after("^~~~", "bpc> ", 5)
check("an error points into what was typed", ok and "x_values @ nope" in r.out and "value = (" not in r.out, r.out)
check("the error is shown once", r.out.count("error:") == 1 and "output value" not in r.out, r.out)
r.close()
hist = open(env["BPC_HISTORY"], errors="replace").read() if os.path.exists(env["BPC_HISTORY"]) else ""
check("the history file holds the completed lines", "sigmoid(x_values)" in hist, hist)

r = Repl(env)                                  # a new session: the history is back
r.read_until("bpc> ")
r.send("dim N = 2\r")
r.read_until("bpc> ", 5)
r.out = ""
r.send("input x_values[N, 3]\r")
r.read_until("bpc> ", 5)
r.out = ""
for _ in range(5):                             # up: the two lines above, :quit, the error, the sigmoid line
    r.send("\x1b[A")
    time.sleep(0.1)
r.send("\r")
ok = r.read_until("[2, 3] =", 5) and "sigmoid(" in r.out
vals = r.values_after("[2, 3] =") if ok else []
check("the up arrow recalls a line of the last session", ok and len(vals) == 6 and all(0 < v < 1 for v in vals), r.out)
r.close()
print(f"{passed} passed, {failures} failed")
sys.exit(1 if failures else 0)

"""Running `storechat eval` as a shopper's tools would, for the eval tests: a real process,
its report read back as JSON."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_eval(args: list[str], env: dict[str, str], folder: Path, timeout: float) -> dict[str, Any]:
    """``storechat eval ARGS --json`` in ``env``; its JSON report. Output goes to files in
    ``folder``, not pipes: a server process that outlives the command must not keep the test
    waiting for EOF. Only the report is printed on stdout; server processes log to stderr."""
    with open(folder / "stdout", "w") as out, open(folder / "stderr", "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "core.cli", "eval", *args, "--json"], env=env,
                                stdout=out, stderr=err, text=True)
        try:
            code = proc.wait(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
    stdout, stderr = (folder / "stdout").read_text(), (folder / "stderr").read_text()
    assert code == 0, stdout[-3000:] + stderr[-3000:]
    return json.loads(stdout[stdout.index("{\n"):])

"""The installed `transferlab` script, run as a person types it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / ("transferlab.exe" if os.name == "nt" else "transferlab")


def tl(*args, check=True):
    result = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"transferlab {' '.join(map(str, args))} -> {result.returncode}\n{result.stderr}")
    return result

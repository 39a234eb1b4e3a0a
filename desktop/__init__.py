"""TransferLab's PySide6 desktop app. Depends on core; core never depends on it."""

import core  # noqa: F401  (first: it sets PyTorch's OpenMP spin count before anything loads PyTorch)
from desktop.compat import guard_immortals

guard_immortals()  # before any widget runs: see desktop/compat.py

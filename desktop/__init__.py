"""TransferLab's PySide6 desktop app. Depends on core; core never depends on it."""

from desktop.compat import guard_immortals

guard_immortals()  # before any widget runs: see desktop/compat.py

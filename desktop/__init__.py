"""TransferLab's PySide6 desktop app. Depends on core; core never depends on it."""

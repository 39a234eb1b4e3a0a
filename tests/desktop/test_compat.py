"""The guard for PySide6 6.12 on Python 3.11 (desktop/compat.py): long sessions must not abort."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QRect, Signal

import desktop  # noqa: F401 - applies the guard
from desktop.compat import guard_immortals


class _Emitter(QObject):
    fired = Signal()


def test_many_signals_and_void_calls_do_not_run_none_or_true_out_of_references():
    guarded = guard_immortals()
    emitter, rect = _Emitter(), QRect()
    before = sys.getrefcount(True)
    for _ in range(20_000):  # an affected binding without the guard aborts the interpreter here
        emitter.fired.emit()
        rect.moveTo(1, 1)
    # Either the binding keeps its references (the pinned PySide6) or the guard is in place.
    assert guarded or sys.getrefcount(True) >= before - 100

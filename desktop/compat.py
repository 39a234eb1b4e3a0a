"""Guards against faults of the installed Qt binding, checked at start-up.

PySide6 6.12.0 on Python 3.11 hands back ``None`` from every void C++ method, and ``True`` from
every ``Signal.emit``, without taking a reference (harmless from Python 3.12, where None, True
and False are immortal). Each call lowers that object's reference count by one; a few hundred
signal emissions or a few thousand painter calls later the interpreter aborts with
"none_dealloc: deallocating None" or "bool_dealloc". Until the dependency moves past it, an
affected interpreter gets None, True and False made effectively immortal: exactly what Python
3.12 does for every program.
"""

from __future__ import annotations

import ctypes
import sys

_PINNED = False


def binding_drops_references(calls: int = 64) -> bool:
    from PySide6.QtCore import QObject, QRect, Signal

    class _Probe(QObject):
        fired = Signal()

    rect, probe = QRect(), _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(calls):
        rect.moveTo(0, 0)
        probe.fired.emit()
    dropped_none = sys.getrefcount(None) <= none_before - calls // 2
    dropped_true = sys.getrefcount(True) <= true_before - calls // 2
    if dropped_true:  # give back what the probe took, before anything can run out
        for obj in (True,):
            ctypes.c_ssize_t.from_address(id(obj)).value += calls
    if dropped_none:
        ctypes.c_ssize_t.from_address(id(None)).value += calls
    return dropped_none or dropped_true


def guard_immortals() -> bool:
    """Apply the guard where it is needed; True when it is in place."""
    global _PINNED
    if _PINNED:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython" or not binding_drops_references():
        return False
    # ob_refcnt is the first field of every object in CPython 3.11 release builds.
    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 48
    _PINNED = True
    return True

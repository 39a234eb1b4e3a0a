"""workers.runner: the app's one way to work off the GUI thread, with real threads and a real pool."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThreadPool

from core.errors import ProjectError
from desktop.workers import Runner, UserError


@pytest.fixture
def runner(qtbot):
    pool = QThreadPool()
    pool.setMaxThreadCount(1)  # as the engine's: one job after the other
    r = Runner(pool=pool)
    yield r
    r.cancel_all()
    assert r.wait(10000)
    pool.waitForDone(10000)


def _record(handle, got: list):
    """Every delivery in order, with whether it came on the GUI thread."""
    gui = threading.main_thread()
    for name in ("progress", "partial", "result", "failed"):
        getattr(handle, name).connect(
            lambda value, n=name: got.append((n, value, threading.current_thread() is gui)))
    handle.finished.connect(lambda: got.append(("finished", None, threading.current_thread() is gui)))


def test_progress_and_partial_results_arrive_in_order_on_the_gui_thread_then_the_result(qtbot, runner):
    def work(ctx, n):
        for i in range(n):
            ctx.progress((i, n))
            ctx.partial(f"piece {i}")
        return "whole"

    got = []
    handle = runner.submit(work, 3)
    _record(handle, got)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert [(n, v) for n, v, _ in got] == [
        ("progress", (0, 3)), ("partial", "piece 0"), ("progress", (1, 3)), ("partial", "piece 1"),
        ("progress", (2, 3)), ("partial", "piece 2"), ("result", "whole"), ("finished", None)]
    assert all(on_gui for _, _, on_gui in got)
    assert not runner.busy


def test_cancel_stops_the_job_where_it_checks_and_nothing_of_it_arrives(qtbot, runner):
    stopped = threading.Event()

    def endless(ctx):
        i = 0
        while not ctx.cancelled:  # as the engine checks its token between files and batches
            ctx.partial(i)
            i += 1
            ctx.token._event.wait(0.005)
        stopped.set()
        return "should not arrive"

    got = []
    handle = runner.submit(endless)
    _record(handle, got)
    qtbot.waitUntil(lambda: len(got) >= 2, timeout=5000)
    handle.cancel()
    seen = len(got)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert stopped.is_set()  # the function itself ended: the loop saw the token
    assert [n for n, _, _ in got[seen:]] == ["finished"]  # no late partial, no result
    assert all(n == "partial" for n, _, _ in got[:seen])


def test_a_job_cancelled_while_queued_never_runs(qtbot, runner):
    gate = threading.Event()
    ran = []
    first = runner.submit(lambda ctx: gate.wait(5))
    second = runner.submit(lambda ctx: ran.append("second"))
    second.cancel()
    gate.set()
    with qtbot.waitSignals([first.finished, second.finished], timeout=5000):
        pass
    assert ran == []


def test_a_job_stopped_while_queued_still_says_how_it_ended(qtbot, runner):
    # An import stopped before its turn came must still report (nothing added), or the page waits for ever
    gate = threading.Event()
    first = runner.submit(lambda ctx: gate.wait(5))
    second = runner.submit(lambda ctx: "stopped at once" if ctx.cancelled else "ran to the end")
    second.stop()
    got = []
    _record(second, got)
    gate.set()
    with qtbot.waitSignals([first.finished, second.finished], timeout=5000):
        pass
    assert [(n, v) for n, v, _ in got] == [("result", "stopped at once"), ("finished", None)]


def test_a_newer_job_for_the_same_key_drops_the_stale_ones_result(qtbot, runner):
    started, gate = threading.Event(), threading.Event()

    def slow(ctx):  # ignores its token, as an engine call that cannot stop midway
        started.set()
        gate.wait(5)
        return "old"

    results = []
    old = runner.submit(slow, key="suggestions", on_result=results.append)
    assert started.wait(5)  # running, not merely queued (a queued one is never started at all)
    new = runner.submit(lambda ctx: "new", key="suggestions", on_result=results.append)
    other = runner.submit(lambda ctx: "other key", key="rows", on_result=results.append)
    assert old.obsolete and old.token.cancelled and not new.obsolete
    gate.set()
    with qtbot.waitSignals([old.finished, new.finished, other.finished], timeout=5000):
        pass
    assert results == ["new", "other key"]  # "old" was computed, and dropped


def test_an_exception_becomes_a_failure_with_the_sentence_and_no_result(qtbot, runner):
    def broken(ctx):
        raise ZeroDivisionError("division by zero")

    got = []
    handle = runner.submit(broken, doing="counting")
    _record(handle, got)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert [n for n, _, _ in got] == ["failed", "finished"]
    error = got[0][1]
    assert isinstance(error, UserError)
    assert error.message.startswith("Something unexpected went wrong while counting (ZeroDivisionError")
    assert "Traceback" in error.detail and "ZeroDivisionError" in error.detail


def test_a_user_error_keeps_its_own_words(qtbot, runner):
    def refuse(ctx):
        raise ProjectError("The project is gone.")

    errors = []
    handle = runner.submit(refuse, on_failed=errors.append)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert [e.message for e in errors] == ["The project is gone."]


def test_stop_ends_the_job_early_and_still_reports_how_it_ended(qtbot, runner):
    started = threading.Event()

    def import_like(ctx):
        started.set()
        done = 0
        while not ctx.cancelled:
            done += 1
            ctx.token._event.wait(0.005)
        return f"cancelled after {done}"

    results = []
    handle = runner.submit(import_like, on_result=results.append)
    assert started.wait(5)
    handle.stop()
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert len(results) == 1 and results[0].startswith("cancelled after")


def test_the_callbacks_of_a_runner_whose_owner_is_gone_are_not_called(qtbot):
    from PySide6.QtCore import QObject

    pool = QThreadPool()
    owner = QObject()
    r = Runner(owner, pool)
    gate = threading.Event()
    results = []
    handle = r.submit(lambda ctx: gate.wait(5) and "late", on_result=results.append)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not r._alive["yes"], timeout=5000)
    gate.set()
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    pool.waitForDone(5000)
    assert results == []


def test_should_stop_ends_a_cancelled_engine_call_at_its_next_batch_and_nothing_arrives(qtbot, runner):
    started, gate = threading.Event(), threading.Event()
    batches = []

    def engine(should_stop):  # as predict_samples or the feature extraction: checked between batches
        for i in range(1000):
            if should_stop():
                break
            if i == 1:
                started.set()
                gate.wait(5)
            batches.append(i)
        return "as far as it got"

    got = []
    handle = runner.submit(lambda ctx: engine(ctx.should_stop))
    _record(handle, got)
    assert started.wait(5)
    handle.cancel()
    gate.set()
    with qtbot.waitSignal(handle.finished, timeout=5000):
        pass
    assert batches == [0, 1]  # the batch under way ends, the next one does not start
    assert [n for n, _, _ in got] == ["finished"]  # its partial answer is dropped, and no failure

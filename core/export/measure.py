"""What each exported variant really is on this computer: size, latency and accuracy, measured the
same way for all of them in one pass, and the rule a variant must pass to be written.

Accuracy is measured on the project's labelled samples (read one at a time, so a project of large
photos never holds them all in memory); latency is the best of interleaved runs of one project
input on one CPU thread, so a busy machine slows every variant alike instead of the one that
happened to run during the disturbance.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np

MAX_ACCURACY_DROP = 0.01  # one point: a variant less accurate than that against fp32 is not written
# On samples the model did not learn from (the test split, unlabelled ones) a variant must give fp32's
# class at least this often, where there are enough of them to tell: accuracy on the labelled samples
# a head learnt from hides what rounding does elsewhere (bench_export: the pair's int8 agreed with fp32
# on 100% of the 200 labelled pictures, 96.7% of 150 held-out and 98.0% of 150 unlabelled ones; six
# int8 settings, 95.3-97.3% on held-out). A tenth of new answers changed is a different model.
MIN_UNSEEN_AGREEMENT = 0.9
MIN_UNSEEN_SAMPLES = 20  # below, one disagreement is 5 points or more: too few to refuse a file on
LATENCY_MIN_RUNS = 7
LATENCY_BUDGET_S = 1.5  # per variant, spread over the interleaved rounds
LATENCY_MAX_RUNS = 60


def session(path, threads: int | None = None):
    """An onnxruntime session for measuring. Its worker threads do not spin-wait for more work after a
    run: the variants run in turn, and each session's spinning threads took the cores from the next
    (on 2 cores, three variants scored one sample in 122 ms taking turns against 59 ms one after the
    other; without spinning 67 ms)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def probabilities(sess, name: str, x: np.ndarray) -> np.ndarray:
    """The main label set's probabilities for one input (without its batch dimension)."""
    return sess.run(["probabilities"], {name: x[None]})[0][0]


class _Tally:
    """Accuracy of each session, and each one's top-1 agreement and largest probability difference
    against "fp32", over the samples added."""

    def __init__(self, kinds):
        self.right = dict.fromkeys(kinds, 0)
        self.agree = dict.fromkeys(kinds, 0)
        self.diff = dict.fromkeys(kinds, 0.0)
        self.n = 0

    def add(self, y: int, probs: dict[str, np.ndarray]) -> None:
        ref = probs["fp32"]
        for kind, p in probs.items():
            self.right[kind] += int(p.argmax() == y)
            self.agree[kind] += int(p.argmax() == ref.argmax())
            d = float(np.abs(p - ref).max())
            self.diff[kind] = max(self.diff[kind], d if d == d else float("inf"))  # NaN counts as the worst
        self.n += 1

    def result(self) -> dict[str, dict]:
        n = self.n
        if not n:
            return {kind: {"accuracy": None, "samples": 0} for kind in self.right}
        return {kind: {"accuracy": self.right[kind] / n, "samples": n, "top1_agreement_vs_fp32": self.agree[kind] / n,
                       "max_diff_vs_fp32": self.diff[kind]} for kind in self.right}


def accuracy_pass(sessions: dict, name: str, labelled: Iterable[tuple[int, np.ndarray]]) -> dict[str, dict]:
    """Run every session on every (class index, raw input): accuracy of each, and each one's top-1
    agreement and largest probability difference against "fp32"."""
    return tagged_pass(sessions, name, ((y, raw, ("all",)) for y, raw in labelled), ("all",))["all"]


def tagged_pass(sessions: dict, name: str, items: Iterable[tuple[int, np.ndarray, tuple[str, ...]]],
                tags: tuple[str, ...]) -> dict[str, dict[str, dict]]:
    """Every session run once on every (class index, raw input, its tags): for each of ``tags``,
    accuracy_pass's answer over the samples carrying it. A sample in two tallies (a test-split sample
    is both scored and new to the model) costs one inference a session, not two."""
    tallies = {tag: _Tally(sessions) for tag in tags}
    for y, raw, its_tags in items:
        probs = {kind: probabilities(s, name, raw) for kind, s in sessions.items()}
        for tag in its_tags:
            tallies[tag].add(y, probs)
    return {tag: t.result() for tag, t in tallies.items()}


def latency(paths: dict, name: str, x: np.ndarray, threads: int = 1, budget_s: float = LATENCY_BUDGET_S,
            max_runs: int = LATENCY_MAX_RUNS, clock: Callable[[], float] = time.perf_counter
            ) -> tuple[dict[str, float], int]:
    """({variant: best milliseconds per run}, runs each) for one input at batch 1; the variants take
    turns, round after round, for about ``budget_s`` seconds each."""
    sessions = {kind: session(p, threads) for kind, p in paths.items()}
    feed = {name: x[None]}
    for s in sessions.values():  # the first run allocates; it is no measure
        s.run(None, feed)
    best = dict.fromkeys(sessions, float("inf"))
    spent, runs = 0.0, 0
    while runs < LATENCY_MIN_RUNS or (spent < budget_s * len(sessions) and runs < max_runs):
        for kind, s in sessions.items():
            t = clock()
            s.run(None, feed)
            took = clock() - t
            best[kind] = min(best[kind], took)
            spent += took
        runs += 1
    return {kind: t * 1000.0 for kind, t in best.items()}, runs


def judge(kind: str, v: dict, fp32: dict) -> str | None:
    """Why the variant must not be written (one sentence with the numbers), or None when it passes:
    every variant at most MAX_ACCURACY_DROP less accurate than fp32, giving fp32's class on at least
    MIN_UNSEEN_AGREEMENT of the samples the model did not learn from (where there are
    MIN_UNSEEN_SAMPLES of them), and smaller; int8 also faster."""
    if v.get("accuracy") is None or fp32.get("accuracy") is None:
        return "its accuracy could not be measured (no labelled sample of the project could be read)"
    drop = fp32["accuracy"] - v["accuracy"]
    if drop > MAX_ACCURACY_DROP + 1e-9:
        return (f"it lost {100 * drop:.1f} points of accuracy ({fp32['accuracy']:.1%} -> {v['accuracy']:.1%} on "
                f"{v['samples']} labelled samples; {100 * MAX_ACCURACY_DROP:.0f} allowed)")
    unseen, same = v.get("unseen_samples") or 0, v.get("unseen_agreement_vs_fp32")
    if same is not None and unseen >= MIN_UNSEEN_SAMPLES and same < MIN_UNSEEN_AGREEMENT - 1e-9:
        return (f"it gave another class than fp32 on {round((1 - same) * unseen)} of {unseen} samples the model "
                f"did not learn from ({1 - same:.1%}; at most {1 - MIN_UNSEEN_AGREEMENT:.0%} allowed)")
    if v["size_bytes"] >= fp32["size_bytes"]:
        return f"it is no smaller than fp32 ({v['size_bytes'] / 2**20:.1f} MiB against {fp32['size_bytes'] / 2**20:.1f})"
    if kind == "int8" and v["latency_ms"] >= fp32["latency_ms"]:
        return (f"it is no faster than fp32 on this CPU ({v['latency_ms']:.2f} ms against {fp32['latency_ms']:.2f} ms "
                "per input on 1 thread)")
    return None

"""``transferlab --self-test``: an offline check that an installation (source or frozen) really works.

It walks the path a new user takes, on the bundled sample images, in a temporary folder: the sample
data is there, the bundled backbone weights are intact, a project is created and filled, a probe
trains, the run exports to ONNX (checked against PyTorch) with its fp16 and int8 variants (each must
be written: smaller, within a point of fp32's accuracy, int8 also faster), and every ONNX file
predicts unseen images. Each step prints PASS or FAIL with its time, and a one-line reason on FAIL; a step that needs a failed
one is SKIPped. Nothing touches the network. The temporary project is removed when all pass and kept
(its path printed) when something fails, so it can be looked at or attached to a report.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core import __version__
from core.errors import TransferLabError

BACKBONE = "efficientnet_lite0"
PROBE_EPOCHS = 30
QUICK_PROBE_EPOCHS = 8
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


class StepFailed(Exception):
    """A check inside a step did not hold; the message is the one-line reason."""


@dataclass
class StepResult:
    name: str
    status: str  # "PASS" | "FAIL" | "SKIP"
    seconds: float = 0.0
    detail: str = ""
    debug: str = ""  # a traceback for an unexpected error (printed with TRANSFERLAB_DEBUG=1)

    @property
    def passed(self) -> bool:
        return self.status == "PASS"

    def line(self) -> str:
        return f"  {self.status:<4}  {self.name:<16} {self.seconds:6.1f} s  {self.detail}".rstrip()


@dataclass
class SelfTestReport:
    steps: list[StepResult] = field(default_factory=list)
    seconds: float = 0.0
    kept: str | None = None  # the temporary project, kept because a step failed

    @property
    def passed(self) -> bool:
        return bool(self.steps) and all(s.passed for s in self.steps)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def _one_line(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, TransferLabError) else f"{type(exc).__name__}: {exc}"
    text = " ".join(str(text).split())
    return text if len(text) <= 240 else text[:237] + "..."


class _Runner:
    """Runs named steps in order, timing each; a step whose prerequisites failed is skipped."""

    def __init__(self, out: Callable[[str], None]):
        self.out = out
        self.report = SelfTestReport()
        self.failed: set[str] = set()

    def step(self, name: str, fn: Callable[[], str], needs: tuple[str, ...] = ()) -> bool:
        missing = [n for n in needs if n in self.failed]
        if missing:
            result = StepResult(name, "SKIP", 0.0, f"needs '{missing[0]}', which did not pass")
        else:
            started = time.perf_counter()
            try:
                detail = fn()
                result = StepResult(name, "PASS", time.perf_counter() - started, detail)
            except (StepFailed, TransferLabError) as exc:
                result = StepResult(name, "FAIL", time.perf_counter() - started, _one_line(exc))
            except Exception as exc:  # the self-test reports, it never crashes
                result = StepResult(name, "FAIL", time.perf_counter() - started, _one_line(exc),
                                    traceback.format_exc())
        if not result.passed:
            self.failed.add(name)
        self.report.steps.append(result)
        self.out(result.line())
        if result.debug and os.environ.get("TRANSFERLAB_DEBUG"):
            self.out(result.debug.rstrip())
        return result.passed


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def run_self_test(*, quick: bool = False, device: str = "auto", workdir: str | os.PathLike | None = None,
                  out: Callable[[str], None] = print) -> SelfTestReport:
    """Run every step and return the report (also printed line by line through ``out``).

    ``quick`` trains fewer epochs (tests use it); every step still runs for real. ``workdir``: where
    the temporary project goes (default: the system's temporary folder)."""
    started = time.perf_counter()
    frozen = "frozen app" if getattr(sys, "frozen", False) else "from source"
    out(f"TransferLab {__version__} self-test ({frozen}; Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}){' [quick]' if quick else ''}")
    runner = _Runner(out)
    tmp = Path(tempfile.mkdtemp(prefix="transferlab-selftest-", dir=workdir))
    state: dict = {}

    # Each step imports what it checks inside itself: a package missing from an installation (a
    # frozen app without onnxruntime, say) then fails its own step with a reason, not the whole test.
    def sample_data() -> str:
        from core.resources import sample_dir

        root = sample_dir()
        images = root / "images"
        classes = sorted(p.name for p in images.iterdir() if p.is_dir()) if images.is_dir() else []
        counts = {c: len(_images(images / c)) for c in classes}
        if len(classes) < 2 or min(counts.values()) < 3:
            raise StepFailed(f"the sample in {root} needs at least 2 classes of 3 images (found {counts})")
        tries = _images(root / "try") if (root / "try").is_dir() else []
        if not tries:
            raise StepFailed(f"the sample in {root} has no images in try/ to predict on")
        state.update(images=images, classes=classes, tries=tries)
        return f"{sum(counts.values())} images in {len(classes)} classes ({', '.join(classes)}), {len(tries)} to try"

    def weights() -> str:
        from core import weights as w
        from core.backbones import get, probe_default_for

        # the network trained on below, and every network of a picture probe's default (Lite0 + Lite1)
        names = dict.fromkeys([BACKBONE, *(probe_default_for("image").weights.members or ())])
        said = []
        for name in names:
            spec = get(name)
            found = w.locate(spec)
            if found is None:
                raise StepFailed(w.missing_message(spec))
            if found.source == "bundled" and spec.weights.sha256:
                digest = hashlib.sha256(found.path.read_bytes()).hexdigest()
                if not digest.startswith(spec.weights.sha256):
                    raise StepFailed(f"{found.path.name} is damaged (SHA-256 {digest[:12]}..., "
                                     f"expected {spec.weights.sha256[:12]}...)")
            said.append(f"{name} ({found.source}, {found.path.stat().st_size / 1e6:.0f} MB, checksum ok)")
        return ", ".join(said)

    def create_and_import() -> str:
        from core.importer import import_files
        from core.project import Project

        project = Project.create(tmp / "SelfTest", "image", "Self-test")
        state["project"] = project
        report = import_files(project, [state["images"]], labels="folder")
        expected = sum(len(_images(state["images"] / c)) for c in state["classes"])
        if report.added != expected:
            reasons = "; ".join(f"{Path(r.path).name}: {r.reason}" for r in report.rejected[:2])
            raise StepFailed(f"imported {report.added} of {expected} images" + (f" ({reasons})" if reasons else ""))
        status = project.status()
        return f"{report.added} images, splits " + "/".join(
            str(status.splits.get(s, 0)) for s in ("train", "val", "test")) + " (train/val/test)"

    def train() -> str:
        from core.train import TrainConfig, Trainer

        seen: dict = {}

        def listen(event) -> None:
            if type(event).__name__ == "FitStart":
                seen["device"] = event.device

        # The network's final features: the installation is checked on a model whose int8 variant
        # keeps its accuracy on 45 pictures (a probe reading every level can lose one of them in
        # int8, and the export then rightly does not write it)
        config = TrainConfig(backbone=BACKBONE, mode="probe", epochs=QUICK_PROBE_EPOCHS if quick else PROBE_EPOCHS,
                             device=device, seed=0, num_workers=0, probe_features="final")
        end = Trainer(state["project"], config, callbacks=[listen]).fit()
        if end.status not in ("completed", "early_stopped") or end.best_path is None:
            raise StepFailed(f"the run ended '{end.status}' with no model saved")
        acc = float(end.metrics.get("val_acc", 0.0))
        chance = 1.0 / len(state["classes"])
        if acc <= chance:
            raise StepFailed(f"validation accuracy {acc:.2f} is no better than chance ({chance:.2f})")
        state["run_id"] = end.run_id
        return f"{end.epochs_done} epochs on {seen.get('device', device)}, val acc {acc:.2f}"

    def export() -> str:
        from core.export.exporter import export_run

        report = export_run(state["project"], tmp / "selftest.onnx", state["run_id"], fp16=True, int8=True)
        state["export"] = report
        state["onnx"] = report.path
        v = report.variants["fp32"]
        return (f"{report.size_bytes / 1e6:.1f} MB, onnxruntime vs PyTorch max diff {report.parity_max_diff:.1e} "
                f"on {report.parity_samples} samples, {v['latency_ms']:.1f} ms per image, accuracy {v['accuracy']:.0%}")

    def variant(kind: str) -> Callable[[], str]:
        def check() -> str:
            report = state["export"]
            v, fp32 = report.variants[kind], report.variants["fp32"]
            if not v.get("written"):
                raise StepFailed(f"{kind} was not written: {v.get('reason')}")
            return (f"{v['size_bytes'] / 1e6:.1f} MB, {v['latency_ms']:.1f} ms per image (fp32 {fp32['latency_ms']:.1f}), "
                    f"accuracy {v['accuracy']:.0%} (fp32 {fp32['accuracy']:.0%}) on {v['samples']} images")
        return check

    def predict() -> str:
        from core.predict import Predictor

        report = state["export"]
        said = []
        for kind, v in report.variants.items():
            if not v.get("written"):
                continue
            predictions = Predictor(v["path"]).predict([str(p) for p in state["tries"]])
            errors = [p for p in predictions if p.error]
            if errors:
                raise StepFailed(f"{kind}: {Path(errors[0].path).name}: {errors[0].error}")
            # try/ files are named after their class: <class>_<n>.jpg
            right = sum(Path(p.path).stem.rsplit("_", 1)[0] == p.label for p in predictions)
            needed = (len(predictions) // 2) + 1
            if right < needed:
                detail = ", ".join(f"{Path(p.path).name} -> {p.label} {p.confidence:.2f}" for p in predictions)
                raise StepFailed(f"{kind}: only {right} of {len(predictions)} unseen images right ({detail})")
            said.append(f"{kind} {right}/{len(predictions)}")
        return "unseen images right: " + ", ".join(said)

    try:
        runner.step("sample data", sample_data)
        runner.step("bundled weights", weights)
        runner.step("project + import", create_and_import, needs=("sample data",))
        runner.step("train (probe)", train, needs=("bundled weights", "project + import"))
        runner.step("export ONNX", export, needs=("train (probe)",))
        runner.step("fp16 variant", variant("fp16"), needs=("export ONNX",))
        runner.step("int8 variant", variant("int8"), needs=("export ONNX",))
        runner.step("predict", predict, needs=("export ONNX",))
    finally:
        project = state.get("project")
        if project is not None:
            project.close()
        report = runner.report
        if report.passed:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            report.kept = str(tmp)
    report.seconds = time.perf_counter() - started
    n_pass = sum(s.passed for s in report.steps)
    if report.passed:
        out(f"PASS: all {len(report.steps)} steps passed in {report.seconds:.1f} s")
    else:
        out(f"FAIL: {n_pass} of {len(report.steps)} steps passed ({report.seconds:.1f} s); the temporary project "
            f"is kept in {report.kept}" + ("" if os.environ.get("TRANSFERLAB_DEBUG") else
                                           "; set TRANSFERLAB_DEBUG=1 for tracebacks"))
    return report


def main(quick: bool = False) -> int:
    """The ``--self-test`` entry: print the steps, return the exit code."""
    return run_self_test(quick=quick, out=lambda line: print(line, flush=True)).exit_code

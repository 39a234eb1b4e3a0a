"""`transferlab --self-test` passes on this machine, and reports a broken installation step by step."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from core import selftest
from core.cli import main as cli_main

STEPS = ["sample data", "bundled weights", "project + import", "train (probe)", "export ONNX", "fp16 variant",
         "int8 variant", "predict"]


@pytest.mark.slow  # the real bundled backbone and a real ONNX export with fp16 and int8: ~45 s on 2 idle cores
def test_self_test_passes_in_process(tmp_path):
    lines: list[str] = []
    report = selftest.run_self_test(quick=True, device="cpu", workdir=tmp_path, out=lines.append)
    assert report.passed, "\n".join(lines)
    assert report.exit_code == 0
    assert [s.name for s in report.steps] == STEPS
    assert all(s.status == "PASS" for s in report.steps)
    for step in STEPS:
        assert any(line.lstrip().startswith("PASS") and step in line for line in lines), step
    assert lines[-1].startswith("PASS: all 8 steps passed")
    assert "fp32 3/3, fp16 3/3, int8 3/3" in next(line for line in lines if "predict" in line)
    weights = next(line for line in lines if "bundled weights" in line)
    assert "efficientnet_lite0 (" in weights and "efficientnet_lite1 (" in weights  # a picture probe's two networks
    assert list(tmp_path.iterdir()) == []  # the temporary project is gone after a pass


@pytest.mark.slow  # the real bundled backbone (a probe on random test weights learns nothing from the sample)
def test_a_build_that_cannot_write_int8_fails_its_self_test(tmp_path, monkeypatch):
    """The packaged app could not quantise (onnxruntime's bare-name imports were not bundled): the
    self-test must fail on that step rather than pass on the fp32 model alone."""
    from core.export import variants

    def cannot_load():
        raise variants.VariantError("onnxruntime's quantisation tools cannot be loaded here "
                                    "(ModuleNotFoundError: No module named 'fusion_utils')")

    monkeypatch.setattr(variants, "_quantization", cannot_load)
    monkeypatch.setattr(selftest, "_Runner", _FastRunner)
    lines: list[str] = []
    report = selftest.run_self_test(quick=True, device="cpu", workdir=tmp_path, out=lines.append)
    assert report.exit_code == 1, "\n".join(lines)
    assert next(line for line in lines if "export ONNX" in line).lstrip().startswith("PASS")
    int8 = next(line for line in lines if "int8 variant" in line)
    assert int8.lstrip().startswith("FAIL") and "int8 was not written" in int8 and "fusion_utils" in int8


class _FastRunner(selftest._Runner):
    """Skips the bundled weights' checksum (read once by the passing test above)."""

    def step(self, name, fn, needs=()):
        if name == "bundled weights":
            return super().step(name, lambda: "not checked in this test", needs)
        return super().step(name, fn, needs)


def test_a_missing_sample_fails_its_step_and_skips_what_needs_it(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "resources"
    (empty / "sample").mkdir(parents=True)
    monkeypatch.setenv("TRANSFERLAB_RESOURCES", str(empty))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the kept project lands in tmp_path
    monkeypatch.setattr(selftest, "_Runner", _NoWeightsRunner)
    code = cli_main(["--self-test"])
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    sample_line = next(line for line in lines if "sample data" in line)
    assert sample_line.lstrip().startswith("FAIL") and "needs at least 2 classes" in sample_line
    assert " s  " in sample_line  # the step's time is printed on FAIL too
    for step in ("project + import", "train (probe)", "export ONNX", "predict"):
        assert next(line for line in lines if step in line).lstrip().startswith("SKIP")
    assert "FAIL:" in lines[-1] and "kept in" in lines[-1]
    kept = Path(lines[-1].split("kept in ", 1)[1].split(";")[0])
    assert kept.is_dir() and kept.parent == tmp_path


class _NoWeightsRunner(selftest._Runner):
    """Skips the (torch-importing) weights step: this test is about reporting, and must stay fast."""

    def step(self, name, fn, needs=()):
        if name == "bundled weights":
            return super().step(name, lambda: "not checked in this test", needs)
        return super().step(name, fn, needs)

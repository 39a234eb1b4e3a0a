"""Peak memory of `transferlab predict` on huge pictures, against the plain way to run the model.

Files (made here): a 13000x13000 RGB PNG of a few MB (169 megapixels: the picture from issue 17),
six copies of it in one folder, and a 24-megapixel JPEG photo (6000x4000). Model: a real export (the
bundled EfficientNet-Lite0 with a probe head trained on a few pictures, preprocessing inside).

Every measurement is a fresh process, the only child of a small launcher that reports its peak
resident memory (ru_maxrss of RUSAGE_CHILDREN), so each number belongs to that run alone.

  - transferlab:  `transferlab predict model.onnx FILE`, this checkout
  - before:       the same command from the commit before issue 17's fixes (git archive of BEFORE)
  - reference:    the README's own snippet: Pillow decodes the whole picture, onnxruntime runs it

Also the cost of the upkeep a project now does when opened for writing (issue 17.8): Project.open
of a 10,000-sample project with and without it, best of 5.

    .venv/bin/python bench/bench_hostile.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.machine import machine  # noqa: E402
from tests.helpers.hostile import run_measured, write_png  # noqa: E402

WORK = HERE / "work" / "hostile"
BEFORE = "db0476a"  # issue 17.1 only: the decoding and reading as they were
BIN = Path(sys.executable).parent / "transferlab"

REFERENCE = """
import sys, numpy as np, onnxruntime as ort
from PIL import Image
session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
for path in sys.argv[2:]:
    x = np.asarray(Image.open(path).convert("RGB"))[None]
    print(session.run(["probabilities"], {"image": x})[0][0].argmax())
"""


def make_files() -> dict[str, Path]:
    import numpy as np
    from PIL import Image

    WORK.mkdir(parents=True, exist_ok=True)
    huge = WORK / "huge_13000.png"
    if not huge.exists():
        write_png(huge, 13000, 13000, mode="RGB")
    six = WORK / "six"
    six.mkdir(exist_ok=True)
    for k in range(6):
        if not (six / f"huge_{k}.png").exists():
            shutil.copyfile(huge, six / f"huge_{k}.png")
    photo = WORK / "photo_24mp.jpg"
    if not photo.exists():
        rng = np.random.default_rng(0)
        small = rng.integers(0, 256, (400, 600, 3), dtype=np.uint8)  # smooth blobs, upscaled, plus grain
        im = np.asarray(Image.fromarray(small).resize((6000, 4000), Image.Resampling.BICUBIC), dtype=np.int16)
        im = (im + rng.integers(-12, 13, im.shape, dtype=np.int16)).clip(0, 255).astype(np.uint8)
        Image.fromarray(im).save(photo, quality=90)
    return {"huge": huge, "six": six, "photo": photo}


def make_model() -> Path:
    model = WORK / "model.onnx"
    if model.exists():
        return model
    from core.export.exporter import export_run
    from core.train import TrainConfig, Trainer
    from tests.helpers.training import make_colour_project

    tmp = WORK / "model_project"
    shutil.rmtree(tmp, ignore_errors=True)
    project = make_colour_project(tmp, per_class=6)
    Trainer(project, TrainConfig(mode="probe", epochs=10)).fit()
    export_run(project, model)
    project.close()
    return model


def before_checkout() -> Path:
    """core/ as it was at BEFORE, for the same command run on the old code."""
    dest = WORK / f"before_{BEFORE}"
    if not (dest / "core").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", BEFORE, "core"], check=True,
                                 capture_output=True).stdout
        tar = dest / "core.tar"
        tar.write_bytes(archive)
        with tarfile.open(tar) as t:
            t.extractall(dest)
        tar.unlink()
    return dest


def measure(name: str, cmd: list, code_root: Path | None = None) -> dict:
    """One fresh process; ``code_root``: run TransferLab's code from there (PYTHONPATH)."""
    env = {**os.environ, "PYTHONPATH": str(code_root)} if code_root is not None else None
    t = time.perf_counter()
    code, out, err, peak = run_measured(cmd, timeout=1800, env=env)
    seconds = time.perf_counter() - t
    warnings = [line for line in err.splitlines() if "Warning" in line]
    row = {"what": name, "exit": code, "peak_rss_mib": round(peak, 1), "seconds": round(seconds, 2),
           "pillow_warnings_on_stderr": len(warnings)}
    print(json.dumps(row))
    return row


def open_cost(samples: int, repeats: int = 5) -> dict:
    """Project.open with the upkeep against Project.open without it, on one project."""
    import numpy as np
    from PIL import Image

    import core.project.project as project_module
    from core.importer import import_files
    from core.project import Project

    src, proj = WORK / f"open_src_{samples}", WORK / f"open_project_{samples}"
    if not (proj / "project.toml").exists():
        shutil.rmtree(proj, ignore_errors=True)
        rng = np.random.default_rng(1)
        for i in range(samples):
            folder = src / f"c{i % 10}"
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(folder / f"{i}.png")
        with Project.create(proj, "image") as p:
            import_files(p, [src])
    real_tidy = project_module.tidy
    best = {}
    for _ in range(repeats):
        for label, tidy in (("without_upkeep", lambda project: project.upkeep), ("with_upkeep", real_tidy)):
            project_module.tidy = tidy
            t = time.perf_counter()
            with Project.open(proj) as p:
                n = p.count()
            best[label] = min(best.get(label, 1e9), time.perf_counter() - t)
    project_module.tidy = real_tidy
    row = {"samples": n, **{f"{k}_ms": round(v * 1000, 1) for k, v in best.items()}}
    print(json.dumps(row))
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-reference", action="store_true", help="skip the runs that need about 5 GiB")
    ap.add_argument("--out", default=str(HERE / "results" / "hostile.json"))
    args = ap.parse_args()
    files = make_files()
    model = make_model()
    old = before_checkout()
    rows = []
    for key, label in (("huge", "13000x13000 PNG"), ("six", "six 13000x13000 PNGs"), ("photo", "24 MP JPEG")):
        target = files[key]
        rows.append(measure(f"transferlab predict, {label}", [BIN, "predict", model, target]))
        if not args.skip_reference:
            rows.append(measure(f"before ({BEFORE}), {label}", [BIN, "predict", model, target], code_root=old))
            paths = sorted(target.iterdir()) if target.is_dir() else [target]
            rows.append(measure(f"reference (README snippet), {label}",
                                [sys.executable, "-c", REFERENCE, model, *paths]))
    doc = {
        "benchmark": "peak resident memory of predicting huge pictures with an exported model (one process each)",
        "model": "efficientnet_lite0 (bundled weights) + probe head, exported by TransferLab",
        "reference": "the README's snippet: Pillow decodes the whole picture, onnxruntime runs the model on it",
        "before": f"the same `transferlab predict` at commit {BEFORE}, before issue 17's decoding changes",
        "files": {k: {"path": str(p.relative_to(WORK)), "bytes": sum(f.stat().st_size for f in p.iterdir())
                      if p.is_dir() else p.stat().st_size} for k, p in files.items()},
        "results": rows,
        "project_open": open_cost(10000),
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    Path(args.out).write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

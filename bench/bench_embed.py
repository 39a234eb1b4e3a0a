"""Time to a first model on the CPU: the end-to-end probe against the bare network loops, same files.

On 5,000 96x96 JPEGs of 10 classes (drawn here), in one run:

- bare torch: eager EfficientNet-Lite0 features, batch 32 at 224 px, on prepared tensors (the
  network alone), with and without channels_last;
- bare onnxruntime: the same network exported to ONNX, on the same prepared tensors;
- end to end: ``transferlab train DIR --mode probe`` in a fresh process (decoding, resizing,
  embedding, the probe's model choice and fit, the checkpoint), with the feature network already
  built (its one-time export is timed separately), and its peak memory.

The end-to-end embedding rate is the trainer's own: samples embedded over the time extraction took
(its "Embedded N samples (R a second)" line), set against the bare loop on the same network, both
in TransferLab's session and in one with onnxruntime's default settings fed 32 at a time, each run
just before and just after the probe (their mean: the host's speed drifts within minutes). The
probe runs ``--repeats`` times (3), each time with its embeddings computed afresh and the bare loops
measured again after it; the figures are the medians, every run is kept in the file. Targets (issue 21): at least 0.8
of the bare onnxruntime rate, under 40 s for the whole probe, under 1 GiB peak.

Run: .venv/bin/python bench/bench_embed.py [--images 5000] [--repeats 3] [--backbone NAME] [--out FILE]
     ->  bench/results/embed.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from bench.machine import machine  # noqa: E402

# Peak memory is the process's own high-water mark (VmHWM), not getrusage's ru_maxrss: a child
# started by this bench (vfork + exec) inherits the bench's own peak in ru_maxrss, which after the
# bare loops read 2.4 GB for a probe whose own peak was 1.0 GB.
PEAK_WRAPPER = (
    "import sys, time; from core.cli import main; t = time.perf_counter(); code = main(sys.argv[1:]); "
    "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]; "
    "print('PEAK_KIB', hwm, 'SECONDS', time.perf_counter() - t, file=sys.stderr); sys.exit(code)"
)


def make_images(folder: Path, n: int, classes: int = 10, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for k in range(classes):
        (folder / f"c{k}").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        k = i % classes
        img = Image.new("RGB", (96, 96), tuple(int(v) for v in rng.integers(0, 256, 3)))
        d = ImageDraw.Draw(img)
        for _ in range(k + 1):
            x, y = rng.integers(0, 80, 2)
            d.ellipse([x, y, x + 16, y + 16], fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
        img.save(folder / f"c{k}" / f"{i:05d}.jpg", quality=90)


BACKBONE = "efficientnet_lite0"  # what the probe of 5,000 pictures trains on by default (--backbone: another)


def _loop(paths, threads: int, seconds: float):
    """(the default picture backbone, 64 prepared pictures, rate(fn): pictures a second ``fn`` gets
    through, fed the same two batches of 32 for ``seconds``)."""
    from core import backbones

    torch.set_num_threads(threads)
    spec = backbones.get(BACKBONE)
    tensors = torch.stack([spec.preprocessing.load(p) for p in paths[:64]])
    batches = [tensors[i:i + 32] for i in (0, 32)]

    def rate(fn) -> float:
        fn(batches[0])
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for b in batches:
                fn(b)
                done += len(b)
        return done / (time.perf_counter() - start)

    return spec, tensors, rate


def bare_loops(paths, threads: int, seconds: float = 20.0) -> dict:
    from core import features_onnx
    from core.weights import load_pretrained

    spec, tensors, rate = _loop(paths, threads, seconds)
    model = load_pretrained(spec)
    with torch.inference_mode():
        eager = rate(lambda b: model(b))
        cl_model = load_pretrained(spec).to(memory_format=torch.channels_last)
        cl = rate(lambda b: cl_model(b.contiguous(memory_format=torch.channels_last)))
    t0 = time.perf_counter()
    runner = features_onnx.for_model(spec, model, model.weights_identity)
    build = time.perf_counter() - t0
    ort_rate = rate(lambda b: runner(b))
    with torch.inference_mode():
        diff = float(np.abs(runner(tensors[:32]) - model(tensors[:32]).numpy()).max())
    pooled, pooled_runner, pooled_rates = pooled_loops(paths, threads, seconds)
    with torch.inference_mode():
        pooled_diff = float(np.abs(pooled_runner(tensors[:32]) - pooled(tensors[:32]).numpy()).max())
    return {"torch_eager_per_s": eager, "torch_channels_last_per_s": cl, "onnxruntime_per_s": ort_rate,
            **pooled_rates, "onnx_network_build_s_first_use": build,
            "max_feature_diff_onnx_vs_torch": diff, "max_feature_diff_pooled": pooled_diff}


def pooled_loops(paths, threads: int, seconds: float = 20.0):
    """(network, runner, rates) of what a probe embeds by default (every level pooled, the narrower
    ones on a 2x2 grid) in TransferLab's session and in one with onnxruntime's defaults fed 32 at a
    time: the reference that no setting of TransferLab's own (rows per call, no spinning) can make
    look slower than it is. Run before and after each probe: this host's speed drifts by a sixth
    within minutes, and each probe's ratio is set against the mean of the runs either side."""
    import onnxruntime as ort

    from core import features_onnx
    from core.weights import load_pretrained

    spec, _, rate = _loop(paths, threads, seconds)

    pooled = load_pretrained(spec).pool_levels(spec.preprocessing.example_batch(1), grid=2)
    runner = features_onnx.for_model(spec, pooled, pooled.weights_identity + pooled.feature_tag)
    own = rate(lambda b: runner(b))
    plain = ort.InferenceSession(str(runner.path), providers=["CPUExecutionProvider"])
    default = rate(lambda b: plain.run(None, {plain.get_inputs()[0].name: b.numpy()}))
    return pooled, runner, {"onnxruntime_pooled_levels_per_s": own, "onnxruntime_pooled_default_session_per_s": default}


def _dirty_mib() -> float:
    """Written data the kernel has yet to put on disk (Linux; 0 elsewhere)."""
    try:
        return next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("Dirty:")) / 1024
    except (OSError, StopIteration):
        return 0.0


def cli(args, env) -> tuple[float, float, str]:
    """(seconds inside the command, peak MiB, stderr) of ``transferlab ARGS`` in a fresh process."""
    out = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    tail = out.stderr.rsplit("PEAK_KIB", 1)[1].split()
    return float(tail[2]), int(tail[0]) / 1024, out.stdout + out.stderr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backbone", help="train and loop on this backbone (default: efficientnet_lite0, which "
                        "`train --mode probe` picks for 5,000 pictures on the CPU)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "embed.json"))
    a = parser.parse_args()
    global BACKBONE
    BACKBONE = a.backbone or BACKBONE
    work = Path(tempfile.mkdtemp(prefix="bench-embed-"))
    env = {**os.environ, "TRANSFERLAB_CACHE_DIR": str(work / "usercache"), "TRANSFERLAB_DATA_DIR": str(work / "userdata")}
    os.environ.update({k: env[k] for k in ("TRANSFERLAB_CACHE_DIR", "TRANSFERLAB_DATA_DIR")})
    try:
        make_images(work / "imgs", a.images)
        paths = sorted((work / "imgs").rglob("*.jpg"))
        bare = bare_loops(paths, a.threads)
        project = work / "proj"
        cli(["new", str(project), "--task", "image"], env)
        cli(["import", str(project), str(work / "imgs")], env)
        dirty = _dirty_mib()
        loops = [{k: bare[k] for k in ("onnxruntime_pooled_levels_per_s", "onnxruntime_pooled_default_session_per_s")}]
        probes = []
        for _ in range(a.repeats):  # probe, bare loops, probe, bare loops...: each probe between two
            shutil.rmtree(project / "cache", ignore_errors=True)  # its embeddings computed afresh
            os.sync()  # the files just written go to disk now, not while the probe is timed
            seconds, peak, log = cli(["train", str(project), "--mode", "probe",
                                      *(["--backbone", a.backbone] if a.backbone else [])], env)
            embedded = re.search(r"Embedded (\d+) (?:samples|inputs: \d+ samples and \d+ altered views of them) \((\d+) a second\)", log)
            solved = re.search(r"Probe solved in ([\d.]+)s", log)
            loops.append(pooled_loops(paths, a.threads, seconds=10.0)[2])
            rate = float(embedded.group(2))  # the trainer's own count over the time extract took
            own = (loops[-2]["onnxruntime_pooled_levels_per_s"] + loops[-1]["onnxruntime_pooled_levels_per_s"]) / 2
            default = (loops[-2]["onnxruntime_pooled_default_session_per_s"]
                       + loops[-1]["onnxruntime_pooled_default_session_per_s"]) / 2
            probes.append({"end_to_end_s": seconds, "peak_mib": peak, "embedded": int(embedded.group(1)),
                           "embedding_per_s": rate, "solve_s": float(solved.group(1)),
                           "vs_bare_same_session": rate / own, "vs_bare_default_session": rate / default,
                           "log": [line for line in log.splitlines() if line.strip()][:8]})
            print(json.dumps({k: v for k, v in probes[-1].items() if k != "log"}), flush=True)

        def median(key):
            return float(np.median([p[key] for p in probes]))

        result = {
            "machine": machine(), "backbone": BACKBONE, "images": a.images, "threads": a.threads, **bare,
            "dirty_mib_before_sync": dirty, "repeats": a.repeats,
            "probe_end_to_end_s": median("end_to_end_s"), "probe_peak_mib": median("peak_mib"),
            "probe_embedding_per_s": median("embedding_per_s"), "probe_solve_s": median("solve_s"),
            "embedding_vs_bare_same_session": median("vs_bare_same_session"),
            "embedding_vs_bare_default_session": median("vs_bare_default_session"),
            "bare_pooled_loops": loops, "probes": probes,
        }
        print(json.dumps(result, indent=1))
        out = Path(a.out)
        out.write_text(json.dumps(result, indent=1) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Unsupervised domain adaptation, measured: a model trained on one domain (the source run) adapted
to a project of another domain with 0 or 5 labels a class (``train --from-run``, core.train.adapt),
against the source model as it is and against the labelled samples alone; same files, one run.

Domain-shift pairs, each made once under ``~/.cache/transferlab-suite-adapt``:
- pictures: six shapes drawn cleanly on flat backgrounds (the suite's shapes) -> the same drawings
  blurred, with heavy sensor noise, recoloured and dim (channels swapped, a third of the light), or
  on photographs of grass, gravel and brick (background change);
- sounds: five words spoken by espeak-ng (the suite's speakers) -> the same speakers in loud noise
  (pink, brown, hum or babble at 0-6 dB), or clean words from other speakers (the suite's test
  voices and accents, never in the source).

One source run for the pictures and one for the sounds: a default ``transferlab train`` (a probe)
on 40 labelled source files a class. Per pair, a target project holds the target pool (60 a class)
unlabelled; the held-out target test files (30 a class) are in a project of their own and are
never imported into the target project. Columns, all on those test files:
- source model: the source run as it is;
- AdaBN: ``--from-run`` with self-training switched off (core.train.adapt.SELF_TRAIN);
- AdaBN + self-training: ``--from-run`` as shipped (adapt auto);
- with 5 labels a class (several seeds): adapt auto (cross-validation decides), the from-run probe
  without adaptation (adapt off), and a probe on the labelled samples alone (ImageNet backbone,
  unlabelled ignored).
With 0 labels the runs are deterministic (one run each).

Run: nice -n 10 .venv/bin/python bench/bench_adapt.py [--pairs a,b] [--seeds 3]
     -> bench/results/adapt.json and a markdown table on stdout
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from bench.bench_transfer_suite import labelled_subset  # noqa: E402
from bench.suite import audio, images, results, tasks  # noqa: E402

ADAPT_ROOT = tasks.default_root().parent / "transferlab-suite-adapt"
SOURCE_N, POOL_N, TEST_N = 40, 60, 30
VERSION = 1
IMAGE_PAIRS = ("blur", "noise", "recolour", "background")
AUDIO_PAIRS = ("noisy", "speakers")
SOUND_WORDS = audio.WORDS[:5]


def draw_picture(k: int, rng, domain: str) -> Image.Image:
    size = 80
    if domain == "background":
        tex = images._texture(["grass", "gravel", "brick"][int(rng.integers(3))])
        y, x = rng.integers(0, 512 - size, 2)
        img = Image.fromarray(tex[y:y + size, x:x + size]).copy()
        bg = np.asarray(img).reshape(-1, 3).mean(0)
    else:
        img = images._background(rng, size, "flat")
        bg = np.asarray(img)[0, 0]
    d = ImageDraw.Draw(img)
    r = float(rng.uniform(14, 28))
    cx, cy = rng.uniform(r + 2, size - r - 2, 2)
    images._shape(d, images.SHAPES[k], cx, cy, r, float(rng.uniform(0, 2 * math.pi)),
                  fill=images._contrast_colour(rng, bg, 200 if domain == "background" else 180))
    if domain == "blur":
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(2.5, 3.5))))
    elif domain == "noise":
        img = images._noise(img, rng, float(rng.uniform(45, 60)))
    elif domain == "recolour":
        arr = np.asarray(img, dtype=np.float32)[..., [2, 0, 1]] * 0.33 + 8
        img = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    return img


def draw_sound(k: int, rng, domain: str) -> np.ndarray:
    split = "test" if domain == "speakers" else "pool"  # the suite's unseen voices and accents
    word = audio.speak(SOUND_WORDS[k], *audio._speaker(rng, split))
    clip = audio._place(word, rng, 1.0, 0.002)
    if domain == "noisy":
        n = len(clip)
        kind = int(rng.integers(4))
        noise = (audio._coloured_noise(rng, n, 1.0), audio._coloured_noise(rng, n, 2.0), audio._hum(rng, n),
                 audio._babble(rng, n))[kind]
        snr = float(rng.uniform(0, 6))
        p_sig, p_noise = float(np.mean(word ** 2)), float(np.mean(noise ** 2)) + 1e-12
        clip = clip + noise * np.sqrt(p_sig / (p_noise * 10 ** (snr / 10)))
    return (clip / max(1.0, float(np.abs(clip).max()))).astype(np.float32)


def materialise(modality: str, domain: str) -> Path:
    """<root>/<modality>-<domain>/{pool,test}/<class>/ files, made once."""
    classes = images.SHAPES if modality == "image" else SOUND_WORDS
    counts = {"pool": SOURCE_N if domain == "clean" else POOL_N, "test": TEST_N}
    folder = ADAPT_ROOT / f"{modality}-{domain}"
    stamp = folder / "made.json"
    wanted = {"version": VERSION, "counts": counts, "classes": list(classes)}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    for split, n in counts.items():
        for k, cls in enumerate(classes):
            out = folder / split / cls
            out.mkdir(parents=True, exist_ok=True)
            rng = np.random.default_rng([VERSION, k, 0 if split == "pool" else 1, sum(map(ord, modality + domain))])
            for i in range(n):
                if modality == "image":
                    draw_picture(k, rng, domain).save(out / f"{i:04d}.png")
                else:
                    import soundfile as sf

                    sf.write(out / f"{i:04d}.wav", draw_sound(k, rng, domain), audio.RATE, subtype="PCM_16")
    stamp.write_text(json.dumps(wanted))
    return folder


class Held:
    """A pair's held-out target test files in a project of their own; a run's accuracy on them
    through its own backbone (its embeddings cached under the backbone's identity)."""

    def __init__(self, work: Path, folder: Path, modality: str):
        from core.importer import import_files
        from core.project import Project

        self.project = Project.create(work / "held-out", modality, "held-out target files")
        import_files(self.project, [folder / "test"])
        self.samples = self.project.samples(status="ok")
        self.truth = [s.label for s in self.samples]

    def accuracy(self, loaded, identity: str) -> float:
        import torch

        from core import features

        found = features.extract(loaded.spec, [(s.hash, features.sample_source(self.project, loaded.spec, s))
                                               for s in self.samples], cache_dir=self.project.cache_dir,
                                  model=loaded.model.backbone, weights_identity=identity)
        assert len(found.hashes) == len(self.samples), found.failed
        with torch.inference_mode():
            logits = loaded.model.forward_features(torch.from_numpy(found.vectors))
        names = loaded.class_names
        guess = logits[:, :len(names)].argmax(1).tolist()
        return float(np.mean([names[g] == t for g, t in zip(guess, self.truth)]))


def identity_of(project, loaded, source_dir: str) -> str:
    """The embedding-cache identity of a run's backbone: adapted, the source run's, or ImageNet's."""
    from core.train.from_run import read_init_run
    from core.weights import resolve

    if loaded.meta.get("backbone_identity"):
        return loaded.meta["backbone_identity"]
    if loaded.meta.get("from_run"):
        return read_init_run(project, source_dir).identity
    return resolve(loaded.spec).identity


def source_run(work: Path, modality: str):
    """A default probe on the clean source files; (project, run folder, held-out clean accuracy)."""
    from core.importer import import_files
    from core.project import Project
    from core.train import Trainer, TrainConfig

    folder = materialise(modality, "clean")
    project = Project.create(work / f"source-{modality}", modality, "source domain")
    import_files(project, [folder / "pool"])
    result = Trainer(project, TrainConfig()).fit()
    return project, result


def run_pair(modality: str, domain: str, src, seeds: int, work: Path) -> list[dict]:
    from core.importer import import_files
    from core.project import Project
    from core.runs import load_run
    from core.train import adapt, probe_fit, Trainer, TrainConfig

    probe_fit.earlier_choice = lambda *a, **k: None  # each labelled set is a project of its own
    src_project, src_result = src
    source_dir = src_result.run_dir
    folder = materialise(modality, domain)
    pair = f"{modality}: clean -> {domain}"
    pwork = work / f"{modality}-{domain}"
    pwork.mkdir(parents=True)
    held = Held(pwork, folder, modality)
    target = Project.create(pwork / "target", modality, f"target {domain}")
    import_files(target, [folder / "pool"], labels="none")
    ids = {Path(s.original_path).resolve(): s.id for s in target.samples()}
    pool_paths = sorted(ids)
    pool_labels = np.array([p.parent.name for p in pool_paths])

    def test_acc(project, run_id):
        loaded = load_run(project, run_id)
        return held.accuracy(loaded, identity_of(project, loaded, source_dir))

    rows = []
    t0 = time.perf_counter()
    row = {"pair": pair, "per_class": 0, "seed": 0, "source": test_acc(src_project, src_result.run_id)}
    r = Trainer(target, TrainConfig(from_run=source_dir)).fit()  # as shipped: AdaBN alone without labels
    row["adabn"] = test_acc(target, r.run_id)
    adapt.SELF_TRAIN_WITHOUT_LABELS = True
    r = Trainer(target, TrainConfig(from_run=source_dir)).fit()
    adapt.SELF_TRAIN_WITHOUT_LABELS = False
    row["adapted"] = test_acc(target, r.run_id)
    row["record"] = r.metrics.get("adaptation")
    row["seconds"] = time.perf_counter() - t0
    rows.append(row)
    print(f"{pair:28s} 0 labels: source {row['source']:.3f}  AdaBN {row['adabn']:.3f}  "
          f"AdaBN+self-training {row['adapted']:.3f}", flush=True)
    for seed in range(seeds):
        t0 = time.perf_counter()
        idx = labelled_subset(pool_labels, 5, seed)
        target.set_labels([(ids[pool_paths[i]], str(pool_labels[i])) for i in idx])
        row = {"pair": pair, "per_class": 5, "seed": seed, "source": rows[0]["source"]}
        r = Trainer(target, TrainConfig(from_run=source_dir, seed=seed)).fit()
        row["adapted"], row["record"] = test_acc(target, r.run_id), r.metrics.get("adaptation")
        r = Trainer(target, TrainConfig(from_run=source_dir, adapt="off", seed=seed)).fit()
        row["from_run_labelled"] = test_acc(target, r.run_id)
        r = Trainer(target, TrainConfig(unlabelled="ignore", seed=seed)).fit()
        row["labelled_only"] = test_acc(target, r.run_id)
        target.set_labels([(ids[pool_paths[i]], None) for i in idx])
        target.reset_splits()
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)
        rec = row["record"] or {}
        print(f"{pair:28s} 5 labels seed {seed}: adapt auto {row['adapted']:.3f} ({rec.get('method') or 'labelled only'})"
              f"  from-run, labelled {row['from_run_labelled']:.3f}  labelled only {row['labelled_only']:.3f}", flush=True)
    target.close()
    held.project.close()
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    out = []
    for pair in dict.fromkeys(r["pair"] for r in rows):
        zero = [r for r in rows if r["pair"] == pair and r["per_class"] == 0]
        five = [r for r in rows if r["pair"] == pair and r["per_class"] == 5]
        s = {"pair": pair}
        if zero:
            z = zero[0]
            s.update(source=z["source"], adabn=z["adabn"], adapted_0=z["adapted"],
                     gain_0=100 * (z["adabn"] - z["source"]), gain_0_self_training=100 * (z["adapted"] - z["source"]),
                     pseudo_labelled=((z.get("record") or {}).get("self_training") or {}).get("pseudo_labelled"))
        if five:
            s.update(seeds=len(five), adapted_5=float(np.mean([r["adapted"] for r in five])),
                     from_run_labelled_5=float(np.mean([r["from_run_labelled"] for r in five])),
                     labelled_only_5=float(np.mean([r["labelled_only"] for r in five])),
                     adaptation_used_5=sum(bool((r.get("record") or {}).get("used")) for r in five))
        out.append(s)
    return out


def table(summary: list[dict]) -> str:
    def pct(v):
        return "" if v is None else f"{100 * v:.1f}"

    lines = ["| pair | source model | 0 labels: AdaBN (default) | gain | 0 labels: AdaBN + self-training | gain | "
             "5 labels: adapt auto | 5 labels: from-run, no adaptation | 5 labels: labelled only | adapted (runs) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for s in summary:
        lines.append(f"| {s['pair']} | {pct(s.get('source'))} | {pct(s.get('adabn'))} | {s.get('gain_0', 0):+.1f} | "
                     f"{pct(s.get('adapted_0'))} | {s.get('gain_0_self_training', 0):+.1f} | {pct(s.get('adapted_5'))} | {pct(s.get('from_run_labelled_5'))} | "
                     f"{pct(s.get('labelled_only_5'))} | {s.get('adaptation_used_5', '')} of {s.get('seeds', '')} |")
    mean = {k: np.mean([s[k] for s in summary if k in s]) for k in
            ("source", "adabn", "adapted_0", "gain_0", "gain_0_self_training", "adapted_5", "from_run_labelled_5",
             "labelled_only_5")
            if any(k in s for s in summary)}
    lines.append(f"| mean | {pct(mean.get('source'))} | {pct(mean.get('adabn'))} | **{mean.get('gain_0', 0):+.1f}** | "
                 f"{pct(mean.get('adapted_0'))} | {mean.get('gain_0_self_training', 0):+.1f} | {pct(mean.get('adapted_5'))} | {pct(mean.get('from_run_labelled_5'))} | "
                 f"{pct(mean.get('labelled_only_5'))} | |")
    return "\n".join(lines)


def main() -> None:
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", default=",".join([f"image-{d}" for d in IMAGE_PAIRS] + [f"audio-{d}" for d in AUDIO_PAIRS]))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "adapt.json"))
    a = parser.parse_args()
    # the logistic fits are small: on 2 busy cores one torch thread ran them 7x faster than two
    torch.set_num_threads(1)
    work = Path(tempfile.mkdtemp(prefix="adapt-"))
    started = time.perf_counter()
    rows, sources = [], {}
    pairs = [p.split("-", 1) for p in a.pairs.split(",")]

    def save():
        return results.save(a.out, started, rows, summarise, seeds=a.seeds, pairs=a.pairs.split(","),
                            sizes={"source": SOURCE_N, "target_pool": POOL_N, "test": TEST_N})

    try:
        for modality, domain in pairs:
            if modality not in sources:
                sources[modality] = source_run(work, modality)
            rows += run_pair(modality, domain, sources[modality], a.seeds, work)
            save()
    finally:
        for project, _ in sources.values():
            project.close()
        shutil.rmtree(work, ignore_errors=True)
    print(table(save()["summary"]))


if __name__ == "__main__":
    main()

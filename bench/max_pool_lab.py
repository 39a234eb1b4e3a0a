"""Each level's maximum over the picture beside its mean (issue 14): does the default probe gain
from knowing whether a part is anywhere in the picture, not only how much of it there is on average?

A target object among clutter (scenes), a detail of a face, a stroke of a glyph: the spatial mean of
a level dilutes one small part among everything else in the picture; its per-channel maximum says
whether the part is there at all. The default probe (grid, levels and final features of every level,
chosen by cross-validation) had only means.

This is bench/std_pool_lab.py with its extra statistic swapped: the forward hooks on the same level
modules keep each level's per-channel spatial maximum (``max``, the default) or its generalised mean
with p = 3 (``--pool gem``) instead of the standard deviation; everything else (the embedding of
every pool and test file and of the two altered views of the labelled pictures of seeds 0-2 at 5
and 20 a class, the default probe's steps on the features, the plain probe on the same files) is
that lab's. Variant ``A`` is the default's columns (means) alone; ``B`` adds every level's maximum
to the grid and levels column sets (the form core.backbones.feature_models' ``maxed`` took);
``B_extra`` offers grid + maxima as a fourth set instead; ``B_le320`` adds the maxima of the
narrower levels only.

Run: OMP_NUM_THREADS=1 .venv/bin/python bench/max_pool_lab.py embed [--tasks a,b] [--pool max|gem] [--crop 448]
     OMP_NUM_THREADS=1 .venv/bin/python bench/max_pool_lab.py run --variants A,B [--tasks a,b]
     -> bench/results/max_pool_lab.json (every draw's rows) and a markdown table (B-A: mean gain in
     points over the 3 seeds, and the worst seed's).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench import std_pool_lab as lab  # noqa: E402


def use_pool(kind: str) -> None:
    """Make std_pool_lab keep each level's ``kind`` statistic (its own file of features)."""
    lab.FEATURES = f"{kind}-lab-features.npz"

    def keep(self, _m, _i, out):
        o = out.float()
        if kind == "max":
            self.seen.append(o.amax(dim=(2, 3)))
        else:  # generalised mean, p = 3, of the non-negative part
            self.seen.append(o.clamp(min=1e-6).pow(3).mean(dim=(2, 3)).pow(1 / 3))

    lab.StdHooks._keep = keep


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--pool", choices=("max", "gem"), default="max")
    parser.add_argument("--crop", type=int, default=224,
                        help="the picture's side the network reads (448: twice the default; its own features file)")
    known, rest = parser.parse_known_args()
    use_pool(known.pool)
    if known.crop != 224:
        from bench import semi_lab

        lab.FEATURES = f"{known.pool}{known.crop}-lab-features.npz"
        spec_of = semi_lab.task_spec
        semi_lab.task_spec = lambda modality, paths: spec_of(modality, paths).with_preprocessing(
            crop_size=known.crop, resize_size=round(known.crop * 256 / 224))
    if "--out" not in rest:
        suffix = ("" if known.pool == "max" else f"_{known.pool}") + ("" if known.crop == 224 else f"_{known.crop}")
        rest += ["--out", str(ROOT / "bench" / "results" / f"max_pool_lab{suffix}.json")]
    sys.argv = [sys.argv[0], *rest]
    torch.set_num_threads(1)
    lab.main()


if __name__ == "__main__":
    main()

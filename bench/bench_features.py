"""Feature extraction through the registry against a bare ``model(x)`` loop, and cached embeddings.

Reference: the same model called directly on the same preprocessed tensors, same batch size, same
thread count. The registry path (``core.features.extract``) adds item bookkeeping, batching and
result collection; its throughput should be at least 0.9 of the bare loop. Then 1,000 cached
embeddings are read back through ``extract`` (target: under 0.5 s).

Run: .venv/bin/python bench/bench_features.py  ->  bench/results/features.json
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core import backbones  # noqa: E402
from core.backbones.latency import cpu_model  # noqa: E402
from core.features import EmbeddingCache, extract  # noqa: E402
from core.weights import load_pretrained, resolve  # noqa: E402

N_ITEMS = 64
BATCH = 16
REPEATS = 5


def bare_loop(model, tensors, batch):
    with torch.inference_mode():
        for i in range(0, len(tensors), batch):
            model(torch.stack(tensors[i:i + batch]))


def through_registry(spec, model, tensors, batch):
    extract(spec, [(f"{i}", t) for i, t in enumerate(tensors)], model=model, batch_size=batch, load_workers=1)


def compare(spec, model, tensors):
    bare, registry = [], []
    bare_loop(model, tensors[:BATCH], BATCH)  # warm-up
    for _ in range(REPEATS):  # interleaved so drifts in clock speed hit both alike
        start = time.perf_counter()
        bare_loop(model, tensors, BATCH)
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        through_registry(spec, model, tensors, BATCH)
        registry.append(time.perf_counter() - start)
    b, r = statistics.median(bare), statistics.median(registry)
    return {
        "backbone": spec.name,
        "weights": getattr(model, "weights_identity", "random (same arithmetic)"),
        "items": len(tensors), "batch_size": BATCH, "repeats": REPEATS,
        "bare_s": round(b, 4), "registry_s": round(r, 4),
        "bare_items_per_s": round(len(tensors) / b, 1), "registry_items_per_s": round(len(tensors) / r, 1),
        "throughput_ratio": round(b / r, 3),
    }


def cached_read(spec, n=1000):
    identity = resolve(spec).identity
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(tmp, spec, identity)
        cache.put_many({f"{i:064x}": rng.standard_normal(spec.feature_dim).astype(np.float32) for i in range(n)})
        cache.close()
        items = [(f"{i:064x}", None) for i in range(n)]
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            got = extract(spec, items, cache_dir=tmp)
            times.append(time.perf_counter() - start)
            assert got.cached == n and got.computed == 0
    return {"backbone": spec.name, "samples": n, "feature_dim": spec.feature_dim,
            "first_s": round(times[0], 4), "median_s": round(statistics.median(times), 4), "target_s": 0.5}


def main() -> int:
    threads = torch.get_num_threads()
    rng = np.random.default_rng(0)
    results = {
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "torch_threads": threads,
                    "torch": torch.__version__, "python": platform.python_version(),
                    "platform": platform.platform()},
        "extraction": [], "cached": None,
    }
    lite0 = backbones.get("efficientnet_lite0")
    tensors = [torch.from_numpy(rng.standard_normal((3, 224, 224)).astype(np.float32)) for _ in range(N_ITEMS)]
    results["extraction"].append(compare(lite0, load_pretrained(lite0), tensors))
    small = backbones.get("mobilenet_v3_small")
    results["extraction"].append(compare(small, small.build().eval(), tensors))
    speech = backbones.get("wav2vec2_base")
    waves = [torch.from_numpy((0.1 * rng.standard_normal(16000)).astype(np.float32)) for _ in range(32)]
    results["extraction"].append(compare(speech, speech.build().eval(), waves))
    results["cached"] = cached_read(lite0)

    out = ROOT / "bench" / "results" / "features.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    for row in results["extraction"]:
        print(f"{row['backbone']:22s} bare {row['bare_items_per_s']:7.1f}/s  registry "
              f"{row['registry_items_per_s']:7.1f}/s  ratio {row['throughput_ratio']:.3f}")
    c = results["cached"]
    print(f"{c['samples']} cached embeddings: first {c['first_s']:.3f} s, median {c['median_s']:.3f} s")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

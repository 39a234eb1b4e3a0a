"""PyTorch's OpenMP threads spin briefly, not for 300,000 turns, before they sleep (core/__init__.py):
with something else running on a 2-core machine, the default spinning made a probe's solve 23
times slower. Set before PyTorch loads, for the engine and the app, unless the person chose."""

import os
import subprocess
import sys

import pytest

READ = "import os, {module}; import torch; print(os.environ.get('GOMP_SPINCOUNT'), 'torch' in __import__('sys').modules)"


@pytest.mark.parametrize("module", ["core", "desktop"])
def test_the_spin_count_is_set_before_pytorch_loads(module):
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    out = subprocess.run([sys.executable, "-c", READ.format(module=module)], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == ["10000", "True"]


def test_a_setting_the_person_made_wins():
    base = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    chosen = subprocess.run([sys.executable, "-c", READ.format(module="core")], env={**base, "GOMP_SPINCOUNT": "5"},
                            capture_output=True, text=True, check=True)
    assert chosen.stdout.split()[0] == "5"
    policy = subprocess.run([sys.executable, "-c", READ.format(module="core")],
                            env={**base, "OMP_WAIT_POLICY": "PASSIVE"}, capture_output=True, text=True, check=True)
    assert policy.stdout.split()[0] == "None"


@pytest.mark.skipif(sys.platform.startswith("win"), reason="the OpenMP runtime's symbols are not looked up on Windows")
def test_decoding_threads_run_one_openmp_thread_and_leave_the_others_alone():
    """Feature extraction's decoding threads prepare pictures with one OpenMP thread each (core.openmp),
    not a team as wide as the machine beside the network's; the calling thread and threads
    started later keep PyTorch's count."""
    import threading

    import numpy as np
    import torch
    from PIL import Image

    from core import features
    from core.backbones import preprocessing

    seen = []

    def source(k):
        def read():
            seen.append(torch.get_num_threads())
            return Image.fromarray(np.full((40, 50, 3), 20 * k, np.uint8))
        return read

    before = torch.get_num_threads()
    torch.set_num_threads(2)  # a machine with two cores or more, as the check needs
    try:
        model = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
        model.feature_dim = 3
        spec = features.get("efficientnet_lite0").with_preprocessing(crop_size=32, resize_size=36)
        found = features.extract(spec, [(f"h{k}", source(k)) for k in range(6)], model=model, load_workers=2)
        assert len(found.hashes) == 6 and seen == [1] * 6
        assert torch.get_num_threads() == 2  # this thread's own count is untouched
        later = []
        t = threading.Thread(target=lambda: later.append(torch.get_num_threads()))
        t.start()
        t.join()
        assert later == [2]
    finally:
        torch.set_num_threads(before)
    assert isinstance(spec.preprocessing, preprocessing.ImagePreprocessing)


@pytest.mark.skipif(sys.platform.startswith("win"), reason="the OpenMP runtime's symbols are not looked up on Windows")
def test_training_decode_threads_run_one_openmp_thread():
    """The training engine's decoding and prefetching threads (core.train.decode_cache) likewise."""
    import torch

    from core.train.decode_cache import DecodedStore
    from core.train.labelled import Item

    seen = []

    def decode(item):
        seen.append(torch.get_num_threads())
        return torch.full((3, 4, 4), item.label, dtype=torch.uint8)

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        store = DecodedStore([Item(f"h{k}", f"f{k}", k) for k in range(4)], decode, (3, 4, 4), torch.uint8,
                             limit_bytes=1 << 20, workers=2)
        batch, kept = store.fetch_async([0, 1, 2, 3]).result()
        store.close()
        assert kept == [0, 1, 2, 3] and batch[:, 0, 0, 0].tolist() == [0, 1, 2, 3]
        assert seen == [1] * 4 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)

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

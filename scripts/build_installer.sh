#!/usr/bin/env bash
# Build the frozen TransferLab app (PyInstaller, one folder) and check it with its own self-test.
#
#   bash scripts/build_installer.sh             # build dist/TransferLab/, then run its --self-test
#   ARCHIVE=1 bash scripts/build_installer.sh   # also pack dist/TransferLab-<version>-<os>-<arch>.tar.gz
#   PYTHON=/path/to/python bash scripts/build_installer.sh   # another environment (e.g. CPU-only torch)
#
# Output: dist/TransferLab/transferlab (the app and the command line in one executable) and
# build/ (PyInstaller's work files; safe to delete). Both folders are git-ignored.
# See docs/installer.md for the CPU-only torch build, which makes the bundle much smaller.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
if [ ! -x "$PYTHON" ]; then
  echo "No Python at $PYTHON: run 'bash scripts/setup.sh' first (or set PYTHON=...)." >&2
  exit 1
fi

echo "== Installing PyInstaller into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
"$PYTHON" -m pip install -q pyinstaller pyinstaller-hooks-contrib

"$PYTHON" - <<'EOF'
import importlib.metadata as md
import torch
cuda = torch.version.cuda
print(f"== torch {torch.__version__} ({'CUDA ' + cuda if cuda else 'CPU-only'}), "
      f"PyInstaller {md.version('pyinstaller')}, hooks-contrib {md.version('pyinstaller-hooks-contrib')}")
if cuda:
    print("   The CUDA build of torch bundles its CUDA libraries: expect a bundle of several GB.")
EOF

mkdir -p build
LOG=build/build_installer.log
echo "== Building dist/TransferLab (log: $LOG)"
start=$(date +%s)
if ! "$PYTHON" -m PyInstaller --noconfirm --clean --distpath dist --workpath build build.spec >"$LOG" 2>&1; then
  tail -n 40 "$LOG" >&2
  echo "PyInstaller failed; the whole log is in $LOG" >&2
  exit 1
fi
seconds=$(( $(date +%s) - start ))
APP=dist/TransferLab
size=$(du -sh "$APP" | cut -f1)
files=$(find "$APP" -type f | wc -l)
echo "== Built $APP in $((seconds / 60)) min $((seconds % 60)) s: $size in $files files"

EXE="$APP/transferlab"
[ -x "$EXE" ] || EXE="$APP/transferlab.exe"
echo "== $EXE --self-test"
# offscreen: the self-test needs no display, and a build machine often has none
QT_QPA_PLATFORM=offscreen "$EXE" --self-test

if [ -n "${ARCHIVE:-}" ]; then
  version=$("$PYTHON" -c 'import core; print(core.__version__)')
  target="dist/TransferLab-$version-$(uname -s | tr A-Z a-z)-$(uname -m).tar.gz"
  echo "== Packing $target"
  tar -C dist -czf "$target" TransferLab
  du -sh "$target"
fi

#!/usr/bin/env bash
# One-command set-up on a fresh Debian/Ubuntu machine: system libraries, a virtual environment in
# .venv, and TransferLab with its test tools installed into it (editable).
#   bash scripts/setup.sh            # everything
#   SKIP_APT=1 bash scripts/setup.sh # no system packages (e.g. not root and they are present)
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # Qt (PySide6) at run time, also offscreen in tests
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0
  # a virtual screen for screenshots and for people on headless machines
  xvfb
  # speech for the audio tests (words spoken by espeak-ng)
  espeak-ng
  fonts-dejavu-core
)

if [ -z "${SKIP_APT:-}" ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "TransferLab needs Python 3.11 or newer")'
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"
echo
echo "TransferLab is installed in .venv. Start it with:  .venv/bin/transferlab"
echo "(or: source .venv/bin/activate && transferlab)"

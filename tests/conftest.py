import os
import sys
import tempfile
from pathlib import Path

import pytest

import core  # noqa: F401  (before any test module loads PyTorch: core sets OpenMP's spin count, core/__init__.py)

# Qt must never need a display in tests; the desktop tests rely on this being set before import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# One cache folder for the whole test session (subprocesses inherit it): the feature networks
# exported for onnxruntime (core.features_onnx) and the backbones' sizes are made once, not once
# per test. Under pytest-xdist every worker of the run shares it (named by the run's id): the
# networks are written under a temporary name and renamed, so two workers building one is safe.
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID")
if _RUN:
    _SHARED = Path(tempfile.gettempdir()) / f"transferlab-test-cache-{_RUN}"
    _SHARED.mkdir(exist_ok=True)
    os.environ.setdefault("TRANSFERLAB_CACHE_DIR", str(_SHARED))
else:
    os.environ.setdefault("TRANSFERLAB_CACHE_DIR", tempfile.mkdtemp(prefix="transferlab-test-cache-"))
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Keep user-level state (weights, settings, caches) out of the real home directory."""
    data = tmp_path_factory.mktemp("userdata")
    monkeypatch.setenv("TRANSFERLAB_DATA_DIR", str(data))
    yield


@pytest.fixture
def image_project(tmp_path):
    from core.project import Project

    project = Project.create(tmp_path / "proj", "image", "Test images")
    yield project
    project.close()


@pytest.fixture
def text_project(tmp_path):
    from core.project import Project

    project = Project.create(tmp_path / "tproj", "text", "Test texts")
    yield project
    project.close()


@pytest.fixture
def audio_project(tmp_path):
    from core.project import Project

    project = Project.create(tmp_path / "aproj", "audio", "Test audio")
    yield project
    project.close()

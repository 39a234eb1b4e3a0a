"""One per-user data folder for everything TransferLab keeps outside projects."""

from pathlib import Path

from core import user_data, weights
from core.backbones import latency


def test_weights_and_latency_measurements_live_in_the_one_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSFERLAB_DATA_DIR", str(tmp_path / "data"))
    assert user_data.data_dir() == tmp_path / "data"
    assert weights.imported_dir() == tmp_path / "data" / "weights"
    assert latency._store_path() == tmp_path / "data" / "latency.json"


def test_without_an_override_it_is_the_platforms_user_data_folder(monkeypatch):
    monkeypatch.delenv("TRANSFERLAB_DATA_DIR", raising=False)
    folder = user_data.data_dir()
    assert folder.name == "TransferLab" and folder.is_absolute()
    assert Path(weights.imported_dir()).parent == folder

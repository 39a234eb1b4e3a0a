"""A file that is not a PyTorch file at all (random bytes, a CSV) given as weights or a checkpoint:
it was said to hold "objects that could run code when loaded", which sends a person hunting for
malware in what is only the wrong file."""

import pickle

import pytest

from core.errors import torch_load_sentence
from core.weights import WeightsError, read_state_dict


@pytest.mark.parametrize("data", [bytes(range(7, 250)) * 20, b"text,label\nhello,pos\n"])
def test_a_file_that_is_not_a_torch_file_is_named_so(tmp_path, data):
    path = tmp_path / "w.pt"
    path.write_bytes(data)
    with pytest.raises(WeightsError) as refused:
        read_state_dict(path)
    assert "it is not a PyTorch file at all" in refused.value.message
    assert "could run code" not in refused.value.message


def test_a_pickle_that_carries_code_is_still_named_so(tmp_path):
    path = tmp_path / "w.pt"
    path.write_bytes(pickle.dumps({"a": 1}, protocol=2))
    exc = pickle.UnpicklingError("Weights only load failed. ... Unsupported global")
    assert "could run code" in torch_load_sentence(path, exc, "PyTorch weights")

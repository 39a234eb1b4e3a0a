import pytest


@pytest.fixture
def two_torch_threads():
    """Model tests run with two torch threads (this machine's cores) and restore the setting."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)

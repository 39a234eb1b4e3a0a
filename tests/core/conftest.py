import pytest


@pytest.fixture
def two_torch_threads():
    """Model tests run with two torch threads (this machine's cores) and restore the setting."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def one_torch_thread():
    """Thousands of tiny solver steps: one thread (two waited on each other at every step while the
    other test worker held a core: 26.6 s against 7.7 s alone) and restore the setting."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

"""`detect --truth FILE` with a file that is not a text CSV, or with an event that is not one (nan,
or ending before it starts): a sentence naming the file (was "unexpected error (UnicodeDecodeError)",
and nan was scored)."""

import pytest

from core.errors import TransferLabError
from core.predict.detect import read_truth


def test_a_truth_file_that_is_not_text_is_a_sentence(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"\xff\xeb\x91\x00binary")
    with pytest.raises(TransferLabError, match="Cannot read the truth file .*not UTF-8 text"):
        read_truth(tmp_path / "t.csv")


@pytest.mark.parametrize("row", ["low,nan,2", "low,3,1", "low,0,inf", "low,-1,2"])
def test_an_event_that_is_not_one_is_named_by_line(tmp_path, row):
    (tmp_path / "t.csv").write_text(f"label,start,end\nhigh,0,1\n{row}\n", encoding="utf-8")
    with pytest.raises(TransferLabError, match="line 3: expected label,start,end"):
        read_truth(tmp_path / "t.csv")


def test_good_events_still_read(tmp_path):
    (tmp_path / "t.csv").write_text("label,start,end\nhigh,0,1\nlow,1.5,1.5\n", encoding="utf-8")
    assert [(e.label, e.start, e.end) for e in read_truth(tmp_path / "t.csv")] == [("high", 0.0, 1.0), ("low", 1.5, 1.5)]


def test_a_truth_file_that_is_a_device_or_a_pipe_is_refused_at_once(tmp_path):
    """/dev/zero was read forever (its memory growing); a FIFO waited for a writer."""
    import os

    with pytest.raises(TransferLabError, match="Cannot read the truth file .*not a regular file"):
        read_truth(os.devnull)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.csv")
        with pytest.raises(TransferLabError, match="not a regular file"):
            read_truth(tmp_path / "pipe.csv")

"""The command line's one progress bar: drawn on a terminal only, in items or megabytes, and the
download of weights uses it too."""

import io

from core.cli.output import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_writes_nothing_where_stderr_is_not_a_terminal():
    log = io.StringIO()
    bar = ProgressBar("Importing", stream=log)
    for done in range(0, 101, 10):
        bar.update(done, 100)
    bar(50, None)  # as a progress callback, size unknown
    bar.close()
    assert log.getvalue() == ""


def test_on_a_terminal_it_redraws_one_line_and_ends_it():
    term = Terminal()
    bar = ProgressBar("Importing", stream=term)
    bar.update(0, 4)
    bar.update(1, 4)  # within a tenth of a second of the last: not redrawn
    bar.update(4, 4)  # the last one always is
    bar.close()
    lines = term.getvalue().split("\r")[1:]
    assert len(lines) == 2 and lines[0].startswith("Importing [") and "0/4" in lines[0]
    assert "4/4" in lines[1] and lines[1].endswith("\n") and "#" * 10 in lines[1]


def test_bytes_are_counted_in_megabytes_and_an_unknown_size_has_no_bar():
    term = Terminal()
    bar = ProgressBar("weights.pth", stream=term, unit="bytes")
    bar(12_300_000, 45_600_000)
    assert "12.3 MB/45.6 MB" in term.getvalue()
    term = Terminal()
    bar = ProgressBar("weights.pth", stream=term, unit="bytes")
    bar(5_000_000, None)
    assert "5.0 MB" in term.getvalue() and "[" not in term.getvalue()


def test_the_download_command_draws_the_shared_bar():
    from core.cli import cmd_weights

    assert cmd_weights.ProgressBar is ProgressBar

"""The command line exactly as a person types it (the installed `transferlab` script)."""

import json
from pathlib import Path

from tests.helpers.cli import tl
from tests.helpers.media_factory import make_messy_folder, shape_image, write_image


def test_help_lists_the_subcommands():
    out = tl("--help").stdout
    for name in ("new", "import", "label", "split", "status"):
        assert name in out


def test_a_users_first_session(tmp_path):
    proj, src = tmp_path / "Pets", tmp_path / "photos"
    expected = make_messy_folder(src)
    assert "Created image project" in tl("new", proj, "--task", "image", "--name", "Pets").stdout

    report = json.loads(tl("import", proj, src, "--json").stdout)
    assert report["added"] == len(expected["good"])
    assert report["duplicates"] == 1
    assert {Path(r["path"]).name for r in report["rejected"]} == {Path(p).name for p in expected["bad"]}
    assert all(r["reason"] for r in report["rejected"])

    status = json.loads(tl("status", proj, "--json").stdout)
    assert status["samples"] == len(expected["good"])
    assert status["unlabelled"] == 1 and status["rejected"] == len(expected["bad"])
    assert status["classes"]["birds"]["total"] == 5

    tl("label", "rename", proj, "nested deeper", "kittens")
    tl("label", "merge", proj, "kittens", "--into", "cats")
    tl("label", "set", proj, "dogs", "loose at top.png")
    out = tl("label", "delete", proj, "birds").stdout
    assert "5 sample(s) are now unlabelled" in out
    classes = json.loads(tl("label", "classes", proj, "--json").stdout)
    assert [(c["name"], c["count"], c["shortcut"]) for c in classes] == [("cats", 3, "1"), ("dogs", 4, "2")]

    exported = tmp_path / "labels.csv"
    tl("label", "export", proj, exported)
    text = exported.read_text().replace(",cats,", ",dogs,")
    exported.write_text(text)
    applied = json.loads(tl("label", "import", proj, exported, "--json").stdout)
    assert applied["applied"] == 3
    status = json.loads(tl("status", proj, "--json").stdout)
    assert status["classes"]["dogs"]["total"] == 7
    human = tl("status", proj).stdout
    assert "dogs" in human and "rejected" in human


def test_errors_are_sentences_not_tracebacks(tmp_path):
    r = tl("status", tmp_path / "nothing", check=False)
    assert r.returncode == 1 and "no project folder" in r.stderr and "Traceback" not in r.stderr
    tl("new", tmp_path / "p", "--task", "audio")
    r = tl("label", "rename", tmp_path / "p", "ghost", "spirit", check=False)
    assert r.returncode == 1 and "no class named 'ghost'" in r.stderr
    r = tl("import", tmp_path / "p", check=False)
    assert r.returncode == 2 and "at least one" in r.stderr
    r = tl("label", "set", tmp_path / "p", "x", "12345", check=False)
    assert r.returncode == 2 and "not found" in r.stderr


def test_split_reset_from_the_command_line(tmp_path):
    for i in range(20):
        write_image(tmp_path / "src" / "a" / f"{i}.png", shape_image("circle", size=16, seed=i))
    tl("new", tmp_path / "p", "--task", "image")
    tl("import", tmp_path / "p", tmp_path / "src")
    out = json.loads(tl("split", tmp_path / "p", "--reset", "--val", "0.2", "--test", "0.2", "--json").stdout)
    assert out["splits"] == {"train": 16, "val": 4, "test": 0}  # a class of 20: every sample learns
    assert out["settings"]["test_after"] == 50
    out = json.loads(tl("split", tmp_path / "p", "--reset", "--test-after", "0", "--json").stdout)
    assert out["splits"] == {"train": 12, "val": 4, "test": 4} and out["settings"]["test"] == 0.2
    r = tl("split", tmp_path / "p", "--seed", "4", check=False)
    assert r.returncode == 2 and "--reset" in r.stderr


def test_a_file_name_with_a_newline_stays_on_its_one_line(tmp_path):
    """A rejected file named 'bad<newline>name.png' was printed over two lines (and 'name.png: not a
    readable image' read as another file's line); a terminal escape in a name was sent to the terminal."""
    folder = tmp_path / "in" / "cats"
    write_image(folder / "good.png", shape_image("circle"))
    (folder / "bad\nname.png").write_text("not a picture")
    (folder / "ansi\x1b[31mred.png").write_text("not a picture either")
    tl("new", tmp_path / "p", "--task", "image")
    r = tl("import", tmp_path / "p", tmp_path / "in")
    rejected = [line for line in r.stderr.splitlines() if "rejected:" in line]
    assert len(rejected) == 2, r.stderr
    assert any(line.endswith("cats/bad\\nname.png: not a readable image (the content is not a known image format)")
               for line in rejected), rejected
    assert "\x1b" not in r.stderr and any("ansi\\x1b[31mred.png" in line for line in rejected)
    assert "good.png" not in r.stderr

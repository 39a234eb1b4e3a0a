"""Issue 17: hostile and odd files, for images and audio, through `import` and `predict` as a person
types them (a subprocess with a timeout: nothing may hang), and the decoding of huge pictures.

The corpus (tests/helpers/hostile.py) holds a FIFO, a link to /dev/zero, link loops, a dangling link,
a link back to its own folder, a linked subfolder, an unreadable file and folder, empty, truncated and
mislabelled files, and pictures declaring enormous sizes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from core.importer import plan_import
from core.media import MediaError, decode_image
from core.project import Project
from tests.helpers import contract_models
from tests.helpers.hostile import make_corpus, permissions_apply, run_measured, unlock, unprivileged, write_png
from tests.helpers.media_factory import exif_rotated_jpeg, shape_image

BIN = Path(sys.executable).parent / ("transferlab.exe" if os.name == "nt" else "transferlab")
TIMEOUT = 120  # seconds; the whole corpus takes about one


def transferlab(*args, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """As a person types it, without root's permission override (so chmod 000 means something);
    a hang fails the test through TimeoutExpired instead of blocking the suite."""
    return subprocess.run([*unprivileged(), str(BIN), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def corpus(tmp_path, request):
    kind = request.param
    good, bad = make_corpus(tmp_path / "corpus", kind)
    yield kind, tmp_path / "corpus", good, bad
    unlock(tmp_path / "corpus")


def _clean_stderr(err: str) -> None:
    assert "Traceback" not in err and "Warning" not in err and "unexpected error" not in err, err


@pytest.mark.parametrize("corpus", ["image", "audio"], indirect=True)
def test_import_names_every_hostile_file_and_imports_the_good_ones(corpus, tmp_path):
    kind, folder, good, bad = corpus
    Project.create(tmp_path / "P", kind).close()
    result = transferlab("import", tmp_path / "P", folder, "--json")
    assert result.returncode == 0, result.stderr
    _clean_stderr(result.stderr)
    report = json.loads(result.stdout)
    rejected = {Path(r["path"]): r["reason"] for r in report["rejected"]}
    for path, words in bad.items():
        assert path in rejected, f"{path.name} was not reported: {sorted(p.name for p in rejected)}"
        assert words in rejected[path], (path.name, rejected[path])
    assert report["added"] == len(good) and set(rejected) == set(bad)
    # the linked subfolder was followed; its files take the link's name as their class, ImageFolder style
    assert sorted(report["classes_created"]) == ["linked_folder", "things"]
    with Project.open(tmp_path / "P") as project:
        assert sorted(Path(s.original_path).name for s in project.samples()) == sorted(p.name for p in good)


@pytest.mark.parametrize("corpus", ["image", "audio"], indirect=True)
def test_predict_names_every_hostile_file_and_predicts_the_good_ones(corpus, tmp_path):
    kind, folder, good, bad = corpus
    model = (contract_models.image_model if kind == "image" else contract_models.audio_model)(tmp_path / "m.onnx")
    result = transferlab("predict", model, folder, "--json")
    assert result.returncode == 0, result.stderr
    _clean_stderr(result.stderr)
    predictions = {Path(p["path"]): p for p in json.loads(result.stdout)}
    for path in good:
        assert predictions[path]["label"] and "error" not in predictions[path]
    # what is not a regular file, not listable, or not there is named as such, never decoded
    kinds = ("named pipe", "character device", "symbolic link loop", "does not exist", "loop", "empty file",
             "permission denied", "cannot list the folder", "the file is too large for")
    for path, words in bad.items():
        if words in kinds:
            assert words in predictions[path]["error"], (path.name, predictions[path])
        elif path in predictions:
            assert predictions[path].get("error") or predictions[path]["label"]


PLAN = """
import json, sys
from core.importer import plan_import
candidates, rejected = plan_import(sys.argv[1:-1], csv_files=[sys.argv[-1]])
print(json.dumps({"candidates": [c.path for c in candidates], "rejected": {r.path: r.reason for r in rejected}}))
"""


def test_single_paths_that_are_not_files_are_rejected_with_their_kind(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    listing = tmp_path / "listing.csv"
    listing.write_text(f"path,label\n{fifo},a\n")
    csv_fifo = tmp_path / "fifo.csv"
    os.mkfifo(csv_fifo)
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    # in a subprocess: a listing that is a pipe blocked the reading process for good
    result = subprocess.run([sys.executable, "-c", PLAN, *map(str, [fifo, loop, tmp_path / "absent.png", listing,
                                                                  csv_fifo])],
                            capture_output=True, text=True, timeout=TIMEOUT)
    planned = json.loads(result.stdout)
    reasons = {Path(p).name: r for p, r in planned["rejected"].items()}
    assert planned["candidates"] == []
    assert "named pipe" in reasons["pipe.png"] and "listed in listing.csv line 2" in reasons["pipe.png"]
    assert "symbolic link loop" in reasons["loop"]
    assert reasons["absent.png"] == "no such file or folder"
    assert "named pipe" in reasons["fifo.csv"]  # a listing that is a pipe is not read either


@pytest.mark.skipif(not permissions_apply(), reason="file permissions do not apply to this user")
def test_a_folder_that_cannot_be_listed_is_rejected_with_a_reason(tmp_path):
    """Issue 17.4: os.walk skipped it silently (added 0, rejected [])."""
    src = tmp_path / "src"
    (src / "cats").mkdir(parents=True)
    shape_image("circle", seed=1).save(src / "cats" / "a.png")
    (src / "locked").mkdir()
    shape_image("square", seed=2).save(src / "locked" / "b.png")
    (src / "locked").chmod(0)
    Project.create(tmp_path / "P", "image").close()
    try:
        result = transferlab("import", tmp_path / "P", src, "--json")
    finally:
        (src / "locked").chmod(0o755)
    report = json.loads(result.stdout)
    assert report["added"] == 1
    assert report["rejected"] == [{"path": str(src / "locked"), "reason": "cannot list the folder (permission denied)"}]


def test_a_linked_subfolder_is_followed_once_and_loops_are_named(tmp_path):
    """Issue 17.5: a symlinked class folder was skipped silently (added 1 of 31)."""
    imgs = tmp_path / "imgs"
    for k in range(3):
        (imgs / "circle").mkdir(parents=True, exist_ok=True)
        shape_image("circle", seed=k).save(imgs / "circle" / f"c{k}.png")
    src = tmp_path / "src"
    (src / "square").mkdir(parents=True)
    shape_image("square", seed=9).save(src / "square" / "s.png")
    (src / "circle_link").symlink_to(imgs / "circle", target_is_directory=True)
    (src / "square" / "up").symlink_to(src, target_is_directory=True)  # back into its own ancestry
    (src / "same_square").symlink_to(src / "square", target_is_directory=True)  # a second way in
    candidates, rejected = plan_import([src])
    assert [(Path(c.path).name, c.label) for c in candidates] == [
        ("c0.png", "circle_link"), ("c1.png", "circle_link"), ("c2.png", "circle_link"), ("s.png", "square")]
    reasons = {Path(r.path).name: r.reason for r in rejected}
    assert "symbolic link loop" in reasons["up"]
    assert "the same folder as" in reasons["same_square"] and reasons["same_square"].endswith("not followed twice")


# ------------------------------------------------------------------ huge pictures (issue 17.3)


def test_predict_decodes_a_huge_picture_at_reduced_scale_without_warnings(tmp_path):
    """A 10000x10000 PNG (above Pillow's warning threshold): the model gets it reduced as training
    would, the process stays far below the gigabytes a full-size float copy took, and Pillow's raw
    DecompressionBombWarning never reaches stderr."""
    big = write_png(tmp_path / "big.png", 10000, 10000, mode="L")
    assert big.stat().st_size < 3 * 2**20  # small file, huge picture
    model = contract_models.image_model(tmp_path / "m.onnx", {"resize_size": 256, "crop_size": 224,
                                                               "resize": "center_crop"})
    code, out, err, peak_mib = run_measured([BIN, "predict", model, big, "--json"], timeout=TIMEOUT)
    assert code == 0, err
    _clean_stderr(err)
    assert json.loads(out)[0]["label"] in ("red", "blue")
    # before: the full 100 MP picture as RGB, then as float32 inside the model: over 1.5 GiB
    assert peak_mib < 1024, peak_mib


def test_decoding_reduces_large_pictures_and_keeps_what_the_model_needs(tmp_path):
    big = write_png(tmp_path / "big.png", 9000, 7000, mode="RGB")
    full = decode_image(big)
    assert full.size[0] * full.size[1] <= 16_000_000 and full.size[0] / full.size[1] == pytest.approx(9 / 7, rel=0.01)
    for_model = decode_image(big, min_side=512)
    assert 512 <= min(for_model.size) < 1024 and for_model.mode == "RGB"
    photo = tmp_path / "photo.jpg"
    shape_image("square", size=4000, seed=3).save(photo, quality=90)
    small = decode_image(photo, min_side=500)
    assert small.size == (500, 500)  # the JPEG decoder's own 1/8 scale, no more
    reference = Image.open(photo).convert("RGB").resize((500, 500), Image.Resampling.BOX)
    diff = [abs(a - b) for a, b in zip(small.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0)),
                                       reference.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0)))]
    assert max(diff) <= 3


def test_a_reduced_picture_is_still_upright(tmp_path):
    path = exif_rotated_jpeg(tmp_path / "rotated.jpg")
    big = Image.open(path).resize((4000, 2000))
    exif = Image.open(path).getexif()
    big.save(path, exif=exif.tobytes(), quality=95)
    im = decode_image(path, min_side=400)
    assert im.size[0] < im.size[1]  # stored landscape, shown portrait
    r, g, b = im.resize((1, 2), Image.Resampling.BOX).getpixel((0, 0))
    assert r > 200 and b < 60  # the red half is at the top


def test_a_picture_declaring_too_many_pixels_is_refused_before_decoding(tmp_path):
    bomb = write_png(tmp_path / "bomb.png", 20000, 20000, mode="L", keep_bytes=2048)
    with pytest.raises(MediaError, match=r"\(400 megapixels\); TransferLab reads pictures of up to 179 megapixels"):
        decode_image(bomb)

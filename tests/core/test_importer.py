import os
from pathlib import Path

import numpy as np
import pytest

from core.cancel import CancelToken
from core.importer import import_files
from core.media import decode_image, read_audio
from core.project import UNLABELLED
from tests.helpers.media_factory import make_messy_audio_folder, make_messy_folder, shape_image, write_image


def _rel(report_items, root):
    return {os.path.relpath(item.path, root): item for item in report_items}


def test_messy_image_folder_every_good_file_in_every_bad_one_named(image_project, tmp_path):
    src = tmp_path / "messy"
    expected = make_messy_folder(src)
    report = import_files(image_project, [src])

    assert report.added == len(expected["good"])
    assert len(report.duplicates) == len(expected["duplicates"])
    rejected = _rel(report.rejected, src)
    assert set(rejected) == set(expected["bad"])
    for rel, why in expected["bad"].items():
        assert why in rejected[rel].reason, (rel, rejected[rel].reason)

    by_original = {os.path.relpath(s.original_path, src): s for s in image_project.samples()}
    dup_pair = {"dogs/photo.BMP", "dogs/copy of photo.bmp"}
    for rel, label in expected["good"].items():
        if rel in dup_pair:
            rel = next(iter(dup_pair & set(by_original)))
        assert by_original[rel].label == label, rel
        assert image_project.path_of(by_original[rel]).is_file()
    # every good file decodes to RGB from its copy in media/
    for sample in image_project.samples():
        assert decode_image(image_project.path_of(sample)).mode == "RGB"
    assert image_project.status().rejected == len(expected["bad"])


def test_exif_rotated_jpeg_is_upright_when_decoded(image_project, tmp_path):
    src = tmp_path / "messy"
    make_messy_folder(src)
    import_files(image_project, [src])
    (rotated,) = [s for s in image_project.samples() if s.original_path.endswith("rotated.jpg")]
    assert (rotated.width, rotated.height) == (20, 40)
    im = decode_image(image_project.path_of(rotated))
    assert im.size == (20, 40)
    top, bottom = im.getpixel((10, 5)), im.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60, top  # red half on top after rotating 90° clockwise
    assert bottom[2] > 200 and bottom[0] < 60, bottom


def test_sixteen_bit_and_cmyk_and_palette_decode_sensibly(image_project, tmp_path):
    src = tmp_path / "messy"
    make_messy_folder(src)
    import_files(image_project, [src])
    by_name = {s.display_name: s for s in image_project.samples()}
    ramp = np.asarray(decode_image(image_project.path_of(by_name["sixteen-bit.png"])))
    assert ramp.min() < 10 and ramp.max() > 245  # scaled, not clipped to white
    assert decode_image(image_project.path_of(by_name["cmyk.jpg"])).mode == "RGB"
    assert decode_image(image_project.path_of(by_name["palette-transparent.png"])).mode == "RGB"


def test_messy_audio_folder(audio_project, tmp_path):
    src = tmp_path / "messy"
    expected = make_messy_audio_folder(src)
    report = import_files(audio_project, [src])
    assert report.added == len(expected["good"])
    rejected = _rel(report.rejected, src)
    assert set(rejected) == set(expected["bad"])
    for rel, why in expected["bad"].items():
        assert why in rejected[rel].reason, (rel, rejected[rel].reason)
    by_name = {s.display_name: s for s in audio_project.samples()}
    stereo = by_name["stereo 44k.FLAC"]
    assert (stereo.sample_rate, stereo.channels) == (44100, 2)
    wave = read_audio(audio_project.path_of(stereo), 16000)
    assert wave.ndim == 1 and abs(len(wave) - 0.6 * 16000) <= 2
    eight = read_audio(audio_project.path_of(by_name["eight-bit.wav"]), 16000)
    assert 0.2 < np.abs(eight).max() <= 1.0


def test_reimport_reports_duplicates_and_changes_nothing(image_project, tmp_path):
    src = tmp_path / "src"
    for i in range(5):
        write_image(src / "c" / f"{i}.png", shape_image("circle", seed=i))
    first = import_files(image_project, [src])
    second = import_files(image_project, [src])
    assert (first.added, second.added, len(second.duplicates)) == (5, 0, 5)
    assert image_project.count() == 5


def test_csv_listing_labels_files_and_reports_missing_rows(image_project, tmp_path):
    write_image(tmp_path / "a.png", shape_image("circle", seed=1))
    write_image(tmp_path / "b.png", shape_image("square", seed=2))
    listing = tmp_path / "list.csv"
    listing.write_text("path,label\na.png,round\nb.png,\nmissing.png,round\n")
    report = import_files(image_project, [], csv_files=[listing])
    assert report.added == 2
    assert [r.reason for r in report.rejected] == ["listed in list.csv line 4 but not found"]
    assert image_project.count(label="round") == 1 and image_project.count(label=UNLABELLED) == 1


def test_a_folder_listed_in_a_csv_is_named_as_a_folder_not_as_missing(image_project, tmp_path):
    """A row naming a folder that exists was rejected as 'listed ... but not found'."""
    write_image(tmp_path / "pics" / "a.png", shape_image("circle", seed=1))
    listing = tmp_path / "list.csv"
    listing.write_text("path,label\npics,round\npics/a.png,round\n")
    report = import_files(image_project, [], csv_files=[listing])
    assert report.added == 1
    assert [(Path(r.path).name, r.reason) for r in report.rejected] == [
        ("pics", "listed in list.csv line 2: a folder, not a file (a listing names one file a row; import the "
                 "folder itself instead)")]


def test_labels_none_and_single_files_stay_unlabelled(image_project, tmp_path):
    f = write_image(tmp_path / "cls" / "x.png", shape_image("circle", seed=3))
    write_image(tmp_path / "cls" / "y.png", shape_image("circle", seed=4))
    import_files(image_project, [f])
    import_files(image_project, [tmp_path / "cls"], labels="none")
    assert image_project.count(label=UNLABELLED) == 2


def test_missing_path_is_reported_not_raised(image_project, tmp_path):
    report = import_files(image_project, [tmp_path / "nope"])
    assert report.added == 0 and report.rejected[0].reason == "no such file or folder"


class CancelAfterChecks(CancelToken):
    """A real token that the importer cancels itself through after N checks: the user pressing
    Cancel at a reproducible moment, however fast the machine is."""

    def __init__(self, checks: int):
        super().__init__()
        self.left = checks

    @property
    def cancelled(self) -> bool:
        self.left -= 1
        if self.left <= 0:
            self.cancel()
        return super().cancelled


@pytest.mark.parametrize("processes,checks", [(False, 40), (True, 2)])  # processes check once per chunk
def test_cancel_stops_and_keeps_what_was_imported(image_project, tmp_path, processes, checks):
    src = tmp_path / "src"
    for i in range(300):
        write_image(src / f"{i:03}.png", shape_image("circle", size=32, seed=i))
    report = import_files(image_project, [src], cancel=CancelAfterChecks(checks), use_processes=processes, workers=2)
    assert report.cancelled
    assert 0 < report.added < 300
    assert image_project.count() == report.added
    rest = import_files(image_project, [src])
    assert rest.added + report.added == 300 and not rest.cancelled


def test_progress_reaches_the_total(image_project, tmp_path):
    for i in range(10):
        write_image(tmp_path / "s" / f"{i}.png", shape_image("square", seed=i))
    seen = []
    import_files(image_project, [tmp_path / "s"], progress=seen.append)
    assert seen[-1].done == seen[-1].total == 10 and seen[-1].added == 10


@pytest.mark.parametrize("workers,processes", [(1, False), (4, False), (2, True)])
def test_import_is_deterministic_in_threads_and_processes(tmp_path, workers, processes):
    from core.project import Project

    src = tmp_path / "src"
    for i in range(30):
        write_image(src / ("a" if i % 2 else "b") / f"{i}.png", shape_image("circle", seed=i))
    results = []
    for n in range(2):
        with Project.create(tmp_path / f"p{n}", "image") as p:
            import_files(p, [src], workers=workers, use_processes=processes)
            results.append([(s.hash, s.label, s.split) for s in p.samples()])
    assert results[0] == results[1]


def test_messy_folder_through_worker_processes(image_project, tmp_path):
    src = tmp_path / "messy"
    expected = make_messy_folder(src)
    write_image(src / "again" / "same.png", shape_image("circle", seed=4242))
    write_image(src / "again" / "same2.png", shape_image("circle", seed=4242))
    report = import_files(image_project, [src], use_processes=True, workers=2)
    assert report.added == len(expected["good"]) + 1
    assert len(report.duplicates) == 2
    assert set(_rel(report.rejected, src)) == set(expected["bad"])


def test_a_process_pool_that_cannot_start_falls_back_to_threads(image_project, tmp_path, monkeypatch):
    """Spawned workers re-import the main module; where that fails (an embedding host, a script
    read from stdin) the pool breaks. The import must still finish, in threads."""
    import core.importer as importer
    from concurrent.futures import ProcessPoolExecutor

    class BrokenPool(ProcessPoolExecutor):  # real worker processes that die on their first task
        def submit(self, *args, **kwargs):
            return super().submit(_die)

    real = importer._make_pool

    def make_pool(total, workers, use_processes, known):
        if use_processes:
            return BrokenPool(max_workers=1), 1, True
        return real(total, workers, use_processes, known)

    monkeypatch.setattr(importer, "_make_pool", make_pool)
    for i in range(40):
        write_image(tmp_path / "src" / f"{i}.png", shape_image("circle", size=16, seed=i))
    report = import_files(image_project, [tmp_path / "src"], use_processes=True)
    assert report.added == 40 and not report.rejected


def _die():
    import os

    os._exit(3)


def test_a_recording_with_nan_or_infinite_samples_is_refused_everywhere(audio_project, tmp_path):
    """A float WAV holding NaN or infinity was imported, and predict answered 'high (nan%)'."""
    from core.media import MediaError, iter_audio

    from tests.helpers.media_factory import tone, write_audio

    good = tone(300, 0.5)
    bad_nan = write_audio(tmp_path / "in" / "hum" / "nan.wav", np.where(np.arange(good.size) == 100, np.nan, good)
                          .astype(np.float32), 16000, subtype="FLOAT")
    bad_inf = write_audio(tmp_path / "in" / "hum" / "inf.wav", np.where(np.arange(good.size) > 7000, np.inf, good)
                          .astype(np.float32), 16000, subtype="FLOAT")
    write_audio(tmp_path / "in" / "hum" / "fine.wav", good, 16000, subtype="FLOAT")
    report = import_files(audio_project, [tmp_path / "in"])
    assert report.added == 1
    assert sorted((Path(r.path).name, r.reason) for r in report.rejected) == [
        (name, "the recording holds samples that are not numbers (NaN or infinity), which no model can judge "
               "(a floating-point file written by a faulty program)") for name in ("inf.wav", "nan.wav")]
    for path in (bad_nan, bad_inf):
        with pytest.raises(MediaError, match="not numbers"):
            read_audio(path, 16000)
        with pytest.raises(MediaError, match="not numbers"):
            list(iter_audio(path, 16000))


def test_a_picture_too_long_for_its_width_is_refused_and_a_float_one_with_nan_decodes(image_project, tmp_path):
    """A 60000x1 strip passed import, then predict asked onnxruntime for 47 GB in the model's resize and
    failed every file of the run with 'unexpected error'. A float TIFF with NaN printed numpy's
    'invalid value encountered in cast' and came out as garbage."""
    import warnings

    from PIL import Image

    from core.media import MediaError

    folder = tmp_path / "in" / "odd"
    folder.mkdir(parents=True)
    Image.new("RGB", (60000, 1), (200, 10, 10)).save(folder / "strip.png")
    Image.new("RGB", (1, 20000), (200, 10, 10)).save(folder / "pole.png")
    Image.new("RGB", (3000, 30), (200, 10, 10)).save(folder / "panorama.png")  # 100:1 is still a picture
    values = np.full((40, 40), 0.25, np.float32)
    values[:, 20:] = 0.75
    values[5, 5], values[6, 6] = np.nan, np.inf
    Image.fromarray(values, mode="F").save(folder / "float.tif")
    report = import_files(image_project, [tmp_path / "in"])
    assert report.added == 2
    assert sorted(Path(r.path).name for r in report.rejected) == ["pole.png", "strip.png"]
    assert all("a strip too long for its width" in r.reason and "100:1" in r.reason for r in report.rejected)
    with pytest.raises(MediaError, match="60000x1 pixels, a strip too long"):
        decode_image(folder / "strip.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rgb = np.asarray(decode_image(folder / "float.tif"))
    assert rgb.shape == (40, 40, 3) and rgb[0, 0, 0] == 0 and rgb[0, 39, 0] == 255  # its own range, NaN aside

from collections import Counter

from core.importer import import_files
from core.project import Project
from core.project.splits import choose_split
from tests.helpers.media_factory import shape_image, write_image


def _make(src, classes, per_class, offset=0):
    for c, name in enumerate(classes):
        for i in range(per_class):
            write_image(src / name / f"{offset + i}.png", shape_image("circle", size=16, seed=1000 * c + offset + i))


def _splits(project):
    return {s.hash: s.split for s in project.samples()}


def test_stratified_and_proportional(image_project, tmp_path):
    image_project.reset_splits(test_after=0)  # the test split from a class's first sample
    _make(tmp_path / "a", ["x", "y", "z"], 40)
    import_files(image_project, [tmp_path / "a"])
    status = image_project.status()
    for counts in status.classes.values():
        assert (counts.train, counts.val, counts.test) == (32, 4, 4)


def test_adding_samples_never_moves_existing_ones(image_project, tmp_path):
    image_project.reset_splits(test_after=0)
    _make(tmp_path / "first", ["x", "y"], 23)
    import_files(image_project, [tmp_path / "first"])
    before = _splits(image_project)
    _make(tmp_path / "second", ["x", "y", "new"], 17, offset=100)
    import_files(image_project, [tmp_path / "second"])
    ids = [s.id for s in image_project.samples(label="new")]
    image_project.set_label(ids[:3], "x")  # label edits don't move anyone either
    after = _splits(image_project)
    assert all(after[h] == split for h, split in before.items())
    # still stratified overall: each class close to 80/10/10
    for name, counts in image_project.status().classes.items():
        assert counts.val >= 1 and counts.test >= 1, name
        assert abs(counts.train / counts.total - 0.8) < 0.12, name


def test_same_seed_same_splits_other_seed_differs(tmp_path):
    _make(tmp_path / "src", ["x", "y"], 30)
    runs = []
    for n, seed in enumerate([7, 7, 8]):
        with Project.create(tmp_path / f"p{n}", "image", seed=seed) as p:
            import_files(p, [tmp_path / "src"])
            runs.append(_splits(p))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_reset_redraws_with_new_fractions(image_project, tmp_path):
    _make(tmp_path / "src", ["x"], 20)
    import_files(image_project, [tmp_path / "src"])
    image_project.reset_splits(seed=3, val=0.25, test=0.25, test_after=0)
    c = image_project.status().classes["x"]
    assert (c.train, c.val, c.test) == (10, 5, 5)
    assert image_project.config.splits.seed == 3
    image_project.reset_splits(test_after=20)  # the other settings kept
    c = image_project.status().classes["x"]
    assert (c.train, c.val, c.test) == (15, 5, 0) and image_project.config.splits.test == 0.25


def test_unlabelled_samples_get_a_split_when_labelled(image_project, tmp_path):
    _make(tmp_path / "src", ["x"], 10)
    import_files(image_project, [tmp_path / "src"], labels="none")
    assert image_project.status().splits == {"train": 0, "val": 0, "test": 0}
    image_project.set_label([s.id for s in image_project.samples()], "x")
    assert Counter(s.split for s in image_project.samples()) == {"train": 9, "val": 1}  # small: every one learns


def test_a_new_projects_small_classes_keep_every_sample_for_learning(image_project, tmp_path, capsys):
    """The test split takes none of a class's first 50 labelled samples (a probe's estimate is
    cross-validated there); from the 51st it fills its share, and nothing assigned moves."""
    from core.cli import main
    from core.project.splits import TEST_AFTER

    assert image_project.config.splits.test_after == TEST_AFTER == 50
    _make(tmp_path / "a", ["small", "large"], 30)
    import_files(image_project, [tmp_path / "a"])
    before = _splits(image_project)
    assert all(c.test == 0 for c in image_project.status().classes.values())
    _make(tmp_path / "b", ["large"], 70, offset=100)
    import_files(image_project, [tmp_path / "b"])
    after = _splits(image_project)
    assert all(after[h] == split for h, split in before.items())
    small, large = image_project.status().classes["small"], image_project.status().classes["large"]
    assert (small.train, small.val, small.test) == (27, 3, 0)
    assert (large.train, large.val, large.test) == (80, 10, 10)
    assert choose_split({"train": 45, "val": 4, "test": 0}, {"train": 0.8, "val": 0.1, "test": 0.1}, 50) == "val"
    assert choose_split({"train": 45, "val": 5, "test": 0}, {"train": 0.8, "val": 0.1, "test": 0.1}, 50) == "test"
    assert main(["status", str(image_project.root)]) == 0
    assert "the test split takes none of a class's first 50 labelled samples" in capsys.readouterr().out


def test_choose_split_fills_the_largest_deficit():
    f = {"train": 0.8, "val": 0.1, "test": 0.1}
    assert choose_split({"train": 0, "val": 0, "test": 0}, f) == "train"
    assert choose_split({"train": 4, "val": 0, "test": 0}, f) == "val"
    assert choose_split({"train": 4, "val": 1, "test": 0}, f) == "train"

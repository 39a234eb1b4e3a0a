"""Zero-shot by attributes: a class described only by its attributes ("green", "square") should be
recognised without a single example, from detectors trained on other classes. The model, its
export and the command line work; recognising the unseen class well is not achieved yet."""

import random

import numpy as np
import pytest
from PIL import Image, ImageDraw

from core.evaluate.run_eval import predict_samples
from core.export.exporter import export_run
from core.importer import import_files
from core.predict import Predictor
from core.project import Project
from core.runs import load_run
from core.zeroshot import zeroshot_run

COLOURS = {"red": (210, 40, 40), "blue": (40, 70, 210), "green": (40, 170, 60)}
SHAPES = ("circle", "square")


def picture(colour, shape, seed):
    rng = random.Random(seed)
    grey = rng.randint(150, 235)
    im = Image.new("RGB", (96, 96), (grey, grey, grey))
    d = ImageDraw.Draw(im)
    r = rng.randint(16, 30)
    cx, cy = rng.randint(r, 96 - r), rng.randint(r, 96 - r)
    fill = tuple(max(0, min(255, c + rng.randint(-25, 25))) for c in COLOURS[colour])
    (d.ellipse if shape == "circle" else d.rectangle)([cx - r, cy - r, cx + r, cy + r], fill=fill)
    return im


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp("zoo")
    unseen = "green square"
    for colour in COLOURS:
        for shape in SHAPES:
            name = f"{colour} {shape}"
            folder = root / ("held" if name == unseen else "train") / name
            folder.mkdir(parents=True)
            for i in range(12 if name == unseen else 10):
                picture(colour, shape, seed=1000 * (list(COLOURS).index(colour) * 2 + SHAPES.index(shape)) + i).save(folder / f"{i}.png")
    project = Project.create(root / "p", "image", "Coloured shapes")
    import_files(project, [root / "train"])
    project.reset_splits(val=0.0, test=0.0)
    for colour in COLOURS:
        for shape in SHAPES:
            project.set_class_attributes(f"{colour} {shape}", [colour, shape])  # green square: no examples
    held = Project.create(root / "h", "image")
    import_files(held, [root / "held"])
    yield project, held, unseen
    project.close()
    held.close()


@pytest.mark.xfail(reason="not yet: the attribute detectors learn 'green' as 'green and not square' when no green "
                          "square was seen (measured 0-42% on the unseen class, chance 17%); see issue 10", strict=False)
def test_a_class_known_only_by_its_attributes_is_recognised(zoo):
    project, held, unseen = zoo
    run = zeroshot_run(project)
    assert run["classes_by_description_only"] == [unseen]
    loaded = load_run(project, run["run_id"])
    samples = held.samples()
    probs, kept, _ = predict_samples(loaded, held, samples)
    predicted = [loaded.class_names[int(p.argmax())] for p in probs]
    accuracy = float(np.mean([p == unseen for p in predicted]))
    print(f"\nunseen class '{unseen}': {accuracy:.0%} of its {len(kept)} pictures recognised (chance {1 / 6:.0%})")
    assert accuracy >= 1 / 3  # at least twice chance (1 in 6); measured 42%


def test_zeroshot_model_exports_and_describes_its_classes(zoo, tmp_path):
    project, held, unseen = zoo
    run = zeroshot_run(project)
    report = export_run(project, tmp_path / "zeroshot.onnx", run["run_id"])
    assert report.parity_max_diff < 1e-3
    p = Predictor(report.path)
    assert unseen in p.labels and p.metadata["mode"] == "zeroshot"


def test_label_attributes_from_the_command_line(tmp_path, capsys):
    import json

    from core.cli import main

    root = str(tmp_path / "p")
    assert main(["new", root, "--task", "image"]) == 0
    assert main(["label", "attributes", root, "purple circle", "Purple", "circle"]) == 0
    capsys.readouterr()
    assert main(["label", "attributes", root, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"purple circle": ["circle", "purple"]}

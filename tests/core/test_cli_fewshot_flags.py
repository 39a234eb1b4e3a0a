"""`train --mode fewshot|zeroshot` builds from the main label set with the backbone alone: training
flags given with it (--label-sets, --epochs, --config, ...) were dropped without a word."""

from core.cli import build_parser
from core.cli import cmd_train
from core.project import Project


def _args(*words):
    return build_parser().parse_args(["train", *words])


def test_the_flags_a_build_ignores_are_named():
    assert cmd_train._ignored_flags(_args("p", "--mode", "fewshot")) == []
    assert cmd_train._ignored_flags(_args("p", "--mode", "fewshot", "--backbone", "tfidf")) == []
    assert cmd_train._ignored_flags(_args("p", "--mode", "fewshot", "--label-sets", "tone", "--epochs", "3",
                                          "--batch-size", "8", "--map-class", "a=b")) == \
        ["--epochs", "--batch-size", "--map-class", "--label-sets"]


def test_a_build_warns_before_it_starts(tmp_path, capsys):
    Project.create(tmp_path / "proj", "text").close()
    seen = []

    def build(project, spec, progress=None):
        seen.append(capsys.readouterr().err)
        return "built"

    args = _args(str(tmp_path / "proj"), "--mode", "zeroshot", "--label-sets", "tone")
    assert cmd_train._build(args, build) == "built"
    assert seen == ["transferlab: warning: --mode zeroshot builds its model from the main label set with "
                    "--backbone alone; ignored: --label-sets.\n"]

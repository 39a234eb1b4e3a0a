"""Training settings at their edges: a learning rate (or other number) that is not finite is refused
(`--lr nan` trained without a word), and `--label-sets ,,` names no set (it trained the main one alone)."""

import pytest

from core.train import ConfigError, TrainConfig
from core.train.labelled import DataError, from_project
from core.project import Project


@pytest.mark.parametrize("changes", [{"lr": float("nan")}, {"lr": float("inf")}, {"weight_decay": float("nan")},
                                     {"clip_seconds": float("inf")}])
def test_numbers_that_are_not_finite_are_refused(changes):
    with pytest.raises(ConfigError, match="must be a finite number"):
        TrainConfig(**changes)


@pytest.mark.parametrize("wanted", [",,", " , "])
def test_label_sets_that_name_nothing_are_refused(tmp_path, wanted):
    with Project.create(tmp_path / "p", "text") as project:
        project.add_label_set("tone")
        with pytest.raises(DataError, match="names no label set"):
            from_project(project, wanted)

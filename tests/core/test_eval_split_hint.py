"""Evaluating with no validation or test samples: the advice follows the project's split settings
(it said "new ones are split 80/10/10 automatically" to a project set to keep everything for training)."""

from core.evaluate.run_eval import _split_hint
from core.project import Project


def test_the_hint_follows_the_split_settings(tmp_path):
    with Project.create(tmp_path / "p", "text") as project:
        assert _split_hint(project) == ("Label more samples (new ones are split 80/10/10 automatically; the test split "
                                        "takes none of a class's first 50).")
        project.reset_splits(val=0.0, test=0.0)
        hint = _split_hint(project)
        assert "keep every sample for training" in hint and "--reset --val 0.1 --test 0.1" in hint
        project.reset_splits(val=0.2, test=0.1, test_after=0)
        assert _split_hint(project) == "Label more samples (new ones are split 70/20/10 automatically)."

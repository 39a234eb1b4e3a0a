"""The services the window's pages share, built in one place (pages get what they need passed in)."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.controllers.import_controller import ImportController
from desktop.controllers.label_controller import LabelController
from desktop.controllers.project_controller import ProjectController
from desktop.controllers.runs_controller import RunsController
from desktop.controllers.sample_edits import SampleEdits
from desktop.controllers.suggestions import SuggestionController
from desktop.controllers.theme_controller import ThemeController
from desktop.controllers.train_controller import TrainController
from desktop.notifier import Notifier
from desktop.session import ProjectSession
from desktop.settings import AppSettings
from desktop.thumbnails.loader import ThumbnailLoader
from desktop.workers.runner import engine_pool


@dataclass
class Services:
    settings: AppSettings
    session: ProjectSession
    notifier: Notifier
    imports: ImportController
    projects: ProjectController
    themes: ThemeController
    labels: LabelController
    thumbnails: ThumbnailLoader
    training: TrainController
    runs: RunsController
    suggestions: SuggestionController
    edits: SampleEdits

    def shutdown(self) -> None:
        """Closing the window: stop background work first, then let go of the project."""
        self.training.shutdown()
        self.imports.shutdown()
        self.thumbnails.shutdown()
        self.suggestions.cancel()
        engine_pool().waitForDone(10000)  # no engine job (suggestions, evaluate, export) outlives the project
        self.session.close()
        self.settings.sync()


def make_services(settings: AppSettings | None = None) -> Services:
    settings = settings or AppSettings()
    session = ProjectSession()
    notifier = Notifier()
    imports = ImportController(session, notifier)
    projects = ProjectController(session, settings, notifier, imports)
    labels = LabelController(session, notifier)
    thumbnails = ThumbnailLoader()
    session.opened.connect(thumbnails.set_project)
    session.closed.connect(lambda: thumbnails.set_project(None))
    training = TrainController(session, notifier)
    runs = RunsController(session)
    training.finished.connect(runs.run_finished)
    labels.labels_changed.connect(lambda _labels: runs.labels_changed())
    labels.set_labels_changed.connect(lambda _set, _labels: runs.labels_changed())  # a multi-task model learns them too
    suggestions = SuggestionController(session, runs, labels, notifier)
    edits = SampleEdits(session, notifier, labels.undo_stack)
    edits.deleted.connect(lambda _ids: runs.labels_changed())  # the data a run learnt from changed
    edits.restored.connect(lambda _ids: runs.labels_changed())
    return Services(settings, session, notifier, imports, projects, ThemeController(settings), labels, thumbnails,
                    training, runs, suggestions, edits)

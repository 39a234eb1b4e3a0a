"""Background work: QThreadPool runnables that report through Qt signals."""

from desktop.workers.errors import UserError, describe_error
from desktop.workers.task import Task, TaskSignals

__all__ = ["Task", "TaskSignals", "UserError", "describe_error"]

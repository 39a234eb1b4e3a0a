"""Background work, one way: runner.Runner submits a function to a thread pool and reports through
the typed signals of a TaskHandle (progress, partial results, result, failure as a sentence,
cancel and stale-result protection); training.py holds the training pool's jobs."""

from desktop.workers.errors import UserError, describe_error
from desktop.workers.runner import Runner, TaskContext, TaskHandle

__all__ = ["Runner", "TaskContext", "TaskHandle", "UserError", "describe_error"]

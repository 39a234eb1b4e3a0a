"""Project folders: settings, samples, classes, labels and splits."""

from core.project.models import SPLITS, ClassCounts, ClassInfo, ProjectStatus, Sample
from core.project.project import UNLABELLED, Project

__all__ = ["Project", "Sample", "ClassInfo", "ClassCounts", "ProjectStatus", "SPLITS", "UNLABELLED"]

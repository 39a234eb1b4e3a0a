"""Project folders: settings, samples, classes, labels and splits."""

from core.project.models import SPLITS, ClassCounts, ClassInfo, ProjectStatus, Sample
from core.project.project import Project
from core.project.sample_queries import UNLABELLED

__all__ = ["Project", "Sample", "ClassInfo", "ClassCounts", "ProjectStatus", "SPLITS", "UNLABELLED"]

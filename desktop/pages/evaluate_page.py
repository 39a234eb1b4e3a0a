"""Evaluate: planned; for now a page that says what it will do."""

from __future__ import annotations

from desktop.widgets.placeholder_page import PlaceholderPage

SUMMARY = 'See where the model is right and where it is wrong.'
COMING = [
    'A confusion matrix and precision, recall and F1 for every class',
    'The worst mistakes first, each one a key press away from a new label',
]


class EvaluatePage(PlaceholderPage):
    def __init__(self, parent=None):
        super().__init__('evaluate', 'Evaluate', SUMMARY, COMING, parent)

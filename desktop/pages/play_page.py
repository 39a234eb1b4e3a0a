"""Play: planned; for now a page that says what it will do."""

from __future__ import annotations

from desktop.widgets.placeholder_page import PlaceholderPage

SUMMARY = 'Try the trained model on new files.'
COMING = [
    'Drop images or sounds and see the predicted class with its confidence',
    'Compare models from different training runs side by side',
]


class PlayPage(PlaceholderPage):
    def __init__(self, parent=None):
        super().__init__('play', 'Play', SUMMARY, COMING, parent)

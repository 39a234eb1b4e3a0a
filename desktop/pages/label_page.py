"""Label: planned; for now a page that says what it will do."""

from __future__ import annotations

from desktop.widgets.placeholder_page import PlaceholderPage

SUMMARY = 'Give every sample its class, quickly, with the keyboard.'
COMING = [
    'A classes panel: add, rename, delete, merge and colour classes, with keys 1–9 shown beside them',
    'Number keys label the current sample and jump to the next unlabelled one; arrows move, Space plays audio',
    'Undo and redo every edit with Ctrl+Z and Ctrl+Shift+Z, and label many selected samples at once',
]


class LabelPage(PlaceholderPage):
    def __init__(self, parent=None):
        super().__init__('label', 'Label', SUMMARY, COMING, parent)

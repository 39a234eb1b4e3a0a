"""Export: planned; for now a page that says what it will do."""

from __future__ import annotations

from desktop.widgets.placeholder_page import PlaceholderPage

SUMMARY = 'Take the model anywhere.'
COMING = [
    'A self-describing ONNX model with its labels and preprocessing inside',
    'Checked in onnxruntime against the original before it is saved',
]


class ExportPage(PlaceholderPage):
    def __init__(self, parent=None):
        super().__init__('export', 'Export', SUMMARY, COMING, parent)

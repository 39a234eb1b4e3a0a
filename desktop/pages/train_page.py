"""Train: planned; for now a page that says what it will do."""

from __future__ import annotations

from desktop.widgets.placeholder_page import PlaceholderPage

SUMMARY = "Fine-tune a pretrained model on this computer's GPU or CPU while you watch."
COMING = [
    'Choose a backbone, with its speed and accuracy measured on this machine',
    'Probe, fine-tune or full training — or let TransferLab choose and say why',
    'Live loss and accuracy plots; pause, resume and cancel at any time',
]


class TrainPage(PlaceholderPage):
    def __init__(self, parent=None):
        super().__init__('train', 'Train', SUMMARY, COMING, parent)

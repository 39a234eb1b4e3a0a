"""TransferLab engine: projects, import, labels, training, export. Never imports Qt."""

__version__ = "0.1.0"

"""The transfer-quality suite: varied classification tasks, each with a labelled pool and a held-out
test set, for measuring TransferLab's default pipeline against a plain reference on the same files.

Tasks come from different generators on purpose (real scans and photos where a Python package ships
them, fonts, procedural textures, composed scenes, synthetic speech and sounds), so that a setting
tuned on one kind of picture is not mistaken for a better default. See ``tasks.TASKS``.
"""

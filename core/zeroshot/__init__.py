"""Zero-shot classes by attributes: classes are described by attributes (yellow, spotted, striped,
...); one detector per attribute is trained on the classes that have examples; a class known only by
its description is then recognised by how well a sample's detected attributes match it.

The names below load on first use, so asking ``core.zeroshot.described`` whether enough classes
are described (the app does, as a person describes them) does not import torch.
"""

from __future__ import annotations

__all__ = ["AttributeClassifier", "zeroshot_run"]


def __getattr__(name: str):
    if name in __all__:
        from core.zeroshot import attributes

        return getattr(attributes, name)
    raise AttributeError(f"module 'core.zeroshot' has no attribute {name!r}")

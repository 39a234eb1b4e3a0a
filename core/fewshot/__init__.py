"""Few-shot classification with a prototype head: a class is the mean direction of its examples'
embeddings, and a sample belongs to the class it points closest to (cosine similarity).

It needs no training: with cached embeddings it is ready in milliseconds, updates as labels change,
and works from one example per class. It is saved as a run like any other (best.pt in the usual
checkpoint format, mode "fewshot"), so evaluation and ONNX export treat it the same way, with the
prototypes inside the exported graph. ``quick`` is the same model kept in memory while labelling
(the app's "quick model"): no run, no torch in its maths.

The names below load on first use, so importing ``core.fewshot.quick`` or ``.maths`` does not
import torch.
"""

from __future__ import annotations

__all__ = ["PrototypeClassifier", "PrototypeHead", "build_prototypes", "fewshot_run"]


def __getattr__(name: str):
    if name in __all__:
        from core.fewshot import prototypes

        return getattr(prototypes, name)
    raise AttributeError(f"module 'core.fewshot' has no attribute {name!r}")

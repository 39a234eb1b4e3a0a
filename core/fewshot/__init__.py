"""Few-shot classification with a prototype head: a class is the mean direction of its examples'
embeddings, and a sample belongs to the class it points closest to (cosine similarity).

It needs no training: with cached embeddings it is ready in milliseconds, updates as labels change,
and works from one example per class. It is saved as a run like any other (best.pt in the usual
checkpoint format, mode "fewshot"), so evaluation and ONNX export treat it the same way, with the
prototypes inside the exported graph.
"""

from core.fewshot.prototypes import PrototypeClassifier, PrototypeHead, build_prototypes, fewshot_run

__all__ = ["PrototypeClassifier", "PrototypeHead", "build_prototypes", "fewshot_run"]

"""Whether enough classes are described by attributes for a zero-shot model. Plain Python: the
app asks while a person describes classes, long before anything is trained."""

from __future__ import annotations


def too_few_described(described: dict[str, list[str]]) -> str | None:
    """None when enough classes are described for a zero-shot model (two); otherwise the sentence
    saying so, to which the command line and the app add where classes are described."""
    if len(described) >= 2:
        return None
    state = "No class is described yet." if not described else f"Only '{next(iter(described))}' is described."
    return f"Describe at least two classes by their attributes first. {state}"

"""Zero-shot classes by attributes: classes are described by attributes (yellow, spotted, striped,
...); one detector per attribute is trained on the classes that have examples; a class known only by
its description is then recognised by how well a sample's detected attributes match it."""

from core.zeroshot.attributes import AttributeClassifier, zeroshot_run

__all__ = ["AttributeClassifier", "zeroshot_run"]

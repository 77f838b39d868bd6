"""What stands for an item that no model of a family reads: :class:`RawItem`.

Several models may share one table (a *family*, see :doc:`single-table`), each item
recording its type in the family's discriminator attribute.  An item whose type value no
model claims is never loaded as the wrong class: the family's base chooses with
``Meta.unknown`` what a read does with it, and ``"raw"`` puts a :class:`RawItem` where the
object would have been.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

__all__ = ["RawItem"]


class RawItem:
    """An item of a type no model of its family claims, as read (``Meta.unknown = "raw"``).

    :ivar value: the item's type value (None if it has no discriminator attribute).
    :ivar item: the whole item as read, in DynamoDB's wire format.
    :ivar key: the item's table key attributes, in wire format.
    :ivar model: the model it was read through.
    """

    __slots__ = ("value", "item", "key", "model")

    def __init__(self, value: Optional[str], item: Dict[str, Any], key: Dict[str, Any], model: Any) -> None:
        self.value = value
        self.item = item
        self.key = key
        self.model = model

    def __eq__(self, other: Any) -> bool:
        if other.__class__ is not RawItem:
            return NotImplemented
        return (self.value, self.item, self.model) == (other.value, other.item, other.model)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        name = getattr(self.model, "__name__", self.model)
        return f"<RawItem {self.value!r} of {name} {self.key!r}>"

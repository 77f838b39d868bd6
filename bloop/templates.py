"""Key templates: a key attribute built from other columns (``"ORDER#{created}#{order_id}"``).

A :class:`Template` is parsed once, when its model's class statement runs: the literal text
and the columns between it.  It renders the attribute from an object's values (each part
dumped with its column's type, as DynamoDB would store it alone) and parses an attribute
back into the parts' values.  Two parts must be separated by literal text, and a part's
value must not contain the text that follows it, or the attribute could not be read back:
both are refused (the first at the class statement, the second before a request is sent).
"""
from __future__ import annotations

import string
from typing import Any, Dict, List, Optional, Tuple

from .exceptions import InvalidModel, InvalidValue

__all__ = ["Template"]


class Template:
    """A parsed template: ``literals[0] part[0] literals[1] part[1] ... literals[n]``.

    :param text: the template, with each part a column's Python name in braces.
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise InvalidModel(f"a key template must be a string, not {text!r}")
        self.text = text
        literals: List[str] = []
        names: List[str] = []
        pending = ""
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as error:
            raise InvalidModel(f"the key template {text!r} cannot be read: {error}") from None
        for literal, field, spec, conversion in parsed:
            pending += literal
            if field is None:
                continue
            if not field.isidentifier():
                raise InvalidModel(f"the key template {text!r} names {field!r}, which is not a column name")
            if spec or conversion:
                raise InvalidModel(f"the key template {text!r}: {{{field}}} takes no format or conversion")
            if names and not pending:
                raise InvalidModel(
                    f"the key template {text!r} puts {{{names[-1]}}} and {{{field}}} side by side; "
                    "separate them with literal text (such as '#') so the key can be read back")
            literals.append(pending)
            names.append(field)
            pending = ""
        literals.append(pending)
        #: the literal text before each part, then after the last one
        self.literals: Tuple[str, ...] = tuple(literals)
        #: the column names of the parts, in order
        self.names: Tuple[str, ...] = tuple(names)
        #: the parts' columns, set when the model is complete
        self.parts: Tuple[Any, ...] = ()
        #: the column this template builds
        self.column: Any = None

    @property
    def prefix(self) -> str:
        """The literal text before the first part (the whole text if there are no parts)."""
        return self.literals[0]

    def bind(self, column: Any, parts: List[Any]) -> "Template":
        bound = Template(self.text)
        bound.column = column
        bound.parts = tuple(parts)
        return bound

    # ------------------------------------------------------------------------------------
    # values

    def part_text(self, position: int, value: Any) -> str:
        """One part's value as the text it takes in the attribute; refuses a value that
        holds the literal after it (the attribute could not be read back)."""
        column = self.parts[position]
        wire = column.typedef._dump(value)
        ((_, text),) = wire.items()
        if not isinstance(text, str):
            raise InvalidValue(f"{column.model.__name__}.{column.name}: a {column.typedef!r} cannot be part of "
                               f"the key {self.column.name}")
        after = self.literals[position + 1]
        if after and after in text:
            raise InvalidValue(
                f"{column.model.__name__}.{column.name}={value!r} holds {after!r}, which separates the parts "
                f"of {self.column.name} ({self.text!r}): the key could not be read back")
        return text

    def render(self, values: Dict[str, Any]) -> Optional[str]:
        """The attribute from the parts' values (by column name), or None if a part is None."""
        out = [self.literals[0]]
        for position, column in enumerate(self.parts):
            value = values.get(column.name)
            if value is None:
                return None
            out.append(self.part_text(position, value))
            out.append(self.literals[position + 1])
        return "".join(out)

    def prefix_of(self, values: List[Any]) -> str:
        """The text of the attribute up to and including the literal after the given leading
        parts' values (``values[i]`` for part ``i``)."""
        out = [self.literals[0]]
        for position, value in enumerate(values):
            out.append(self.part_text(position, value))
            out.append(self.literals[position + 1])
        return "".join(out)

    def parse(self, text: str) -> Optional[Dict[str, Any]]:
        """The parts' values read back from the attribute, or None if it does not fit."""
        literals = self.literals
        if not text.startswith(literals[0]):
            return None
        at = len(literals[0])
        raw: List[str] = []
        last = len(self.parts) - 1
        for position in range(len(self.parts)):
            after = literals[position + 1]
            if position == last:
                end = len(text) - len(after) if after else len(text)
                if end < at or (after and not text.endswith(after)):
                    return None
            else:
                end = text.find(after, at)
                if end < 0:
                    return None
            raw.append(text[at:end])
            at = end + len(after)
        if not self.parts and text != literals[0]:
            return None
        values = {}
        for column, piece in zip(self.parts, raw):
            kind = column.typedef.backing_type
            try:
                values[column.name] = column.typedef._load({kind: piece})
            except Exception:
                return None
        return values

    def __repr__(self) -> str:
        return f"Template({self.text!r})"

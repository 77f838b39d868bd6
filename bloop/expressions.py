"""Rendering: condition nodes and update actions into DynamoDB expression syntax.

One :class:`Renderer` per request owns the placeholders: every attribute name
becomes ``#n0``, ``#n1``, ... (so reserved words and names with dots are always
safe; a dot in a name is part of the name, never a path) and every value
becomes ``:v0``, ``:v1``, ...  The renderer dumps values with the type of the
column (or path) they are compared with.

    >>> r = Renderer()
    >>> r.render(condition=(User.age >= 18) & User.email.is_not(None))
    {'ConditionExpression': '(#n0 >= :v0 AND attribute_exists(#n1))',
     'ExpressionAttributeNames': {'#n0': 'age', '#n1': 'email'},
     'ExpressionAttributeValues': {':v0': {'N': '18'}}}
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from . import limits
from .conditions import (
    And, BeginsWith, Between, Comparison, Condition, Contains, Exists, In, IsType, Not, Operand, Size,
)
from .exceptions import InvalidCondition, InvalidValue, LimitExceeded

__all__ = ["Renderer", "render"]

_COMPARATORS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_KEYS = {
    "condition": "ConditionExpression",
    "key": "KeyConditionExpression",
    "filter": "FilterExpression",
}

#: one update: (path, action kind, wire value or None for REMOVE)
UpdateEntry = Tuple[Operand, str, Optional[Dict[str, Any]]]


class Renderer:
    """Builds one request's expressions, sharing one set of placeholders."""

    def __init__(self) -> None:
        self.names: Dict[str, str] = {}
        self.values: Dict[str, Dict[str, Any]] = {}

    # placeholders ---------------------------------------------------------------------
    def name(self, dynamo_name: str) -> str:
        ref = self.names.get(dynamo_name)
        if ref is None:
            ref = self.names[dynamo_name] = f"#n{len(self.names)}"
        return ref

    def value(self, wire: Dict[str, Any]) -> str:
        ref = f":v{len(self.values)}"
        self.values[ref] = wire
        return ref

    def path(self, operand: Operand) -> str:
        if isinstance(operand, Size):
            return f"size({self.path(operand.operand)})"
        out = self.name(operand.column.dynamo_name)
        for segment in operand.segments:
            out += f"[{segment}]" if isinstance(segment, int) else "." + self.name(segment)
        return out

    def _dump(self, typedef: Any, value: Any, what: str) -> str:
        if isinstance(value, Operand):
            return self.path(value)
        if value is None:
            raise InvalidCondition(f"{what}: None can only be compared with == or != (attribute existence)")
        try:
            wire = typedef._dump(value)
        except InvalidValue as error:  # name the column (bloop.types does not know it)
            raise type(error)(f"{what}: {error}") from error
        if wire is None:
            raise InvalidCondition(f"{what}: {value!r} is empty and cannot be sent to DynamoDB")
        return self.value(wire)

    # conditions -----------------------------------------------------------------------
    # One ``render_<kind>`` method per condition node kind (``node.kind``): a new kind of
    # node is a new method here, not another branch.

    def condition(self, condition: Optional[Condition]) -> Optional[str]:
        if condition is None:
            return None
        if not isinstance(condition, Condition):
            raise InvalidCondition(f"expected a condition, got {condition!r}")
        if condition.kind == "empty":
            return None
        return self._render(condition)

    def _render(self, node: Condition) -> str:
        method: Optional[Callable[[Condition], str]] = getattr(self, "render_" + node.kind, None)
        if method is None:
            raise InvalidCondition(f"cannot render {node!r}")
        return method(node)

    def render_and(self, node: And) -> str:
        parts = [self._render(part) for part in node.conditions]
        if len(parts) == 1:
            return parts[0]
        return "(" + f" {node.kind.upper()} ".join(parts) + ")"

    render_or = render_and

    def render_not(self, node: Not) -> str:
        return f"(NOT {self._render(node.condition)})"

    def render_comparison(self, node: Comparison) -> str:
        typedef, what = self._typedef(node.operand)
        return f"{self.path(node.operand)} {_COMPARATORS[node.operator]} {self._dump(typedef, node.value, what)}"

    def render_exists(self, node: Exists) -> str:
        function = "attribute_exists" if node.value else "attribute_not_exists"
        return f"{function}({self.path(node.operand)})"

    def render_is_type(self, node: IsType) -> str:
        return f"attribute_type({self.path(node.operand)}, {self.value({'S': node.value})})"

    def render_begins_with(self, node: BeginsWith) -> str:
        typedef, what = self._typedef(node.operand)  # a string or binary: see BeginsWith
        return f"begins_with({self.path(node.operand)}, {self._dump(typedef, node.value, what)})"

    def render_contains(self, node: Contains) -> str:
        typedef, what = self._typedef(node.operand)
        backing = typedef.backing_type  # a string, binary, set or list: see Contains
        if backing in ("S", "B"):
            element = typedef
        elif backing in ("SS", "NS", "BS"):
            element = typedef.inner
        else:  # a list, or a path into dynamic data: an element of it
            element = typedef._element(0)
        return f"contains({self.path(node.operand)}, {self._dump(element, node.value, what)})"

    def render_between(self, node: Between) -> str:
        typedef, what = self._typedef(node.operand)
        low, high = node.value
        return (f"{self.path(node.operand)} BETWEEN {self._dump(typedef, low, what)} "
                f"AND {self._dump(typedef, high, what)}")

    def render_in(self, node: In) -> str:
        typedef, what = self._typedef(node.operand)
        if len(node.value) > limits.MAX_IN_OPERANDS:
            raise LimitExceeded(
                f"{what}: IN takes at most {limits.MAX_IN_OPERANDS} values, got {len(node.value)}")
        refs = ", ".join(self._dump(typedef, v, what) for v in node.value)
        return f"{self.path(node.operand)} IN ({refs})"

    def _typedef(self, operand: Operand) -> Tuple[Any, str]:
        """The type values compared with ``operand`` are dumped with, and how errors name it."""
        what = f"condition on {_describe(operand)}"
        try:
            return operand.typedef, what
        except InvalidValue as error:  # a path key the column's type refuses
            raise type(error)(f"{what}: {error}") from error

    # projections and updates ----------------------------------------------------------
    def projection(self, operands: Iterable[Operand]) -> str:
        return ", ".join(self.path(operand) for operand in operands)

    def update(self, entries: Sequence[UpdateEntry], remove_if_empty: Optional[str] = None) -> Optional[str]:
        """The UpdateExpression of ``entries``; with nothing to write, ``REMOVE`` of the
        attribute named ``remove_if_empty`` (when given), which leaves an item unchanged
        as long as no item holds that name.

        Each entry's kind is rendered by its ``update_<kind>`` method, which returns the
        clause (SET, REMOVE, ADD, DELETE) and the text to add to it.
        """
        clauses: Dict[str, List[str]] = {"SET": [], "REMOVE": [], "ADD": [], "DELETE": []}
        _refuse_overlaps(entries)
        for operand, kind, wire in entries:
            path = self.path(operand)
            if wire is None:  # an explicit None: the attribute goes
                kind = "remove"
            method = getattr(self, "update_" + kind, None)
            if method is None:
                raise InvalidCondition(f"unknown update action {kind!r}")
            clause, text = method(path, wire)
            clauses[clause].append(text)
        if remove_if_empty is not None and not any(clauses.values()):
            clauses["REMOVE"].append(self.name(remove_if_empty))
        rendered = " ".join(f"{clause} {', '.join(parts)}" for clause, parts in clauses.items() if parts)
        return rendered or None

    def update_set(self, path: str, wire: Dict[str, Any]) -> Tuple[str, str]:
        return "SET", f"{path}={self.value(wire)}"

    def update_remove(self, path: str, wire: None) -> Tuple[str, str]:
        return "REMOVE", path

    def update_add(self, path: str, wire: Dict[str, Any]) -> Tuple[str, str]:
        return "ADD", f"{path} {self.value(wire)}"

    def update_delete(self, path: str, wire: Dict[str, Any]) -> Tuple[str, str]:
        return "DELETE", f"{path} {self.value(wire)}"

    def update_append(self, path: str, wire: Dict[str, Any]) -> Tuple[str, str]:
        return "SET", f"{path}=list_append({path}, {self.value(wire)})"

    def update_prepend(self, path: str, wire: Dict[str, Any]) -> Tuple[str, str]:
        return "SET", f"{path}=list_append({self.value(wire)}, {path})"

    def update_plus(self, path: str, wire: Dict[str, Any]) -> Tuple[str, str]:
        return "SET", f"{path}={path} + {self.value(wire)}"

    def update_minus(self, path: str, wire: Dict[str, Any]) -> Tuple[str, str]:
        return "SET", f"{path}={path} - {self.value(wire)}"

    def update_subtract_from(self, path: str, wire: Dict[str, Any]) -> Tuple[str, str]:
        return "SET", f"{path}={self.value(wire)} - {path}"

    def update_if_not_exists(self, path: str, wire: Dict[str, Any]) -> Tuple[str, str]:
        return "SET", f"{path}=if_not_exists({path}, {self.value(wire)})"

    # the request fragment -------------------------------------------------------------
    def render(self, *, condition: Optional[Condition] = None, key: Optional[Condition] = None,
               filter: Optional[Condition] = None, projection: Optional[Iterable[Operand]] = None,
               update: Optional[Sequence[UpdateEntry]] = None,
               remove_if_empty: Optional[str] = None) -> Dict[str, Any]:
        """Render any of the expressions of one request into its parameters.

        :param remove_if_empty: with ``update``, the attribute name to ``REMOVE`` when the
            entries write nothing (an UpdateItem that must carry an UpdateExpression).
        """
        out: Dict[str, Any] = {}
        for name, node in (("key", key), ("filter", filter), ("condition", condition)):
            rendered = self.condition(node)
            if rendered:
                out[_KEYS[name]] = _checked(rendered, _KEYS[name])
        if projection is not None:
            out["ProjectionExpression"] = _checked(self.projection(projection), "ProjectionExpression")
        if update is not None:
            rendered = self.update(update, remove_if_empty)
            if rendered:
                out["UpdateExpression"] = _checked(rendered, "UpdateExpression")
        if self.names:
            out["ExpressionAttributeNames"] = {ref: name for name, ref in self.names.items()}
        if self.values:
            out["ExpressionAttributeValues"] = dict(self.values)
        return out


def _refuse_overlaps(entries: Sequence[UpdateEntry]) -> None:
    """DynamoDB refuses two actions on one path, or on a path and a path inside it."""
    paths = sorted(tuple((isinstance(part, int), part) for part in
                         (operand.column.dynamo_name,) + tuple(operand.segments)) for operand, _, _ in entries)
    for before, after in zip(paths, paths[1:]):
        if after[:len(before)] == before:
            raise InvalidCondition(f"two update actions overlap: {_show(before)} and {_show(after)}")


def _show(path: Tuple[Any, ...]) -> str:
    column: str = path[0][1]
    return column + "".join(f"[{part!r}]" for _, part in path[1:])


def _checked(expression: str, what: str) -> str:
    if len(expression.encode()) > limits.MAX_EXPRESSION_SIZE:
        raise LimitExceeded(
            f"the {what} would be {len(expression.encode())} bytes; DynamoDB allows "
            f"{limits.MAX_EXPRESSION_SIZE}")
    return expression


def _describe(operand: Operand) -> str:
    return operand.where()


def render(**expressions: Any) -> Dict[str, Any]:
    """Shorthand for ``Renderer().render(...)``."""
    return Renderer().render(**expressions)

"""Relationships between models, and collections: several types read back with one query.

An order refers to its customer with a :class:`ManyToOne` declared in ``Order``'s body::

    class Order(Shop, discriminator="order"):
        ...
        customer = ManyToOne(Customer, inverse="orders")

``order.customer`` is a new ``Customer`` holding only its key parts, read from the order's
columns of the same names (or those ``on=`` maps them to); attribute access never does I/O,
so loading it is an explicit ``engine.load(order.customer)``.  ``order.customer = c`` copies
``c``'s key parts into the order.

The inverse side is declared once, by ``inverse=``: ``Customer.orders`` is a
:class:`OneToMany`, and ``engine.related(customer, Customer.orders)`` is an ordinary query of
``Order`` (a key condition on the parts, which the template rewrite turns into the key
columns' condition), so every chain method works on it.  ``engine.collection(customer)`` reads
the customer's partition with one query through the family's base and groups what it finds
(:class:`Collection`).

Everything here is I/O-free: the engines run what it builds.
"""
from __future__ import annotations

import re
import weakref
from typing import TYPE_CHECKING, Any, Dict, Generic, List, Optional, Tuple, TypeVar, Union, overload

from .conditions import Condition
from .exceptions import InvalidModel, InvalidSearch, InvalidType, InvalidValue, MissingKey
from .models import Column, Index, model_meta
from .operations import Op
from .search import Query, collect
from .signals import model_created

if TYPE_CHECKING:
    from .search import Prepared

__all__ = ["ManyToOne", "OneToMany", "Collection", "related_query", "collection_search", "collection_op"]

T = TypeVar("T")
S = TypeVar("S")
O = TypeVar("O")  # noqa: E741 - the owner of a collection

#: the links of one relation as seen from one model: (target column name, this model's column name)
Links = Tuple[Tuple[str, str], ...]


def _name(value: Any, what: str, where: str) -> str:
    if isinstance(value, Column):
        return value.name
    if isinstance(value, str) and value:
        return value
    raise InvalidModel(f"{where}: {what} must name a column, not {value!r}")


def identity(model: type) -> List[str]:
    """The names of the columns that identify an object of ``model``: the parts of each
    templated table key, and each key that is not templated, in key order."""
    names: List[str] = []
    for key in model.Meta.keys:  # type: ignore[attr-defined]
        template = key.template
        for name in (template.names if template is not None else (key.name,)):
            if name not in names:
                names.append(name)
    return names


def _value(obj: Any, name: str) -> Any:
    """``obj``'s value of column ``name``, or, when it has none, the value its templated table
    keys hold for that part (an object bloop knows only by its keys)."""
    value = obj.__dict__.get(name)
    if value is not None:
        return value
    for key in type(obj).Meta.keys:
        template = key.template
        if template is None or name not in template.names:
            continue
        text = obj.__dict__.get(key.name)
        if isinstance(text, str):
            parsed = template.parse(text)
            if parsed is not None and parsed.get(name) is not None:
                return parsed[name]
    return None


class ManyToOne(Generic[T]):
    """A reference from this model to one object of ``target``, by ``target``'s key parts.

    :param target: the model referred to (a concrete model class).
    :param inverse: the name of the :class:`OneToMany` this declares on ``target``
        (``Customer.orders``): the objects of this model that refer to a given target.
    :param on: ``{target column: this model's column}`` for the parts whose columns are named
        differently here (default: the same names).  The parts are the columns of the
        target's key templates (or its key columns, when not templated).
    :param index: the inverse reads this index of this model (an index object or its name)
        instead of the table.

    ``obj.<name>`` is a new ``target`` object holding only its key parts (None if a part is
    None); no I/O, and a new object on each access.  ``obj.<name> = target_obj`` copies the
    target's parts into this object's columns; ``= None`` clears them.
    """

    def __init__(self, target: "type[T] | str", *, inverse: Optional[str] = None,
                 on: Optional[Dict[Any, Any]] = None, index: Any = None) -> None:
        where = f"ManyToOne({getattr(target, '__name__', target)!r})"
        #: a reference to another object of the declaring model (``ManyToOne("self")``)
        self.to_self = target == "self"
        if not self.to_self and model_meta(target, concrete=True) is None:
            raise InvalidModel(f"{where}: the target must be a concrete model class (or \"self\" for the model "
                               f"that declares it), not {target!r}")
        if inverse is not None and not (isinstance(inverse, str) and inverse.isidentifier()):
            raise InvalidModel(f"{where}: inverse must be an attribute name, not {inverse!r}")
        if on is not None and not isinstance(on, dict):
            raise InvalidModel(f"{where}: on must be a dict {{target column: this model's column}}, not {on!r}")
        if index is not None and not isinstance(index, (str, Index)):
            raise InvalidModel(f"{where}: index must be an index of this model or its name, not {index!r}")
        self.target: Any = None if self.to_self else target
        self.inverse = inverse
        self._on = dict(on or {})
        self._index = index
        #: the class whose body declares this relation, and the attribute name
        self.owner: Any = None
        self.name = ""
        #: the model the inverse queries: the owner, once it is known to be a concrete model
        self.model: Any = None
        #: the index the inverse reads (None: the table)
        self.index: Optional[Index] = None
        self._links: "weakref.WeakKeyDictionary[type, Links]" = weakref.WeakKeyDictionary()

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner, self.name = owner, name
        if self.to_self:
            self.target = owner

    # ------------------------------------------------------------------------------------
    # declaration

    def links(self, model: type) -> Links:
        """``((target column, model's column), ...)`` for ``model`` (the declaring model or a
        subclass), checked once per model."""
        found = self._links.get(model)
        if found is None:
            found = self._links[model] = self._resolve(model)
        return found

    def _where(self, model: Any = None) -> str:
        return f"{(model or self.owner).__name__}.{self.name}"

    def _resolve(self, model: type) -> Links:
        where = self._where(model)
        meta = model_meta(model)
        if meta is None:
            raise InvalidModel(f"{where}: a ManyToOne is declared on a model (or on a mixin of one)")
        target = self.target
        if self.to_self and model_meta(target, concrete=True) is None:
            raise InvalidModel(f"{where}: ManyToOne(\"self\") refers to {target.__name__}, which is abstract or "
                               "not a model; declare it on a concrete model")
        parts = identity(target)
        on = {}
        for key, value in self._on.items():
            target_name = _name(key, "a key of on=", where)
            if target_name not in parts:
                raise InvalidModel(f"{where}: on= names {target_name!r}, which is not a key part of "
                                   f"{target.__name__} (its parts: {', '.join(parts)})")
            on[target_name] = _name(value, "a value of on=", where)
        links = []
        for part in parts:
            mine = on.get(part, part)
            column = meta.columns_by_name.get(mine)
            theirs = target.Meta.columns_by_name[part]
            if column is None:
                raise InvalidModel(
                    f"{where} refers to {target.__name__} by its key part {part}, and {model.__name__} has no "
                    f"column {mine!r} to hold it; declare one, or map it: ManyToOne({target.__name__}, "
                    f"on={{{part!r}: '<a column of {model.__name__}>'}})")
            if column.typedef.backing_type != theirs.typedef.backing_type:
                raise InvalidModel(f"{where}: {model.__name__}.{mine} is a {column.typedef!r} and holds "
                                   f"{target.__name__}.{part}, a {theirs.typedef!r}")
            links.append((part, mine))
        return tuple(links)

    def _declare(self, model: type) -> None:
        """Check the relation for ``model`` and, on the declaring model, install the inverse."""
        links = self.links(model)
        if self.inverse is None:
            return
        if model_meta(self.owner, concrete=True) is None:
            raise InvalidModel(f"{self._where()}: an inverse ({self.inverse!r}) is declared on a concrete model, "
                               f"not on {self.owner.__name__}, which is abstract or not a model")
        if model is not self.owner:
            return
        where = self._where(model)
        index = self._find_index(model)
        _check_queryable(where, model, index, [mine for _, mine in links])
        existing = self.target.__dict__.get(self.inverse)
        if existing is None and any(self.inverse in vars(klass) for klass in self.target.__mro__[1:]):
            existing = getattr(self.target, self.inverse)
        if existing is not None and not (isinstance(existing, OneToMany) and existing.relation is self):
            raise InvalidModel(f"{where}: inverse={self.inverse!r}, but {self.target.__name__}.{self.inverse} "
                               f"is taken ({existing!r})")
        self.model = model
        self.index = index
        setattr(self.target, self.inverse, OneToMany(self))

    def _find_index(self, model: type) -> Optional[Index]:
        if self._index is None:
            return None
        name = self._index.name if isinstance(self._index, Index) else self._index
        indexes: List[Index] = model.Meta.indexes  # type: ignore[attr-defined]
        for index in indexes:
            if index.name == name:
                return index
        raise InvalidModel(f"{self._where(model)}: index={name!r} is not an index of {model.__name__}")

    # ------------------------------------------------------------------------------------
    # the descriptor

    @overload
    def __get__(self, obj: None, owner: Any = None) -> "ManyToOne[T]": ...

    @overload
    def __get__(self, obj: object, owner: Any = None) -> Optional[T]: ...

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        values = {}
        for theirs, mine in self.links(type(obj)):
            value = obj.__dict__.get(mine)
            if value is None:
                return None
            values[theirs] = value
        return reference(self.target, values)

    def __set__(self, obj: Any, value: Optional[T]) -> None:
        links = self.links(type(obj))
        if value is None:
            for _, mine in links:
                setattr(obj, mine, None)
            return
        target = self.target
        if not isinstance(value, target):
            raise InvalidType(f"{self._where(type(obj))} refers to a {target.__name__} (or None), not {value!r}; "
                              "nothing was changed")
        values = []
        for theirs, mine in links:
            part = _value(value, theirs)
            if part is None:
                raise InvalidValue(f"{self._where(type(obj))} = {value!r}: the {target.__name__} has no {theirs}, "
                                   "which identifies it; nothing was changed")
            values.append((mine, part))
        for mine, part in values:
            setattr(obj, mine, part)

    def __delete__(self, obj: Any) -> None:
        self.__set__(obj, None)

    def __repr__(self) -> str:
        owner = self.owner.__name__ if self.owner is not None else "?"
        inverse = f", inverse={self.inverse!r}" if self.inverse else ""
        target = self.target.__name__ if self.target is not None else "self"
        return f"<ManyToOne[{owner}.{self.name} -> {target}{inverse}]>"


def reference(target: Any, values: Dict[str, Any]) -> Any:
    """A new ``target`` object holding only ``values`` (its key parts by column name), its
    type value and its templated table keys; it is not loaded (no snapshot), so
    ``engine.load(obj)`` fills the rest."""
    meta = target.Meta
    obj = target.__new__(target)
    state = obj.__dict__
    state.update(values)
    if meta.type_value is not None:
        state[meta.discriminator.name] = meta.type_value
    for key in meta.keys:
        if key.template is not None:
            state[key.name] = key.template.render(values)
    return obj


def _check_queryable(where: str, model: type, index: Optional[Index], columns: List[str]) -> None:
    """The inverse is a query: the columns a relation fills must give the whole hash key
    of the table (or index) it reads, and at most leading parts of its range key."""
    meta = model.Meta  # type: ignore[attr-defined]
    hash_key: Any
    range_key: Any
    hash_key, range_key = (index.hash_key, index.range_key) if index is not None else (meta.hash_key, meta.range_key)
    searched = f"{model.__name__}.{index.name}" if index is not None else f"{model.__name__}'s table"
    hash_parts = list(hash_key.template.names) if hash_key.template is not None else [hash_key.name]
    missing = [name for name in hash_parts if name not in columns]
    if missing:
        built = f"is {hash_key.name}" if hash_key.template is None else \
            f"{hash_key.name} is built from {', '.join(missing)}"
        raise InvalidModel(
            f"{where}: the inverse queries {searched}, whose hash key {built}, which the relation does not hold; "
            "give the hash key's parts to the relation (on=...) or query an index whose hash key it holds (index=...)")
    rest = [name for name in columns if name not in hash_parts]
    if not rest:
        return
    if range_key is None:
        raise InvalidModel(f"{where}: {', '.join(rest)} is not part of a key of {searched}")
    if range_key.template is None:
        if rest != [range_key.name]:
            raise InvalidModel(f"{where}: {', '.join(rest)} is not part of a key of {searched}")
        return
    leading = list(range_key.template.names[:len(rest)])
    if sorted(rest) != sorted(leading):
        raise InvalidModel(f"{where}: {', '.join(rest)} must be the leading parts of {range_key.name} "
                           f"({range_key.template.text!r}) for the inverse to be a query of {searched}")


class OneToMany(Generic[S]):
    """The inverse of a :class:`ManyToOne`: the objects of its model that refer to one object.

    Made by ``ManyToOne(..., inverse="orders")`` on the target (``Customer.orders``), never
    declared by hand.  ``engine.related(customer, Customer.orders)`` is the query of those
    objects (bound to that engine); ``customer.orders`` is the same query with no engine
    (run it with ``engine.query(customer.orders)``); attribute access sends nothing.
    """

    def __init__(self, relation: ManyToOne[Any]) -> None:
        self.relation = relation

    @property
    def model(self) -> Any:
        """The model whose objects the inverse finds (the relation's declaring model)."""
        return self.relation.model

    @property
    def name(self) -> str:
        return self.relation.inverse or ""

    @overload
    def __get__(self, obj: None, owner: Any = None) -> "OneToMany[S]": ...

    @overload
    def __get__(self, obj: object, owner: Any = None) -> "Query[S, Any]": ...

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        return related_query(None, obj, self)

    def __set__(self, obj: Any, value: Any) -> None:
        raise InvalidType(f"{self!r} is read from the {self.model.__name__} objects that refer to "
                          f"{type(obj).__name__}; set {self.model.__name__}.{self.relation.name} on each of them")

    def condition(self, obj: Any) -> Condition:
        """The key condition on the parts: each part of ``obj`` ``==`` its column here."""
        relation = self.relation
        target = relation.target
        where = f"{target.__name__}.{self.name}"
        if not isinstance(obj, target):
            raise InvalidType(f"{where} finds what refers to a {target.__name__}, not to {obj!r}")
        model = self.model
        condition: Optional[Condition] = None
        for theirs, mine in relation.links(model):
            value = _value(obj, theirs)
            if value is None:
                raise MissingKey(f"{where}: the {target.__name__} has no {theirs}, which its {model.__name__} "
                                 "objects refer to it by; nothing was sent")
            part = getattr(model, mine) == value
            condition = part if condition is None else condition & part
        assert condition is not None  # a model has a key: a relation has at least one link
        return condition

    def __repr__(self) -> str:
        return f"<OneToMany[{self.relation.target.__name__}.{self.name} <- {self.relation._where()}]>"


def related_query(engine: Any, obj: Any, relation: Union[OneToMany[Any], str]) -> Query[Any, Any]:
    """The query of the objects that refer to ``obj`` through ``relation`` (its
    :class:`OneToMany`, or its name on ``obj``'s model), bound to ``engine`` (or to none)."""
    if isinstance(relation, str):
        found = getattr(type(obj), relation, None)
        if not isinstance(found, OneToMany):
            raise InvalidSearch(f"{type(obj).__name__}.{relation} is not an inverse relation "
                                "(declare one with ManyToOne(..., inverse=...))")
        relation = found
    elif isinstance(relation, ManyToOne):
        raise InvalidSearch(f"{relation._where()} refers to one {relation.target.__name__}: it is loaded "
                            f"with engine.load(obj.{relation.name}), not searched")
    elif not isinstance(relation, OneToMany):
        raise InvalidSearch(f"related(obj, relation) takes an inverse relation (Customer.orders), not {relation!r}")
    key = relation.condition(obj)
    index = relation.relation.index
    return Query(engine, index if index is not None else relation.model, key=key)


# ----------------------------------------------------------------------------------------
# collections

def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class Collection(Generic[O]):
    """What ``engine.collection(owner)`` read from the owner's partition, grouped.

    :ivar owner: the owner as read now (a new object), or None when its own item is not there;
        also readable under its model's name in snake case (``collection.customer``).
    :ivar items: every object read, in key order.
    :ivar groups: ``{inverse name: objects}`` for each inverse relation of the owner's model
        whose objects share its partition, also readable as attributes (``collection.orders``).
    """

    def __init__(self, owner: Optional[O], items: List[Any], groups: Dict[str, List[Any]], alias: str) -> None:
        self.owner = owner
        self.items = items
        self.groups = groups
        self._alias = alias

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        groups = self.__dict__.get("groups", {})
        if name in groups:
            return groups[name]
        if name == self.__dict__.get("_alias"):
            return self.owner
        raise AttributeError(f"this collection has no {name!r}: it has {self._alias!r} (the owner), "
                             f"items, {', '.join(map(repr, groups)) or 'no groups'} and of(model)")

    def of(self, model: type[T]) -> List[T]:
        """The objects read that are ``model``'s (of it or of a model below it)."""
        return [obj for obj in self.items if isinstance(obj, model)]

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(objs)}" for name, objs in self.groups.items())
        return f"<Collection {self._alias}={self.owner!r} items={len(self.items)}{', ' if counts else ''}{counts}>"


def _key_values(obj: Any) -> List[Any]:
    """The table key values of ``obj``, templated keys rendered from their parts."""
    values = []
    for key in type(obj).Meta.keys:
        if key.template is not None:
            value = key.template.render(obj.__dict__)
            if value is None:
                missing = [p.name for p in key.template.parts if obj.__dict__.get(p.name) is None]
                raise MissingKey(f"{type(obj).__name__}.{key.name} is built from {', '.join(missing)}, which has "
                                 "no value; nothing was sent")
        else:
            value = obj.__dict__.get(key.name)
            if value is None:
                raise MissingKey(f"{type(obj).__name__}.{key.name} has no value; nothing was sent")
        values.append(value)
    return values


def _inverses(model: type) -> List[OneToMany[Any]]:
    """The inverse relations of ``model`` and of its bases whose objects live in its partitions."""
    found: Dict[str, OneToMany[Any]] = {}
    for klass in reversed(model.__mro__):
        for name, attr in list(vars(klass).items()):
            if isinstance(attr, OneToMany):
                found[name] = attr
            else:
                found.pop(name, None)
    table = model.Meta.table_name  # type: ignore[attr-defined]
    return [inverse for inverse in found.values()
            if inverse.relation.index is None and inverse.model is not None
            and inverse.model.Meta.table_name == table]


def collection_search(engine: Any, obj: Any, consistent: bool = False) -> Query[Any, Any]:
    """The query of ``obj``'s partition, through its family's base (so each item is read as
    its own model), bound to ``engine``."""
    meta = model_meta(type(obj), concrete=True)
    if meta is None:
        raise InvalidSearch(f"collection(obj) takes an object of a concrete model, not {obj!r}")
    hash_value = _key_values(obj)[0]
    base = meta.family.base if meta.family is not None else type(obj)
    hash_key = base.Meta.hash_key  # type: ignore[attr-defined]
    return Query(engine, base, key=hash_key == hash_value, consistent=consistent)


def collection_op(prepared: "Prepared", obj: Any) -> Op:
    """``engine.collection(obj)`` as an I/O-free operation: every page of the prepared
    partition query, then the objects grouped."""
    found = yield from collect(prepared)
    return group(obj, found)


def group(obj: Any, found: List[Any]) -> Collection[Any]:
    """``found`` (objects of ``obj``'s partition) grouped around ``obj``."""
    model = type(obj)
    owner_key = _key_values(obj)
    owner = None
    inverses = _inverses(model)
    groups: Dict[str, List[Any]] = {inverse.name: [] for inverse in inverses}
    wanted = [(inverse, inverse.relation.links(inverse.model),
               [_value(obj, theirs) for theirs, _ in inverse.relation.links(inverse.model)])
              for inverse in inverses]
    for item in found:
        if owner is None and isinstance(item, model) and \
                [item.__dict__.get(key.name) for key in model.Meta.keys] == owner_key:
            owner = item
            continue
        for inverse, links, values in wanted:
            if isinstance(item, inverse.model) and \
                    [item.__dict__.get(mine) for _, mine in links] == values:
                groups[inverse.name].append(item)
    return Collection(owner, found, groups, _snake(model.__name__))


# ----------------------------------------------------------------------------------------
# checked when each model's class statement completes

def _on_model_created(model: Any, **kwargs: Any) -> None:
    meta = model_meta(model)
    if meta is None:
        return
    if meta.abstract:
        for attr in list(vars(model).values()):
            if isinstance(attr, ManyToOne) and attr.inverse is not None:
                raise InvalidModel(f"{attr._where()}: an inverse ({attr.inverse!r}) is declared on a concrete "
                                   f"model, not on the abstract {model.__name__}")
        return
    seen = set()
    for klass in model.__mro__:
        for name, attr in list(vars(klass).items()):
            if name in seen:
                continue
            seen.add(name)
            if isinstance(attr, ManyToOne):
                attr._declare(model)


model_created.connect(_on_model_created)

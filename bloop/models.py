"""Declaring models: columns, indexes, ``Meta``, and the model base classes.

A model is a class whose :class:`Column` attributes describe one DynamoDB table.
Everything about the table is worked out once, when the class is created, and
kept on ``Model.Meta``; a model declared wrongly raises
:class:`~bloop.exceptions.InvalidModel` right there, not at the first request.

Column values live in the instance ``__dict__`` under the column's Python name.
A column that was never given a value reads as None; ``del obj.col`` or
``obj.col = None`` records an explicit None, which a save sends as ``REMOVE``.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Dict, Generic, Iterator, List, Optional, Tuple, TypeVar, Union, cast, overload

from . import limits
from .signals import model_created, object_modified
from .conditions import Operand
from .exceptions import InvalidModel, UnknownColumn
from .tracking import SNAPSHOT, Loaded, snapshot
from .actions import Action
from .templates import Template
from .types import T, Type, instance, is_text

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # the decorator only tells type checkers (PEP 681); before 3.11 it does nothing
    _C = TypeVar("_C")

    def dataclass_transform(**kwargs: Any) -> Callable[[_C], _C]:
        return lambda cls: cls

__all__ = ["Column", "GlobalSecondaryIndex", "LocalSecondaryIndex", "BaseModel", "ModelMeta", "model_meta", "Family"]

_RESERVED_PREFIX = "_bloop"
_STREAM_VIEWS = {
    frozenset(["keys"]): "KEYS_ONLY",
    frozenset(["new"]): "NEW_IMAGE",
    frozenset(["old"]): "OLD_IMAGE",
    frozenset(["new", "old"]): "NEW_AND_OLD_IMAGES",
}


class Column(Operand, Generic[T]):
    """One attribute of a model; ``Column(String)`` is a ``Column[str]``, so type checkers
    see ``obj.name`` as ``Optional[str]`` and ``Model.name`` as the column.

    :param typedef: a :class:`~bloop.types.Type` class or instance.
    :param hash_key: this column is the table's partition key.
    :param range_key: this column is the table's sort key.
    :param dynamo_name: the attribute name in DynamoDB, if not the Python name.
    :param default: a value, or a zero-argument callable, for new objects.
    :param version: an integer column used for optimistic locking.
    :param template: for a key column (of the table or of an index), how it is built from
        other columns: ``"ORDER#{created}#{order_id}"`` (see :doc:`single-table`).
    :param unique: no two objects of the model may hold the same value (kept with a guard
        item in the same transaction as each write; see :doc:`single-table`).
    :param discriminator: this string column records which model an item is, so that several
        models share one table (declared once, on their shared base).
    """

    def __init__(self, typedef: Type[T] | type[Type[T]], hash_key: bool = False, range_key: bool = False,
                 dynamo_name: Optional[str] = None, default: Any = None,
                 version: bool = False, *, template: Optional[str] = None, unique: bool = False,
                 discriminator: bool = False) -> None:
        self.typedef = instance(typedef)
        self.hash_key = hash_key
        self.range_key = range_key
        self._dynamo_name = dynamo_name
        self.default = default
        self.version = version
        if template is not None and not isinstance(template, str):
            raise InvalidModel(f"a key template is a string such as 'ORDER#{{order_id}}', not {template!r}")
        self._template = template
        #: the parsed template, bound to this model's columns once the model is complete
        self.template: Optional[Template] = None
        self.unique = bool(unique)
        self.discriminator = bool(discriminator)
        self.name: str = ""
        self.model: Any = None

    # Operand protocol: a column is a path with no segments, typed by its own type
    # (this shadows Operand.typedef, which walks into a column's type).
    typedef: Type[T] = None  # type: ignore[assignment]

    @property
    def column(self) -> Column[T]:
        return self

    segments: Tuple[Any, ...] = ()

    @property
    def dynamo_name(self) -> str:
        return self.name if self._dynamo_name is None else self._dynamo_name

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: Any = None) -> Column[T]: ...

    @overload
    def __get__(self, obj: object, owner: Any = None) -> Optional[T]: ...

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        return obj.__dict__.get(self.name)

    def __set__(self, obj: Any, value: Optional[Union[T, Action]]) -> None:
        if isinstance(value, Action):
            value.check(self)  # add() on a string, ...: refused at the user's line
        values = obj.__dict__
        if values.get(SNAPSHOT).__class__ is Loaded:
            snapshot(obj)  # before the loaded value is gone
        values[self.name] = value
        if object_modified.receivers:  # one dict check when nobody listens
            object_modified.send(obj, column=self, value=value)

    def __delete__(self, obj: Any) -> None:
        self.__set__(obj, None)  # an explicit None: a save sends REMOVE

    __hash__ = object.__hash__

    def __reduce_ex__(self, protocol: Any) -> Any:
        # A column belongs to its model class: pickle it by reference, so an unpickled
        # condition or search points at the model's own column (bloop compares by identity).
        if self.model is not None and self.model.__dict__.get(self.name) is self:
            return getattr, (self.model, self.name)
        return super().__reduce_ex__(protocol)

    def _copy(self) -> "Column[T]":
        copy = Column(self.typedef, hash_key=self.hash_key, range_key=self.range_key,
                      dynamo_name=self._dynamo_name, default=self.default, version=self.version,
                      unique=self.unique, discriminator=self.discriminator)
        copy._template = self._template
        copy.name = self.name
        return copy

    def __repr__(self) -> str:
        owner = self.model.__name__ if self.model is not None else "?"
        flags = "".join(f"={flag}" for flag, on in
                        (("hash", self.hash_key), ("range", self.range_key)) if on)
        return f"<Column[{owner}.{self.name}{flags}]>"


def _among(column: Any, columns: Any) -> bool:
    """``column in columns`` by identity: ``==`` on a column builds a condition."""
    return any(column is other for other in columns)


def _column_name(value: Any, what: str) -> Any:
    """A column name or a Column; a Column is kept as is, because in a class body
    (``hash_key=email``) its name is not known yet: it is set when the class is created."""
    if value is None or isinstance(value, (str, Column)):
        return value
    raise InvalidModel(f"{what} must name a column, got {value!r}")


class Index:
    """Common ground of the two kinds of secondary index."""

    def __init__(self, *, projection: Union[str, List[Any]] = "keys", hash_key: Any = None,
                 range_key: Any = None, dynamo_name: Optional[str] = None,
                 read_units: Optional[int] = None, write_units: Optional[int] = None) -> None:
        if isinstance(projection, str):
            if projection not in ("all", "keys"):
                raise InvalidModel(f"index projection must be 'all', 'keys' or a list, not {projection!r}")
            self._projection: Any = projection
        else:
            self._projection = [_column_name(c, "a projected column") for c in projection]
        self._hash_key = _column_name(hash_key, "hash_key")
        self._range_key = _column_name(range_key, "range_key")
        self._dynamo_name = dynamo_name
        self.read_units = read_units
        self.write_units = write_units
        self.name = ""
        self.model: Any = None
        self.hash_key: Optional[Column[Any]] = None
        self.range_key: Optional[Column[Any]] = None
        #: "all", "keys" or "include"
        self.projection_mode = ""
        #: the columns a query on this index can return
        self.projected: List[Column[Any]] = []

    @property
    def dynamo_name(self) -> str:
        return self.name if self._dynamo_name is None else self._dynamo_name

    @property
    def keys(self) -> List[Column[Any]]:
        return [c for c in (self.hash_key, self.range_key) if c is not None]

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __reduce_ex__(self, protocol: Any) -> Any:
        # By reference, like a column (see Column.__reduce_ex__).
        if self.model is not None and self.model.__dict__.get(self.name) is self:
            return getattr, (self.model, self.name)
        return super().__reduce_ex__(protocol)

    def _copy(self) -> "Index":
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.model = None
        return copy

    def _resolve(self, model: type, meta: Any) -> None:
        """Point the index at the model's columns; called once the model is complete."""
        self.model = model
        by_name = meta.columns_by_name
        kind = type(self).__name__
        if isinstance(self, LocalSecondaryIndex):
            if meta.range_key is None:
                raise InvalidModel(
                    f"{model.__name__}.{self.name}: a LocalSecondaryIndex needs the table "
                    "to have a range key")
            self.hash_key = meta.hash_key
        else:
            if self._hash_key is None:
                raise InvalidModel(f"{model.__name__}.{self.name}: a {kind} needs a hash_key")
            self.hash_key = self._lookup(by_name, self._hash_key, model)
        if isinstance(self, LocalSecondaryIndex) and self._range_key is None:
            raise InvalidModel(f"{model.__name__}.{self.name}: a LocalSecondaryIndex needs a range_key")
        self.range_key = self._lookup(by_name, self._range_key, model) if self._range_key is not None else None
        for key in self.keys:
            if key.typedef.backing_type not in ("S", "N", "B"):
                raise InvalidModel(
                    f"{model.__name__}.{self.name}: key column {key.name} must be a string, "
                    f"number or binary type, not {key.typedef!r}")
        keys = list(meta.keys) + [k for k in self.keys if not _among(k, meta.keys)]
        # a family's discriminator is in every index, so that its items can be told apart
        told = [c for c in meta.columns if c.discriminator and not _among(c, keys)]
        always = keys + told
        if self._projection == "all":
            self.projection_mode = "all"
            self.projected = list(meta.columns)
        elif self._projection == "keys":
            self.projection_mode = "include" if told else "keys"
            self.projected = always
        else:
            self.projection_mode = "include"
            included = [self._lookup(by_name, name, model) for name in self._projection]
            self.projected = always + [c for c in included if not _among(c, always)]

    def _lookup(self, by_name: Dict[str, Column[Any]], name: Any, model: type) -> Column[Any]:
        if isinstance(name, Column):
            name = name.name
        try:
            return by_name[name]
        except KeyError:
            raise InvalidModel(
                f"{model.__name__}.{self.name} names {name!r}, which is not a column of "
                f"{model.__name__}") from None

    def __repr__(self) -> str:
        owner = self.model.__name__ if self.model is not None else "?"
        return f"<{type(self).__name__}[{owner}.{self.name}]>"


class GlobalSecondaryIndex(Index):
    """A GSI: its own hash (and optional range) key, eventually consistent reads only.

    :param projection: ``"all"``, ``"keys"`` or a list of column names to include.
    """


class LocalSecondaryIndex(Index):
    """An LSI: the table's hash key with another range key; may read unprojected columns."""

    def __init__(self, *, projection: Union[str, List[Any]] = "keys", range_key: Any = None,
                 dynamo_name: Optional[str] = None) -> None:
        super().__init__(projection=projection, range_key=range_key, dynamo_name=dynamo_name)


#: capacity settings in other libraries' spelling: bloop 3's, then PynamoDB's
_FOREIGN_CAPACITY = ("read_units", "write_units", "billing_mode", "read_capacity_units", "write_capacity_units")


def _refuse_foreign_capacity(cls: type, meta: type) -> None:
    """bloop 3's ``read_units`` / ``write_units`` and PynamoDB's ``billing_mode`` and capacity
    units in ``Meta`` would otherwise be ignored, and the table made on-demand: refused, naming
    ``billing``.  (bloop writes ``read_units``, ``write_units`` and ``billing_mode`` on the
    :class:`ModelMeta` it makes, never on a declared ``Meta``.)"""
    found: Dict[str, Any] = {}
    for klass in reversed(meta.__mro__[:-1]):
        found.update((name, klass.__dict__[name]) for name in _FOREIGN_CAPACITY if name in klass.__dict__)
    if not found:
        return
    read = found.get("read_units", found.get("read_capacity_units"))
    write = found.get("write_units", found.get("write_capacity_units"))
    if read is None and write is None and found.get("billing_mode") == "PAY_PER_REQUEST":
        spelling = "billing = 'on_demand' (or no billing: a table is on-demand by default)"
    else:
        spelling = "billing = {{'read': {}, 'write': {}}}".format(
            "<units>" if read is None else repr(read), "<units>" if write is None else repr(write))
    names = ", ".join(found)
    raise InvalidModel(
        f"{cls.__name__}.Meta.{next(iter(found))} is bloop 3's or PynamoDB's spelling ({names}), which bloop "
        f"does not read (the table would be on-demand); write {spelling} in Meta")


#: the table settings a ``class Meta`` declares; a model inherits them from a concrete parent
#: model unless it declares them (``table_name`` excepted: it defaults to the class name)
_SETTINGS = ("table_name", "billing", "ttl", "stream", "encryption", "backups", "tags", "unique")

#: what reading an item of a type no model of its family claims does (``Meta.unknown`` on the base)
UNKNOWN_POLICIES = ("raise", "skip", "raw")


class Family:
    """Models that share one table, told apart by a discriminator column.

    Made by the family's base (the first concrete model with a ``Column(String,
    discriminator=True)``); every model below it joins with its own type value (its class
    name unless ``class Order(Shop, discriminator="order")`` says otherwise).

    :param base: the family's base model.
    :param column: the base's discriminator column.
    :param unknown: what reading an item of a type no model claims does: ``"raise"``
        (:class:`~bloop.exceptions.UnknownType`), ``"skip"`` (the item is left out) or
        ``"raw"`` (a :class:`~bloop.entities.RawItem` stands for it).
    """

    def __init__(self, base: type, column: "Column[Any]", unknown: str) -> None:
        self.base = base
        #: the discriminator's Python name (the same column name in every model of the family)
        self.name = column.name
        #: the discriminator's attribute name in DynamoDB
        self.dynamo_name = column.dynamo_name
        self.unknown = unknown
        #: each type value, and the model that claims it
        self.models: Dict[str, type] = {}

    def model_for(self, value: Any) -> Optional[type]:
        """The model an item of this type value is, or None if no model claims the value."""
        return self.models.get(value) if value.__class__ is str else None

    def values_under(self, model: type) -> List[str]:
        """The type values of ``model`` and of every model below it."""
        return [value for value, cls in self.models.items() if issubclass(cls, model)]

    def __repr__(self) -> str:
        return f"<Family of {self.base.__name__} by {self.name}: {sorted(self.models)}>"


class ModelMeta:
    """Everything bloop knows about one model and its table: ``Model.Meta`` is one of these.

    Made once, when the model's class statement runs, from the model and the ``class Meta``
    it declares (if any); a model declared wrongly raises :class:`~bloop.exceptions.InvalidModel`
    here.  The options the declared ``Meta`` holds (and inherits from its bases) stay readable
    as attributes, so ``Model.Meta.<option>`` reads what the user wrote; a ``Meta`` may
    subclass another model's (``class Meta(Parent.Meta)``): it subclasses what that model
    declared.

    :param model: the model class.
    :param declared: the ``Meta`` class in the model's class body, or None.
    """

    #: the model class this describes
    model: type
    #: an abstract model is never bound to a table (a base for other models)
    abstract: bool
    table_name: str
    #: the settings as declared (or inherited from a concrete parent model)
    billing: Any
    ttl: Any
    stream: Any
    encryption: Any
    backups: Any
    tags: Any
    unique: Any
    columns: List[Column[Any]]
    columns_by_name: Dict[str, Column[Any]]
    columns_by_dynamo_name: Dict[str, Column[Any]]
    indexes: List[Index]
    gsis: List[GlobalSecondaryIndex]
    lsis: List[LocalSecondaryIndex]
    hash_key: Optional[Column[Any]]
    range_key: Optional[Column[Any]]
    keys: List[Column[Any]]
    version: Optional[Column[Any]]
    #: worked out from ``ttl`` and ``stream``
    ttl_column: Optional[Column[Any]]
    stream_view: Optional[str]
    #: worked out from ``billing``
    billing_mode: str
    read_units: Optional[int]
    write_units: Optional[int]
    #: the columns a load without a projection fills in: all of them
    projected: List[Column[Any]]
    #: several models in one table: the family this model belongs to (or None), its
    #: discriminator column and this model's type value
    family: Optional[Family]
    discriminator: Optional[Column[Any]]
    type_value: Optional[str]
    #: the columns built from others with a template (see :mod:`bloop.templates`)
    templated: List[Column[Any]]
    #: each unique constraint: one column, or several whose combination is unique
    uniques: List[Tuple[Column[Any], ...]]

    def __init__(self, model: type, declared: Optional[type] = None, type_value: Optional[str] = None) -> None:
        if isinstance(declared, ModelMeta):  # ``Meta = Other.Meta``: what Other declared
            declared = declared._declared
        if declared is None:
            declared = type("Meta", (), {})
        else:
            _refuse_foreign_capacity(model, declared)
        self._declared = declared
        for name in _declared_options(declared):
            setattr(self, name, getattr(declared, name))
        self.model = model
        self.abstract = bool(declared.__dict__.get("abstract", False))
        # Table settings are inherited from a concrete parent model's Meta unless redeclared.
        parent = next((meta for base in model.__mro__[1:] for meta in [model_meta(base)]
                       if meta is not None and meta.model is base), None)
        for name in _SETTINGS:
            if name in declared.__dict__:
                setattr(self, name, declared.__dict__[name])
            else:
                setattr(self, name, None if name == "table_name" or parent is None else getattr(parent, name))
        if not self.table_name:
            self.table_name = model.__name__
        self.ttl_column = None
        self.stream_view = None
        self.billing_mode, self.read_units, self.write_units = "PAY_PER_REQUEST", None, None
        self.family, self.discriminator, self.type_value = None, None, None
        self.templated, self.uniques = [], []
        parent_family = parent.family if parent is not None else None
        if parent is not None and parent_family is not None:
            # a model of a family lives in its base's table
            if "table_name" in declared.__dict__ and declared.__dict__["table_name"] != parent.table_name:
                raise InvalidModel(
                    f"{model.__name__}.Meta.table_name is {declared.__dict__['table_name']!r}, but "
                    f"{model.__name__} is a type of {parent_family.base.__name__}, whose items live in "
                    f"{parent.table_name!r}")
            self.table_name = parent.table_name
        elif type_value is not None:
            raise InvalidModel(
                f"{model.__name__}(discriminator={type_value!r}): no base of {model.__name__} declares a "
                "discriminator column; declare one on the shared base: kind = Column(String, discriminator=True)")
        self._declare(model)
        if not self.abstract:
            _join_family(model, self, parent_family, type_value)
        elif parent_family is not None:  # an abstract model inside a family: its models join the family
            self.family = parent_family
            self.discriminator = self.columns_by_name.get(parent_family.name)

    def _declare(self, cls: type) -> None:
        # Columns and indexes: inherited ones (from mixins and parent models) are copied so
        # each model owns its own, bound to it.  Python's precedence decides what a name is:
        # the class body, then the bases in method resolution order, so anything else of the
        # same name there (a method, a property, ``name = None``) hides an inherited column.
        inherited: Dict[str, Any] = {}
        origin: Dict[str, type] = {}
        for base in reversed(cls.__mro__[1:]):
            for name, attr in base.__dict__.items():
                if isinstance(attr, (Column, Index)):
                    inherited[name] = attr
                    origin[name] = base
                else:
                    inherited.pop(name, None)
        body = [name for name, attr in cls.__dict__.items() if isinstance(attr, (Column, Index))]
        for name in cls.__dict__:
            inherited.pop(name, None)
        for name, attr in inherited.items():
            copy = attr._copy()
            setattr(cls, name, copy)
        order = list(inherited) + body
        for name in order:
            if name.startswith(_RESERVED_PREFIX):
                raise InvalidModel(f"{cls.__name__}.{name}: names starting with {_RESERVED_PREFIX!r} are bloop's")
            attr = cls.__dict__[name]
            attr.name = name
            attr.model = cls
        all_columns = [cls.__dict__[n] for n in order if isinstance(cls.__dict__[n], Column)]
        indexes = [cls.__dict__[n] for n in order if isinstance(cls.__dict__[n], Index)]

        self.columns = all_columns
        self.columns_by_name = {c.name: c for c in all_columns}
        self.columns_by_dynamo_name = {}
        for column in all_columns:
            if column.dynamo_name in self.columns_by_dynamo_name:
                raise InvalidModel(
                    f"{cls.__name__}: columns {self.columns_by_dynamo_name[column.dynamo_name].name} "
                    f"and {column.name} share the DynamoDB name {column.dynamo_name!r}")
            if not column.dynamo_name:
                raise InvalidModel(f"{cls.__name__}.{column.name}: dynamo_name must not be empty")
            if not is_text(column.dynamo_name):
                raise InvalidModel(f"{cls.__name__}.{column.name}: the attribute name {column.dynamo_name!r} holds "
                                   "a lone surrogate; DynamoDB stores names as UTF-8, which cannot encode it")
            self.columns_by_dynamo_name[column.dynamo_name] = column
        by_dynamo_name: Dict[str, Index] = {}
        for index in indexes:
            other = by_dynamo_name.setdefault(index.dynamo_name, index)
            if other is not index:
                raise InvalidModel(
                    f"{cls.__name__}: indexes {other.name} and {index.name} share the DynamoDB name "
                    f"{index.dynamo_name!r}")
        hash_keys = [c for c in all_columns if c.hash_key]
        range_keys = [c for c in all_columns if c.range_key]
        self.indexes = indexes
        self.gsis = [i for i in indexes if isinstance(i, GlobalSecondaryIndex)]
        self.lsis = [i for i in indexes if isinstance(i, LocalSecondaryIndex)]
        self.hash_key = hash_keys[0] if len(hash_keys) == 1 else None
        self.range_key = range_keys[0] if len(range_keys) == 1 else None
        self.keys = [k for k in (self.hash_key, self.range_key) if k is not None]
        versions = [c for c in all_columns if c.version]
        self.version = versions[0] if versions else None
        self.projected = list(all_columns)

        if self.abstract:
            return
        _validate_keys(cls, hash_keys, range_keys, {n: origin[n] for n in inherited})
        _validate(cls, self, hash_keys, range_keys, versions)
        for index in self.indexes:
            index._resolve(cls, self)
        _validate_names(cls, self)
        _bind_templates(cls, self)
        _resolve_unique(cls, self)

    def __mro_entries__(self, bases: Tuple[Any, ...]) -> Tuple[type]:
        # ``class Meta(Parent.Meta)`` in a model's body subclasses what Parent declared
        return (self._declared,)

    def __repr__(self) -> str:
        return f"<ModelMeta of {self.model.__name__}>"


def _join_family(cls: type, meta: ModelMeta, family: Optional[Family], type_value: Optional[str]) -> None:
    """Make a family (a model declaring a discriminator column) or join the parent's."""
    name = cls.__name__
    flagged = [c for c in meta.columns if c.discriminator]
    if len(flagged) > 1:
        raise InvalidModel(f"{name} has {len(flagged)} discriminator columns "
                           f"({', '.join(c.name for c in flagged)}); a family has one")
    if family is not None:
        column = meta.columns_by_name.get(family.name)
        if column is None or not column.discriminator:
            raise InvalidModel(
                f"{name}.{family.name} hides the discriminator of {family.base.__name__}; every type of a "
                "family keeps its base's discriminator column")
        if column.dynamo_name != family.dynamo_name:
            raise InvalidModel(f"{name}.{column.name} renames the discriminator of {family.base.__name__}")
    elif flagged:
        column = flagged[0]
        unknown = getattr(meta, "unknown", "raise")
        if unknown not in UNKNOWN_POLICIES:
            raise InvalidModel(f"{name}.Meta.unknown must be one of {', '.join(map(repr, UNKNOWN_POLICIES))}, "
                               f"not {unknown!r}")
        if column.typedef.backing_type != "S":
            raise InvalidModel(f"{name}.{column.name}: a discriminator is a String column, not {column.typedef!r}")
        if column.default is not None:
            raise InvalidModel(f"{name}.{column.name}: a discriminator holds each model's type value; it takes "
                               "no default")
        family = Family(cls, column, unknown)
    else:
        return
    value = name if type_value is None else type_value
    if not isinstance(value, str) or not value:
        raise InvalidModel(f"{name}: a type value is a non-empty string, not {value!r}")
    other = family.models.get(value)
    if other is not None and other is not cls:
        raise InvalidModel(f"{name} and {other.__name__} both claim the type value {value!r} in the family of "
                           f"{family.base.__name__}; give one of them another: class {name}(..., "
                           "discriminator='...')")
    family.models[value] = cls
    meta.family, meta.discriminator, meta.type_value = family, column, value


def _bind_templates(cls: type, meta: ModelMeta) -> None:
    """Point each key template at this model's columns, refusing what could not be built."""
    name = cls.__name__
    keys = {id(k) for k in meta.keys} | {id(k) for index in meta.indexes for k in index.keys}
    templated = []
    for column in meta.columns:
        text = column._template
        if text is None:
            continue
        where = f"{name}.{column.name} (template {text!r})"
        try:
            template = Template(text)
        except InvalidModel as error:
            raise InvalidModel(f"{name}.{column.name}: {error}") from None
        if id(column) not in keys:
            raise InvalidModel(f"{where}: only a key of the table or of an index is built from a template")
        if column.typedef.backing_type != "S":
            raise InvalidModel(f"{where}: a templated key is a String column, not {column.typedef!r}")
        parts = []
        for part_name in template.names:
            part = meta.columns_by_name.get(part_name)
            if part is None:
                raise InvalidModel(f"{where} names {part_name!r}, which is not a column of {name}")
            if part is column:
                raise InvalidModel(f"{where} names the column itself")
            if part._template is not None:
                raise InvalidModel(f"{where} names {part_name}, which is itself built from a template")
            if part.typedef.backing_type not in ("S", "N"):
                raise InvalidModel(f"{where}: part {part_name} must be a string or number type, "
                                   f"not {part.typedef!r}")
            parts.append(part)
        column.template = template.bind(column, parts)
        templated.append(column)
    meta.templated = templated


def _resolve_unique(cls: type, meta: ModelMeta) -> None:
    """The unique constraints: columns declared ``unique=True``, and ``Meta.unique``
    combinations (a list of column names, or of tuples of them)."""
    name = cls.__name__
    uniques: List[Tuple[Column[Any], ...]] = [(c,) for c in meta.columns if c.unique]
    declared = meta.unique
    if declared is not None:
        if isinstance(declared, (str, Column)) or not isinstance(declared, (list, tuple)):
            raise InvalidModel(f"{name}.Meta.unique must be a list of column names or of tuples of them, "
                               f"not {declared!r}")
        for entry in declared:
            names = (entry,) if isinstance(entry, (str, Column)) else entry
            if not isinstance(names, (list, tuple)) or not names:
                raise InvalidModel(f"{name}.Meta.unique: {entry!r} is not a column name or a tuple of them")
            columns = []
            for part in names:
                column = meta.columns_by_name.get(part.name if isinstance(part, Column) else part)
                if column is None:
                    raise InvalidModel(f"{name}.Meta.unique names {part!r}, which is not a column of {name}")
                columns.append(column)
            combination = tuple(columns)
            if len({id(c) for c in combination}) != len(combination):
                raise InvalidModel(f"{name}.Meta.unique: {entry!r} names a column twice")
            if not any(len(u) == len(combination) and all(a is b for a, b in zip(u, combination))
                       for u in uniques):
                uniques.append(combination)
    for combination in uniques:
        for column in combination:
            where = f"{name}.{column.name}"
            if _among(column, meta.keys):
                raise InvalidModel(f"{where}: the table's key is unique already; unique is for other columns")
            if column.typedef.backing_type not in ("S", "N", "B"):
                raise InvalidModel(f"{where}: a unique column is a string, number or binary type, "
                                   f"not {column.typedef!r}")
            if column._template is not None or column.discriminator:
                raise InvalidModel(f"{where}: a templated key or a discriminator cannot be unique")
    if uniques:
        for key in meta.keys:
            if key.typedef.backing_type != "S":
                raise InvalidModel(
                    f"{name}: unique columns keep guard items in the table, whose keys must be strings; "
                    f"{key.name} is a {key.typedef!r}")
    meta.uniques = uniques


def _declared_options(declared: type) -> List[str]:
    """The names a declared ``Meta`` holds or inherits (not Python's own dunder names)."""
    names: Dict[str, None] = {}
    for klass in reversed(declared.__mro__[:-1]):
        names.update((name, None) for name in klass.__dict__ if not (name.startswith("__") and name.endswith("__")))
    return list(names)


def model_meta(model: Any, *, concrete: bool = False) -> Optional[ModelMeta]:
    """The metadata of a model class, or None if ``model`` is not a model class (an object
    of one, a plain class, anything else), or with ``concrete``, is an abstract model:
    bloop's one "is this a model?"."""
    if not isinstance(model, type):
        return None
    meta = getattr(model, "Meta", None)
    if not isinstance(meta, ModelMeta) or (concrete and meta.abstract):
        return None
    return meta


def _validate_names(cls: type, meta: ModelMeta) -> None:
    """DynamoDB's naming rules ("Supported data types and naming rules")."""
    key_ids = {id(k) for k in meta.keys} | {id(k) for index in meta.indexes for k in index.keys}
    for column in meta.columns:
        size = len(column.dynamo_name.encode())
        limit = limits.MAX_KEY_ATTRIBUTE_NAME if id(column) in key_ids else limits.MAX_ATTRIBUTE_NAME
        if size > limit:
            raise InvalidModel(
                f"{cls.__name__}.{column.name}: the attribute name is {size} bytes; DynamoDB allows "
                f"{limit}{' for a key attribute' if id(column) in key_ids else ''}")
    for index in meta.indexes:
        name = index.dynamo_name
        if not (3 <= len(name) <= 255) or not set(name) <= set(limits.TABLE_NAME_CHARS):
            raise InvalidModel(f"{cls.__name__}.{index.name}: index name {name!r} must be 3 to 255 "
                               "characters of a-z, A-Z, 0-9, '_', '-' and '.'")


def _validate_keys(cls: type, hash_keys: List[Column[Any]], range_keys: List[Column[Any]],
                   inherited: Dict[str, type]) -> None:
    """A key declared in the class body beside one inherited: say how to change a model's key.

    (bloop 3 made such a model with both columns in ``Meta.keys``; every request then named a
    key attribute the table does not have.)
    """
    for which, keys in (("hash", hash_keys), ("range", range_keys)):
        old = [c for c in keys if c.name in inherited]
        new = [c for c in keys if c.name not in inherited]
        if old and new:
            was, now = old[0], new[0]
            raise InvalidModel(
                f"{cls.__name__} declares the {which} key {now.name} but inherits the {which} key "
                f"{was.name} from {inherited[was.name].__name__}; a model has one {which} key. To change "
                f"it, hide the inherited one ({was.name} = None in the class body) or redeclare it as a "
                f"plain column ({was.name} = Column(...) without {which}_key=True)")


def _validate(cls: type, meta: ModelMeta, hash_keys: List[Column[Any]], range_keys: List[Column[Any]],
              versions: List[Column[Any]]) -> None:
    name = cls.__name__
    if len(hash_keys) != 1:
        raise InvalidModel(
            f"{name} must have exactly one hash_key column; it has {len(hash_keys)}"
            + (f" ({', '.join(c.name for c in hash_keys)})" if hash_keys else ""))
    if len(range_keys) > 1:
        raise InvalidModel(f"{name} has {len(range_keys)} range_key columns; at most one is allowed")
    for column in meta.keys:
        if column.hash_key and column.range_key:
            raise InvalidModel(f"{name}.{column.name} cannot be both the hash and the range key")
        if column.typedef.backing_type not in ("S", "N", "B"):
            raise InvalidModel(
                f"{name}.{column.name}: key columns must be a string, number or binary type, "
                f"not {column.typedef!r}")
    if len(versions) > 1:
        raise InvalidModel(f"{name} has {len(versions)} version columns; at most one is allowed")
    for column in versions:
        if column.typedef.backing_type != "N" or _among(column, meta.keys):
            raise InvalidModel(f"{name}.{column.name}: a version column is a non-key Integer")
    if meta.ttl is not None:
        ttl_name = _column_name(meta.ttl.get("column") if isinstance(meta.ttl, dict) else None,
                                "Meta.ttl['column']")
        if isinstance(ttl_name, Column):
            ttl_name = ttl_name.name
        ttl_column = meta.columns_by_name.get(ttl_name or "")
        if ttl_column is None:
            raise InvalidModel(f"{name}.Meta.ttl must be {{'column': <a column name>}}, got {meta.ttl!r}")
        if ttl_column.typedef.backing_type != "N":
            raise InvalidModel(f"{name}.Meta.ttl column {ttl_column.name} must be a Timestamp (epoch seconds)")
        meta.ttl_column = ttl_column
    if meta.stream is not None:
        include = meta.stream.get("include") if isinstance(meta.stream, dict) else None
        view = _STREAM_VIEWS.get(frozenset(include or ()))
        if view is None:
            raise InvalidModel(
                f"{name}.Meta.stream must be {{'include': [...]}} with 'keys', 'new', 'old' "
                f"or 'new' and 'old'; got {meta.stream!r}")
        meta.stream_view = view
    billing = meta.billing
    if billing is None or billing == "on_demand" or billing == {"mode": "on_demand"}:
        meta.billing_mode, meta.read_units, meta.write_units = "PAY_PER_REQUEST", None, None
    elif isinstance(billing, dict) and billing.get("mode", "provisioned") == "provisioned" \
            and isinstance(billing.get("read"), int) and isinstance(billing.get("write"), int):
        meta.billing_mode = "PROVISIONED"
        meta.read_units, meta.write_units = billing["read"], billing["write"]
    else:
        raise InvalidModel(
            f"{name}.Meta.billing must be 'on_demand' or {{'read': units, 'write': units}}, "
            f"got {billing!r}")
    table_name = meta.table_name
    if not isinstance(table_name, str):
        raise InvalidModel(f"{name}.Meta.table_name must be a string")


@dataclass_transform(kw_only_default=True)
class BaseModel:
    """The base of every model; subclass it (or ``engine.model``) and declare columns.

    ``class Meta: abstract = True`` makes a model that is never bound to a table:
    a base for other models.  Plain classes holding columns work as mixins.

    Type checkers read the constructor of a model whose columns are annotated
    (``qty: Column[int] = Column(Integer)``, PEP 681): ``Order(qty="x")`` and
    ``Order(qyt=1)`` are flagged, and every column is an optional keyword.  A model
    without annotations keeps ``Model(**attrs)``; annotate all of a model's columns
    (those of mixins too) or none.
    """

    class Meta:
        abstract = True

    def __init_subclass__(cls, discriminator: Optional[str] = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.Meta = ModelMeta(cls, cls.__dict__.get("Meta"), discriminator)  # type: ignore[assignment,misc]
        if model_created.receivers:
            model_created.send(cls)

    def __init__(self, **attrs: Any) -> None:
        meta = cast(ModelMeta, self.Meta)
        columns = meta.columns_by_name
        values = self.__dict__
        for name, value in attrs.items():
            if name not in columns:
                raise UnknownColumn(f"{type(self).__name__} has no column {name!r}")
            values[name] = value
        for column in meta.columns:
            if column.default is not None and column.name not in attrs:
                default = column.default
                value = default() if callable(default) else default
                if value is not None:  # None from a default: no default (a save leaves the column alone)
                    values[column.name] = value
        if meta.type_value is not None:
            values[meta.discriminator.name] = meta.type_value  # type: ignore[union-attr]

    def __getstate__(self) -> Dict[str, Any]:
        # Copies and pickles hold plain lists, sets and dicts (see bloop.containers), which
        # keep no loaded content: the snapshot is made first, so changes to them are seen.
        snapshot(self)
        return self.__dict__

    @classmethod
    def from_stream_record(cls, record: Any) -> Any:
        """One record of an AWS Lambda DynamoDB-stream event (plain JSON) as a
        :class:`bloop.stream.Record` of this model; see :func:`bloop.stream.from_lambda`."""
        from .stream.records import from_lambda
        return from_lambda(cls, record)

    def __repr__(self) -> str:
        values = self.__dict__
        shown = ", ".join(f"{c.name}={values[c.name]!r}" for c in cast(ModelMeta, self.Meta).columns
                          if values.get(c.name) is not None)
        return f"{type(self).__name__}({shown})"


BaseModel.Meta = ModelMeta(BaseModel, BaseModel.__dict__["Meta"])  # type: ignore[assignment,misc]


def walk_subclasses(root: type) -> Iterator[Any]:
    """Every subclass of ``root`` (and root itself), each once."""
    seen = set()
    stack = [root]
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        yield cls
        stack.extend(cls.__subclasses__())

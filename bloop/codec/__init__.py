"""Objects to DynamoDB items and back, with DynamoDB's item rules checked.

:func:`to_item` and :func:`from_item` are the public face: they work on any
model class, bound to an engine or not, for raw clients, Lambda events and
tests.  Loading records a snapshot (see :mod:`bloop.tracking`) so that a later
save sends only what changed.

Every model gets its own *compiled codec* on first use, cached on ``Model.Meta``:
plain functions generated for that model's columns and types (see
:func:`compile_codec`), with the common built-in types converted inline and
every other value handed to its type's ``_dump``/``_load``.  They give exactly
the results and errors of the generic walk over the columns kept beside them
(``_to_item_generic`` and friends): a column whose value is off the fast path,
or fails, is handed to the generic code, which converts it or raises the error
it always raised.  A value with a user's type anywhere inside is converted by
its type alone, never inline and never twice: a user's ``dynamo_dump`` and
``dynamo_load`` run once per value.

The package, by job:

- :mod:`bloop.codec.items`: the public functions; each finds the model's compiled
  codec and runs it;
- :mod:`bloop.codec.compiler`: generates, compiles and caches a model's codec;
- :mod:`bloop.codec.generic`: the generic walk over the columns, the reference the
  compiled codecs match and the code they fall back to;
- :mod:`bloop.codec.checks`: DynamoDB's item rules: item size, key values;
- :mod:`bloop.codec.markers`: which types are bloop's own, and the snapshot markers
  loaded objects share;
- :mod:`bloop.codec.keys`: the identity of an item's key;
- :mod:`bloop.codec.pause`: the collector pause while a response becomes objects.
"""
from __future__ import annotations

from .checks import _item_size, _number_size, _value_size, check_item, item_size
from .compiler import _CODEC, Codec, compile_codec
from .generic import _dump_key_generic, _from_item_generic, _load_into_generic, _to_item_generic
from .items import dump_key, from_item, load_all, load_into, record_put, to_item
from .keys import key_identity
from .pause import paused_gc

__all__ = ["to_item", "from_item", "dump_key", "load_into", "load_all", "record_put", "key_identity", "item_size",
           "check_item", "compile_codec"]

# also importable from here, as before the split: the codec class, the collector pause, the
# generic reference and the size helpers (for tests and tools)
_REEXPORTED = (Codec, paused_gc, _CODEC, _item_size, _number_size, _value_size, _dump_key_generic,
               _from_item_generic, _load_into_generic, _to_item_generic)

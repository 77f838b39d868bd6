"""Prepared: a search validated and rendered once for one table, the requests of its pages
and of its count, and the unpacking of a page into objects."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ..codec import load_all
from ..conditions import Operand, iter_conditions
from ..exceptions import InvalidSearch
from ..expressions import Renderer
from ..models import GlobalSecondaryIndex
from .families import search_filter
from .parts import rewrite as rewrite_parts
from .tokens import Token, _same_value, fingerprint
from .validate import _check_filter_projected, _check_key, _projection

if TYPE_CHECKING:
    from .describe import Search

__all__ = ["Prepared"]


class Prepared:
    """A search validated and rendered for one table: request, projection, and unpacking."""

    def __init__(self, search: "Search[Any, Any]", table_name: str) -> None:
        model, index = search.model, search.index
        meta = model.Meta
        self.model = model
        self.mode = search.mode
        self.operation = search.mode
        token = search._token
        limit = search._limit
        if token is not None and token.left is not None:  # a token cannot lift a limit, nor its own
            limit = token.left if limit is None else min(limit, token.left)
        self.limit = limit
        hash_key = index.hash_key if index is not None else meta.hash_key
        range_key = index.range_key if index is not None else meta.range_key
        where = f"{search.mode} on {model.__name__}" + (f".{index.name}" if index is not None else "")

        search = rewrite_parts(search, hash_key, range_key, where)  # conditions on templated keys' parts
        hash_condition = None
        if search.mode == "query":
            hash_condition = _check_key(search._key, hash_key, range_key, where)
            if search._filter is not None:
                for leaf in iter_conditions(search._filter):
                    column = leaf.operand.column
                    if any(column is key for key in (hash_key, range_key)):
                        raise InvalidSearch(
                            f"{where}: the filter cannot use key column {column.name}; "
                            "put it in the key condition")
        elif search._key is not None:
            raise InvalidSearch(f"{where}: a scan has no key condition; use filter()")
        elif not search._forward:
            raise InvalidSearch(f"{where}: a scan has no order; forward(False) is for queries")
        if search._consistent and isinstance(index, GlobalSecondaryIndex):
            raise InvalidSearch(f"{where}: DynamoDB has no consistent reads on a global secondary index")
        if search._filter is not None and isinstance(index, GlobalSecondaryIndex):
            _check_filter_projected(search._filter, index, where)

        self.projected, select, expression = _projection(search._projection, model, index, where)
        #: the caller's filter, and what a family's search adds to it (search/families.py)
        self.filter = search_filter(search)
        self.filtered = self.filter is not None
        base: Dict[str, Any] = {"TableName": table_name}
        if index is not None:
            base["IndexName"] = index.dynamo_name
        if search._consistent:
            base["ConsistentRead"] = True
        if search._segment is not None:
            base["Segment"], base["TotalSegments"] = search._segment
        #: the ExclusiveStartKey of the first page, and whether a token said nothing is left
        self.start = token.start if token is not None else None
        self.exhausted = token.end if token is not None else False
        if self.start is not None:
            base["ExclusiveStartKey"] = self.start
        key_columns = list(meta.keys) + ([k for k in index.keys if not any(k is m for m in meta.keys)]
                                         if index is not None else [])
        #: the attributes that make an ExclusiveStartKey for this table or index
        self.key_names = [c.dynamo_name for c in key_columns]
        if search.mode == "query" and not search._forward:
            base["ScanIndexForward"] = False
        self._base = base
        self._search = search
        request = dict(base)
        request.update(Renderer().render(key=search._key, filter=self.filter, projection=expression))
        if select:
            request["Select"] = select
        #: DynamoDB's ``Limit`` the search asks for (``page_size()``), if any
        self.page_size = page_size = search._page_size
        if page_size is None and self.limit is not None and not self.filtered:
            page_size = self.limit  # no filter: the first `limit` items read are the answer
        if page_size is not None:
            request["Limit"] = page_size
        self.request = request
        if token is not None:
            self._check_token(token, key_columns, hash_condition, where)

    @functools.cached_property
    def fingerprint(self) -> str:
        """What a token checks that it continues: the model, the index and the rendered key
        condition, filter, projection, order and segment (not the table name, limit, page
        size or consistency, which a continued search may change)."""
        return fingerprint(self.request, self.mode, self.model)

    def _check_token(self, token: "Token", key_columns: List[Any], hash_condition: Any, where: str) -> None:
        if token.search != self.fingerprint:
            raise InvalidSearch(
                f"{where}: the token is from another search (another model, index, key condition, filter, "
                "projection, order or segment): a token continues only the search it was taken from")
        if token.start is None:
            return
        expected = {c.dynamo_name: c for c in key_columns}
        if set(token.start) != set(expected):
            raise InvalidSearch(f"{where}: the token's position names {sorted(token.start)}, "
                                f"not this search's keys {sorted(expected)}")
        for name, wire in token.start.items():
            (kind, _), = wire.items()
            backing = expected[name].typedef.backing_type
            if kind != backing:
                raise InvalidSearch(f"{where}: the token's position holds a {kind} for {expected[name].name}, "
                                    f"which is a {backing} key")
        if hash_condition is not None and not isinstance(hash_condition.value, Operand):
            column = hash_condition.operand
            if not _same_value(token.start[column.dynamo_name], column.typedef._dump(hash_condition.value)):
                raise InvalidSearch(f"{where}: the token's position is outside this query's key condition "
                                    f"({column.name} differs)")

    def page_request(self, start: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        request = dict(self.request)
        if start is None:
            request.pop("ExclusiveStartKey", None)
        else:
            request["ExclusiveStartKey"] = start
        return request

    def count_request(self) -> Dict[str, Any]:
        """The same search with ``Select=COUNT`` and no projection."""
        request = dict(self._base)
        request.update(Renderer().render(key=self._search._key, filter=self.filter))
        request["Select"] = "COUNT"
        if self._search._page_size is not None:
            request["Limit"] = self._search._page_size
        return request

    def unpack(self, response: Dict[str, Any]) -> List[Any]:
        return load_all(self.model, response.get("Items", ()), self.projected)

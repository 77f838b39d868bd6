"""Tables: what a model needs from DynamoDB, and binding a model to its table.

:func:`create_request` turns a model into a ``CreateTable`` request;
:func:`compare` lists how an existing table differs from the model (a table may
have more indexes than the model uses, never fewer); :func:`bind` is the
I/O-free operation ``engine.bind`` drives: create if missing, wait for
``ACTIVE`` with backoff, validate, and switch on TTL and backups.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from .exceptions import RequestRejected, TableMismatch, TableNotFound
from .models import GlobalSecondaryIndex
from .operations import Op, Policy, Sleep, call

__all__ = ["create_request", "compare", "bind"]

#: how long to wait for a new table (and its indexes) to become ACTIVE
TABLE_READY_DEADLINE = 300.0


def _key_schema(hash_key: Any, range_key: Any) -> List[Dict[str, str]]:
    schema = [{"AttributeName": hash_key.dynamo_name, "KeyType": "HASH"}]
    if range_key is not None:
        schema.append({"AttributeName": range_key.dynamo_name, "KeyType": "RANGE"})
    return schema


def _projection(index: Any) -> Dict[str, Any]:
    if index.projection_mode == "all":
        return {"ProjectionType": "ALL"}
    if index.projection_mode == "keys":
        return {"ProjectionType": "KEYS_ONLY"}
    keys = {id(c) for c in index.model.Meta.keys} | {id(c) for c in index.keys}
    included = [c.dynamo_name for c in index.projected if id(c) not in keys]
    if not included:  # every listed column is a key: DynamoDB wants KEYS_ONLY
        return {"ProjectionType": "KEYS_ONLY"}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": included}


def _table_indexes(model: Any) -> List[Tuple[Any, Dict[str, Any]]]:
    """Each index of the model's table with the projection to create it with.  For a model of
    a family, the indexes of every model of the family (the table holds them all, whichever
    model binds it first), each projecting what any of them projects into it."""
    meta = model.Meta
    family = meta.family
    if family is None:
        return [(index, _projection(index)) for index in meta.indexes]
    found: Dict[str, List[Any]] = {}
    for member in family.models.values():  # in the order they were declared: the same for each
        for index in member.Meta.indexes:
            found.setdefault(index.dynamo_name, []).append(index)
    out = []
    for indexes in found.values():
        projections = [_projection(index) for index in indexes]
        if any(p["ProjectionType"] == "ALL" for p in projections):
            out.append((indexes[0], {"ProjectionType": "ALL"}))
            continue
        included: Dict[str, None] = {}
        for projection in projections:
            included.update((name, None) for name in projection.get("NonKeyAttributes", ()))
        union: Dict[str, Any] = {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(included)}
        out.append((indexes[0], union if included else {"ProjectionType": "KEYS_ONLY"}))
    return out


def create_request(model: Any, table_name: str) -> Dict[str, Any]:
    """The ``CreateTable`` request for ``model`` with everything its Meta declares (for a
    model of a family, with the indexes of every model of the family)."""
    meta = model.Meta
    indexes = _table_indexes(model)
    gsis = [(i, p) for i, p in indexes if isinstance(i, GlobalSecondaryIndex)]
    lsis = [(i, p) for i, p in indexes if not isinstance(i, GlobalSecondaryIndex)]
    attributes: Dict[str, str] = {}
    for column in list(meta.keys) + [k for index, _ in indexes for k in index.keys]:
        attributes[column.dynamo_name] = column.typedef.backing_type
    request: Dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": _key_schema(meta.hash_key, meta.range_key),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "BillingMode": meta.billing_mode,
    }
    provisioned = meta.billing_mode == "PROVISIONED"
    if provisioned:
        request["ProvisionedThroughput"] = {"ReadCapacityUnits": meta.read_units,
                                            "WriteCapacityUnits": meta.write_units}
    if gsis:
        request["GlobalSecondaryIndexes"] = []
        for index, projection in gsis:
            gsi: Dict[str, Any] = {"IndexName": index.dynamo_name,
                                   "KeySchema": _key_schema(index.hash_key, index.range_key),
                                   "Projection": projection}
            if provisioned:
                gsi["ProvisionedThroughput"] = {
                    "ReadCapacityUnits": index.read_units or meta.read_units,
                    "WriteCapacityUnits": index.write_units or meta.write_units}
            request["GlobalSecondaryIndexes"].append(gsi)
    if lsis:
        request["LocalSecondaryIndexes"] = [
            {"IndexName": index.dynamo_name, "KeySchema": _key_schema(index.hash_key, index.range_key),
             "Projection": projection} for index, projection in lsis]
    if meta.stream_view:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": meta.stream_view}
    if _enabled(meta.encryption):
        request["SSESpecification"] = {"Enabled": True}
    if meta.tags:
        request["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in meta.tags.items()]
    return request


def _enabled(setting: Any) -> bool:
    if isinstance(setting, dict):
        return bool(setting.get("enabled"))
    return bool(setting)


def _schema_of(schema: List[Dict[str, str]]) -> Dict[str, str]:
    return {entry["KeyType"]: entry["AttributeName"] for entry in schema}


def compare(model: Any, table: Dict[str, Any]) -> List[str]:
    """How the described table differs from the model; empty when compatible."""
    meta = model.Meta
    diffs: List[str] = []
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}

    def check_keys(where: str, expected: Any, actual_schema: List[Dict[str, str]]) -> None:
        actual = _schema_of(actual_schema)
        for kind, column in (("HASH", expected[0]), ("RANGE", expected[1])):
            name = column.dynamo_name if column is not None else None
            if actual.get(kind) != name:
                diffs.append(f"{where} {kind.lower()} key is {actual.get(kind)!r}, the model has {name!r}")
            elif column is not None and types.get(name, column.typedef.backing_type) != column.typedef.backing_type:
                diffs.append(f"{where} key {name!r} has type {types.get(name)}, the model has "
                             f"{column.typedef.backing_type}")

    check_keys("table", (meta.hash_key, meta.range_key), table.get("KeySchema", []))
    existing = {i["IndexName"]: ("gsi", i) for i in table.get("GlobalSecondaryIndexes") or []}
    existing.update({i["IndexName"]: ("lsi", i) for i in table.get("LocalSecondaryIndexes") or []})
    for index in meta.indexes:
        kind = "gsi" if index in meta.gsis else "lsi"
        found = existing.get(index.dynamo_name)
        if found is None or found[0] != kind:
            diffs.append(f"{'global' if kind == 'gsi' else 'local'} secondary index "
                         f"{index.dynamo_name!r} is missing")
            continue
        description = found[1]
        check_keys(f"index {index.dynamo_name!r}", (index.hash_key, index.range_key),
                   description.get("KeySchema", []))
        projection = description.get("Projection", {})
        ptype = projection.get("ProjectionType", "ALL")
        if ptype == "ALL":
            continue
        if index.projection_mode == "all":
            diffs.append(f"index {index.dynamo_name!r} projects {ptype}, the model needs ALL")
        elif index.projection_mode == "include":
            have = set(projection.get("NonKeyAttributes") or []) if ptype == "INCLUDE" else set()
            need = set(_projection(index).get("NonKeyAttributes", []))
            if not need <= have:
                diffs.append(f"index {index.dynamo_name!r} does not project {sorted(need - have)}")
    if meta.stream_view:
        stream = table.get("StreamSpecification") or {}
        if not stream.get("StreamEnabled") or stream.get("StreamViewType") != meta.stream_view:
            actual = stream.get("StreamViewType") if stream.get("StreamEnabled") else "off"
            diffs.append(f"the table's stream is {actual}, the model needs {meta.stream_view}")
    return diffs


def _ready(table: Dict[str, Any]) -> bool:
    if table.get("TableStatus") != "ACTIVE":
        return False
    return all(i.get("IndexStatus", "ACTIVE") == "ACTIVE" for i in table.get("GlobalSecondaryIndexes") or [])


def bind(policy: Policy, model: Any, table_name: str, *, create: bool = True) -> Op:
    """Create the model's table if missing, wait until it is ACTIVE, then validate it.

    :raises TableMismatch: the existing table is not compatible with the model.
    """
    meta = model.Meta
    try:
        table: Optional[Dict[str, Any]] = (yield from call("describe_table", {"TableName": table_name}))["Table"]
    except TableNotFound:
        if not create:
            raise
        try:
            yield from call("create_table", create_request(model, table_name))
        except RequestRejected as error:
            if error.code != "ResourceInUseException":  # created meanwhile by someone else
                raise
        table = None
    deadline = policy.clock() + TABLE_READY_DEADLINE
    attempt = 0
    while table is None or not _ready(table):
        if table is not None:
            delay = min(policy.delay(attempt), 2.0)
            attempt += 1
            if policy.clock() + delay > deadline:
                raise TableMismatch(model, [f"table {table_name!r} did not become ACTIVE within "
                                            f"{TABLE_READY_DEADLINE:.0f}s"])
            yield Sleep(delay)
        try:
            table = (yield from call("describe_table", {"TableName": table_name}))["Table"]
        except TableNotFound:
            table = {"TableStatus": "CREATING"}  # some emulators answer so while creating
    diffs = compare(model, table)
    if diffs:
        raise TableMismatch(model, diffs)
    if meta.ttl_column is not None:
        ttl = (yield from call("describe_time_to_live", {"TableName": table_name}))
        description = ttl.get("TimeToLiveDescription", {})
        status = description.get("TimeToLiveStatus", "DISABLED")
        name = meta.ttl_column.dynamo_name
        if status in ("ENABLED", "ENABLING"):
            if description.get("AttributeName") != name:
                raise TableMismatch(model, [f"TTL is on {description.get('AttributeName')!r}, the model "
                                            f"uses {name!r}"])
        else:
            yield from call("update_time_to_live", {
                "TableName": table_name,
                "TimeToLiveSpecification": {"Enabled": True, "AttributeName": name}})
    if _enabled(meta.backups):
        backups = yield from call("describe_continuous_backups", {"TableName": table_name})
        pitr = backups.get("ContinuousBackupsDescription", {}).get("PointInTimeRecoveryDescription", {})
        if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
            yield from call("update_continuous_backups", {
                "TableName": table_name,
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}})
    return table

"""Table lifecycle: plan the changes that bring tables in line with their models, then apply them.

I/O-free like the rest of the core: :func:`plan_op` yields the Describe calls it needs
(``DescribeTable``; ``DescribeTimeToLive``, ``DescribeContinuousBackups`` and
``ListTagsOfResource`` only where the model declares TTL, backups or tags) and returns a
:class:`Plan`; :func:`apply_op` applies a plan the way DynamoDB allows it (one index change
per ``UpdateTable``, waiting for ``ACTIVE`` between steps).  Both engines drive them
(``engine.plan(...)``, ``engine.apply(plan)``).

Every :class:`Change` is marked with its impact:

- ``"online"``: applied while the table serves reads and writes, quickly;
- ``"slow"``: online too, but DynamoDB backfills a new global index from every item first;
- ``"destructive"``: something is lost or rebuilt (an index dropped or re-created for a new
  projection or key, a stream turned off or re-created for a new view, TTL moved to another
  attribute, backups turned off): applied only with ``allow_destructive=True``;
- ``"impossible"``: DynamoDB cannot change it in place (the table's key, a local index): the
  table must be re-created by hand (export, delete, create, import).

Apply re-describes the table before each step, so a step already done is never repeated: an
interrupted apply (Ctrl-C, a lost connection, its deadline) is resumed by planning and applying
again.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from .exceptions import BloopException, InvalidModel, TableMismatch, TableNotFound
from .models import GlobalSecondaryIndex
from .operations import Op, Policy, Sleep, call
from .tables import _enabled, _key_schema, _schema_of, _table_indexes, create_request

__all__ = ["Change", "TablePlan", "Plan", "Progress", "PlanRefused", "ApplyFailed",
           "plan_op", "apply_op", "explain_mismatch", "IMPACTS"]

#: the impacts of a change, from the mildest
IMPACTS = ("online", "slow", "destructive", "impossible")
#: the longest wait between two DescribeTable calls while a step completes
MAX_POLL_DELAY = 20.0
#: the table classes DynamoDB knows (``Meta.table_class``)
TABLE_CLASSES = ("STANDARD", "STANDARD_INFREQUENT_ACCESS")

_SIGNS = {"create": "+", "add": "+", "enable": "+", "remove": "-", "disable": "-"}
#: the order steps are applied in: the table first; billing before indexes (a new index on a
#: provisioned table needs its throughput); removals before additions (a name is freed first)
_ORDER = ("table", "keys", "billing", "index", "stream", "ttl", "backups", "encryption", "tags",
          "table class", "deletion protection")


class PlanRefused(BloopException, ValueError):
    """``apply`` refused a plan before sending anything: it holds destructive changes that were
    not allowed, or changes DynamoDB cannot make in place.

    :ivar changes: the changes that were refused.
    """

    def __init__(self, message: str, changes: List["Change"]) -> None:
        super().__init__(message)
        self.changes = changes


class ApplyFailed(BloopException):
    """``apply`` stopped part way: a step failed, did not take effect, or its deadline passed.

    What was applied stays applied; planning and applying again resumes from there.

    :ivar applied: the changes applied before it stopped.
    :ivar change: the change it stopped at (None if it stopped between changes).
    """

    def __init__(self, message: str, applied: List["Change"], change: Optional["Change"]) -> None:
        done = ", ".join(c.summary for c in applied) or "nothing"
        super().__init__(f"{message}; applied before it stopped: {done}. Plan and apply again to resume")
        self.applied = applied
        self.change = change


class Change:
    """One difference between a model and its table, and what applying it means.

    :ivar table_name: the table.
    :ivar setting: what differs: ``"table"``, ``"keys"``, ``"index"``, ``"stream"``, ``"ttl"``,
        ``"backups"``, ``"billing"``, ``"encryption"``, ``"tags"``, ``"table class"`` or
        ``"deletion protection"``.
    :ivar name: the index's name (for ``"index"``), else None.
    :ivar action: ``"create"``, ``"add"``, ``"remove"``, ``"replace"`` (remove, then add
        again), ``"enable"``, ``"disable"`` or ``"update"``.
    :ivar impact: one of :data:`IMPACTS`.
    :ivar summary: what changes, in words (``"global index 'by_email' (hash email; ALL)"``).
    :ivar why: why it has this impact (empty for an online change).
    """

    __slots__ = ("table_name", "setting", "name", "action", "impact", "summary", "why")

    def __init__(self, table_name: str, setting: str, action: str, impact: str, summary: str,
                 why: str = "", name: Optional[str] = None) -> None:
        self.table_name = table_name
        self.setting = setting
        self.name = name
        self.action = action
        self.impact = impact
        self.summary = summary
        self.why = why

    @property
    def key(self) -> Tuple[str, Optional[str]]:
        """What the change is about: ``(setting, index name or None)``."""
        return self.setting, self.name

    @property
    def sign(self) -> str:
        """``+`` (something added or turned on), ``-`` (removed or turned off) or ``~`` (changed)."""
        return _SIGNS.get(self.action, "~")

    def __str__(self) -> str:
        why = f": {self.why}" if self.why else ""
        return f"{self.sign} {self.summary}  [{self.impact}{why}]"

    def __repr__(self) -> str:
        return f"<Change {self.table_name!r} {self.action} {self.setting} {self.impact}: {self.summary}>"


class TablePlan:
    """The changes for one table.

    :ivar model: the model the table is planned for (for a family, the indexes of every model
        of the family count).
    :ivar table_name: the table.
    :ivar exists: whether the table existed when planned.
    :ivar changes: the :class:`Change` list, in the order apply makes them.
    """

    def __init__(self, model: type, table_name: str, exists: bool, changes: List[Change], prune: bool) -> None:
        self.model = model
        self.table_name = table_name
        self.exists = exists
        self.changes = changes
        self.prune = prune

    def __str__(self) -> str:
        head = f"table {self.table_name!r} ({self.model.__name__})"
        if not self.changes:
            return f"  {head}: no changes"
        count = len(self.changes)
        return "\n".join([f"~ {head}: {count} change{'s' if count != 1 else ''}"]
                         + [f"    {change}" for change in self.changes])


class Plan:
    """What ``apply`` would change, table by table; ``str(plan)`` is a readable diff.

    A plan is true (``if plan:``) when it changes anything.
    """

    def __init__(self, tables: List[TablePlan]) -> None:
        self.tables = tables

    @property
    def changes(self) -> List[Change]:
        """Every change, table after table."""
        return [change for table in self.tables for change in table.changes]

    def impacts(self, *impacts: str) -> List[Change]:
        """The changes with one of these impacts: ``plan.impacts("destructive")``."""
        return [change for change in self.changes if change.impact in impacts]

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __str__(self) -> str:
        if not self.tables:
            return "no tables"
        lines = [str(table) for table in self.tables]
        counts = {impact: len(self.impacts(impact)) for impact in IMPACTS}
        total = ", ".join(f"{n} {impact}" for impact, n in counts.items() if n)
        lines.append(f"{len(self)} change{'s' if len(self) != 1 else ''}" + (f" ({total})" if total else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Plan tables={len(self.tables)} changes={len(self)}>"


class Progress:
    """What ``apply`` reports to its ``progress`` callback.

    :ivar stage: ``"start"`` (a step is about to be sent), ``"waiting"`` (the table or an index
        is not ACTIVE yet), ``"done"`` (the step took effect).
    :ivar change: the change the step is for.
    :ivar elapsed: seconds since apply started.
    :ivar detail: the table's and indexes' status, in words (``"index 'by_email' CREATING,
        backfilling"``), for ``"waiting"``.
    """

    __slots__ = ("stage", "change", "elapsed", "detail")

    def __init__(self, stage: str, change: Optional[Change], elapsed: float, detail: str = "") -> None:
        self.stage = stage
        self.change = change
        self.elapsed = elapsed
        self.detail = detail

    def __str__(self) -> str:
        what = self.change.summary if self.change is not None else ""
        detail = f" ({self.detail})" if self.detail else ""
        return f"[{self.elapsed:7.1f}s] {self.stage}: {what}{detail}"

    def __repr__(self) -> str:
        return f"<Progress {self}>"


# ---------------------------------------------------------------------------------------
# what a model wants, and how the described table differs


def _projection_text(projection: Dict[str, Any]) -> str:
    ptype = projection.get("ProjectionType", "ALL")
    if ptype == "INCLUDE":
        return f"INCLUDE {', '.join(projection.get('NonKeyAttributes') or [])}"
    return str(ptype)


def _projection_covers(actual: Dict[str, Any], wanted: Dict[str, Any]) -> bool:
    """Whether an index projecting ``actual`` serves a model that needs ``wanted`` (as ``bind`` checks)."""
    have = actual.get("ProjectionType", "ALL")
    need = wanted["ProjectionType"]
    if have == "ALL" or need == "KEYS_ONLY":
        return True
    if need == "ALL":
        return False
    names = set(actual.get("NonKeyAttributes") or []) if have == "INCLUDE" else set()
    return set(wanted.get("NonKeyAttributes") or []) <= names


def _keys_text(schema: List[Dict[str, str]]) -> str:
    keys = _schema_of(schema)
    return "hash " + keys.get("HASH", "?") + (f", range {keys['RANGE']}" if "RANGE" in keys else "")


def _index_request(index: Any, projection: Dict[str, Any]) -> Dict[str, Any]:
    return {"IndexName": index.dynamo_name, "KeySchema": _key_schema(index.hash_key, index.range_key),
            "Projection": projection}


def _billing(table: Dict[str, Any]) -> str:
    summary = table.get("BillingModeSummary") or {}
    # a table created provisioned (before on-demand existed) has no summary
    return str(summary.get("BillingMode") or "PROVISIONED")


def _billing_text(mode: str, read: Any, write: Any) -> str:
    return "on demand" if mode == "PAY_PER_REQUEST" else f"provisioned (read {read}, write {write})"


def _table_class(meta: Any) -> Optional[str]:
    declared = getattr(meta, "table_class", None)
    if declared is None:
        return None
    value = str(declared).upper()
    if value == "INFREQUENT_ACCESS":
        value = "STANDARD_INFREQUENT_ACCESS"
    if not isinstance(declared, str) or value not in TABLE_CLASSES:
        raise InvalidModel(f"{meta.model.__name__}.Meta.table_class must be 'standard' or "
                           f"'infrequent_access', got {declared!r}")
    return value


def _deletion_protection(meta: Any) -> Optional[bool]:
    declared = getattr(meta, "deletion_protection", None)
    if declared is not None and not isinstance(declared, bool):
        raise InvalidModel(f"{meta.model.__name__}.Meta.deletion_protection must be True or False, "
                           f"got {declared!r}")
    return declared


def _declared(setting: Any) -> Optional[bool]:
    """None when a setting (encryption, backups) is not declared, else whether it is enabled."""
    return None if setting is None else _enabled(setting)


class _State:
    """What was described of one table: the table, and (when asked) TTL, backups and tags."""

    def __init__(self, table: Optional[Dict[str, Any]], ttl: Optional[Dict[str, Any]] = None,
                 backups: Optional[str] = None, tags: Optional[Dict[str, str]] = None) -> None:
        self.table = table
        self.ttl = ttl
        self.backups = backups
        self.tags = tags


def diff(model: Any, table_name: str, state: _State, prune: bool = False) -> List[Change]:
    """The changes that bring the described table in line with ``model`` (pure; no I/O)."""
    meta = model.Meta
    table_class = _table_class(meta)
    protection = _deletion_protection(meta)
    changes: List[Change] = []

    def add(setting: str, action: str, impact: str, summary: str, why: str = "", name: Optional[str] = None) -> None:
        changes.append(Change(table_name, setting, action, impact, summary, why, name))

    table = state.table
    indexes = _table_indexes(model)
    if table is None:
        request = create_request(model, table_name)
        parts = [_keys_text(request["KeySchema"]), _billing_text(meta.billing_mode, meta.read_units, meta.write_units)]
        parts += [f"index {index.dynamo_name!r}" for index, _ in indexes]
        if meta.stream_view:
            parts.append(f"stream {meta.stream_view}")
        add("table", "create", "online", f"table ({'; '.join(parts)})")
        if meta.ttl_column is not None:
            add("ttl", "enable", "online", f"time to live on {meta.ttl_column.dynamo_name!r}")
        if _declared(meta.backups):
            add("backups", "enable", "online", "point-in-time recovery")
        if table_class not in (None, "STANDARD"):
            add("table class", "update", "online", f"table class STANDARD -> {table_class}")
        if protection:
            add("deletion protection", "enable", "online", "deletion protection")
        return changes

    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}

    def keys_differ(expected: Tuple[Any, Any], schema: List[Dict[str, str]]) -> bool:
        actual = _schema_of(schema)
        for kind, column in (("HASH", expected[0]), ("RANGE", expected[1])):
            name = column.dynamo_name if column is not None else None
            if actual.get(kind) != name:
                return True
            if column is not None and types.get(name, column.typedef.backing_type) != column.typedef.backing_type:
                return True
        return False

    if keys_differ((meta.hash_key, meta.range_key), table.get("KeySchema", [])):
        wanted = _keys_text(_key_schema(meta.hash_key, meta.range_key))
        add("keys", "replace", "impossible", f"table key: {_keys_text(table.get('KeySchema', []))} -> {wanted}",
            "a table's key is fixed when it is created: export, re-create and import")

    # billing
    mode = _billing(table)
    throughput = table.get("ProvisionedThroughput") or {}
    if mode != meta.billing_mode:
        add("billing", "update", "online",
            f"billing: {_billing_text(mode, throughput.get('ReadCapacityUnits'), throughput.get('WriteCapacityUnits'))}"
            f" -> {_billing_text(meta.billing_mode, meta.read_units, meta.write_units)}",
            "DynamoDB allows one switch of billing mode a day")
    elif mode == "PROVISIONED" and (throughput.get("ReadCapacityUnits"), throughput.get("WriteCapacityUnits")) \
            != (meta.read_units, meta.write_units):
        add("billing", "update", "online",
            f"throughput: read {throughput.get('ReadCapacityUnits')}, write {throughput.get('WriteCapacityUnits')}"
            f" -> read {meta.read_units}, write {meta.write_units}")

    # indexes
    existing_gsis = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes") or []}
    existing_lsis = {i["IndexName"]: i for i in table.get("LocalSecondaryIndexes") or []}
    wanted_names = set()
    removes: List[Change] = []
    others: List[Change] = []
    for index, projection in indexes:
        name = index.dynamo_name
        wanted_names.add(name)
        described = _key_schema(index.hash_key, index.range_key)
        text = f"{_keys_text(described)}; {_projection_text(projection)}"
        if not isinstance(index, GlobalSecondaryIndex):
            found = existing_lsis.get(name)
            if found is None:
                others.append(Change(table_name, "index", "add", "impossible", f"local index {name!r} ({text})",
                                     "a local index is made only with its table: export, re-create and import",
                                     name))
            elif keys_differ((index.hash_key, index.range_key), found.get("KeySchema", [])) or \
                    not _projection_covers(found.get("Projection", {}), projection):
                others.append(Change(table_name, "index", "replace", "impossible",
                                     f"local index {name!r} ({_keys_text(found.get('KeySchema', []))}; "
                                     f"{_projection_text(found.get('Projection', {}))} -> {text})",
                                     "a local index is made only with its table: export, re-create and import",
                                     name))
            continue
        found = existing_gsis.get(name)
        if found is None:
            others.append(Change(table_name, "index", "add", "slow", f"global index {name!r} ({text})",
                                 "DynamoDB backfills it from every item before it can be queried", name))
        elif found.get("IndexStatus") == "DELETING":
            others.append(Change(table_name, "index", "add", "slow", f"global index {name!r} ({text})",
                                 "the index of that name is being deleted; then it is backfilled", name))
        elif keys_differ((index.hash_key, index.range_key), found.get("KeySchema", [])) or \
                not _projection_covers(found.get("Projection", {}), projection):
            others.append(Change(table_name, "index", "replace", "destructive",
                                 f"global index {name!r} ({_keys_text(found.get('KeySchema', []))}; "
                                 f"{_projection_text(found.get('Projection', {}))} -> {text})",
                                 "dropped and re-created: not queryable until backfilled again", name))
        elif mode == meta.billing_mode == "PROVISIONED":
            have = found.get("ProvisionedThroughput") or {}
            have_units = (have.get("ReadCapacityUnits"), have.get("WriteCapacityUnits"))
            want_units = (index.read_units or meta.read_units, index.write_units or meta.write_units)
            if have_units != want_units:
                others.append(Change(table_name, "index", "update", "online",
                                     f"global index {name!r} throughput: read {have_units[0]}, write "
                                     f"{have_units[1]} -> read {want_units[0]}, write {want_units[1]}", name=name))
    if prune:
        for name, found in existing_gsis.items():
            if name not in wanted_names and found.get("IndexStatus") != "DELETING":
                removes.append(Change(table_name, "index", "remove", "destructive",
                                      f"global index {name!r} ({_keys_text(found.get('KeySchema', []))}; "
                                      f"{_projection_text(found.get('Projection', {}))})",
                                      "no model uses it; queries on it fail once it is gone", name))
    changes.extend(removes + others)

    # stream
    stream = table.get("StreamSpecification") or {}
    view = stream.get("StreamViewType") if stream.get("StreamEnabled") else None
    if meta.stream_view and view is None:
        add("stream", "enable", "online", f"stream {meta.stream_view}")
    elif meta.stream_view and view != meta.stream_view:
        add("stream", "replace", "destructive", f"stream {view} -> {meta.stream_view}",
            "the stream is turned off and a new one made: readers of the old one lose their place")
    elif meta.stream_view is None and view is not None and prune:
        add("stream", "disable", "destructive", f"stream {view}",
            "its records stay readable for 24 hours, then are gone")

    # time to live
    if state.ttl is not None:
        status = state.ttl.get("TimeToLiveStatus", "DISABLED")
        attribute = state.ttl.get("AttributeName") if status in ("ENABLED", "ENABLING") else None
        wanted_ttl = meta.ttl_column.dynamo_name if meta.ttl_column is not None else None
        if wanted_ttl and attribute is None:
            add("ttl", "enable", "online", f"time to live on {wanted_ttl!r}")
        elif wanted_ttl and attribute != wanted_ttl:
            add("ttl", "replace", "destructive", f"time to live on {attribute!r} -> {wanted_ttl!r}",
                "items stop expiring by the old attribute; DynamoDB allows the second change "
                "only up to an hour after the first")
        elif wanted_ttl is None and attribute is not None and prune:
            add("ttl", "disable", "online", f"time to live on {attribute!r}")

    # backups
    wanted_backups = _declared(meta.backups)
    if state.backups is not None and wanted_backups is not None:
        on = state.backups == "ENABLED"
        if wanted_backups and not on:
            add("backups", "enable", "online", "point-in-time recovery")
        elif on and not wanted_backups:
            add("backups", "disable", "destructive", "point-in-time recovery",
                "the restore points kept so far are lost")

    # encryption
    wanted_sse = _declared(meta.encryption)
    if wanted_sse is not None:
        sse = table.get("SSEDescription") or {}
        on = sse.get("Status") in ("ENABLED", "ENABLING", "UPDATING")
        if wanted_sse != on:
            add("encryption", "enable" if wanted_sse else "disable", "online",
                "encryption with a KMS key" if wanted_sse else "encryption with a KMS key (back to "
                "DynamoDB's own key)")

    # tags
    if state.tags is not None and meta.tags is not None:
        wanted_tags = {str(k): str(v) for k, v in meta.tags.items()}
        for key, value in wanted_tags.items():
            if key not in state.tags:
                add("tags", "add", "online", f"tag {key}={value}", name=key)
            elif state.tags[key] != value:
                add("tags", "update", "online", f"tag {key}: {state.tags[key]} -> {value}", name=key)
        if prune:
            for key, value in state.tags.items():
                if key not in wanted_tags:
                    add("tags", "remove", "online", f"tag {key}={value}", name=key)

    # table class
    if table_class is not None:
        actual_class = (table.get("TableClassSummary") or {}).get("TableClass") or "STANDARD"
        if actual_class != table_class:
            add("table class", "update", "online", f"table class {actual_class} -> {table_class}")

    # deletion protection
    if protection is not None and bool(table.get("DeletionProtectionEnabled")) != protection:
        add("deletion protection", "enable" if protection else "disable", "online", "deletion protection")

    changes.sort(key=lambda change: _ORDER.index(change.setting))  # stable: within a setting, as made
    return changes


# ---------------------------------------------------------------------------------------
# describing


def _wants(meta: Any, prune: bool) -> Tuple[bool, bool, bool]:
    return (meta.ttl_column is not None or prune, _declared(meta.backups) is not None, meta.tags is not None)


def _describe(policy: Policy, model: Any, table_name: str, prune: bool) -> Op:
    """A :class:`_State` of the table (``table`` None if it does not exist)."""
    try:
        table = (yield from call("describe_table", {"TableName": table_name}))["Table"]
    except TableNotFound:
        return _State(None)
    return (yield from _details(model, table_name, table, prune))


def _details(model: Any, table_name: str, table: Dict[str, Any], prune: bool) -> Op:
    ttl_wanted, backups_wanted, tags_wanted = _wants(model.Meta, prune)
    state = _State(table)
    if ttl_wanted:
        answer = yield from call("describe_time_to_live", {"TableName": table_name})
        state.ttl = answer.get("TimeToLiveDescription") or {}
    if backups_wanted:
        answer = yield from call("describe_continuous_backups", {"TableName": table_name})
        pitr = (answer.get("ContinuousBackupsDescription") or {}).get("PointInTimeRecoveryDescription") or {}
        state.backups = pitr.get("PointInTimeRecoveryStatus", "DISABLED")
    if tags_wanted and table.get("TableArn"):
        tags: Dict[str, str] = {}
        request: Dict[str, Any] = {"ResourceArn": table["TableArn"]}
        while True:
            answer = yield from call("list_tags_of_resource", request)
            tags.update((t["Key"], t["Value"]) for t in answer.get("Tags") or [])
            if not answer.get("NextToken"):
                break
            request = {"ResourceArn": table["TableArn"], "NextToken": answer["NextToken"]}
        state.tags = tags
    return state


def plan_op(policy: Policy, models: Dict[Any, str], prune: bool = False) -> Op:
    """The :class:`Plan` that brings each model's table in line with it.

    :param models: each model and its table name; several models of one table (a family) are
        planned once, for the first of them (a family's table has the indexes of every model).
    :param prune: also remove what the table has and no model declares (global indexes, a
        stream, TTL, tags).  Without it, a table may have more than its models use.
    """
    firsts: Dict[str, Any] = {}
    for model, table_name in models.items():
        _table_class(model.Meta)  # bad declarations fail before any request
        _deletion_protection(model.Meta)
        firsts.setdefault(table_name, model)
    tables = []
    for table_name, model in firsts.items():
        state = yield from _describe(policy, model, table_name, prune)
        tables.append(TablePlan(model, table_name, state.table is not None,
                                diff(model, table_name, state, prune), prune))
    return Plan(tables)


# ---------------------------------------------------------------------------------------
# applying


def _not_ready(table: Dict[str, Any]) -> str:
    """What is not ACTIVE yet, in words ("" when the table and its indexes are ACTIVE)."""
    parts = []
    if table.get("TableStatus") != "ACTIVE":
        parts.append(f"table {table.get('TableStatus')}")
    for index in table.get("GlobalSecondaryIndexes") or []:
        status = index.get("IndexStatus", "ACTIVE")
        if status != "ACTIVE" or index.get("Backfilling"):
            extra = ", backfilling" if index.get("Backfilling") else ""
            parts.append(f"index {index['IndexName']!r} {status}{extra}")
    return "; ".join(parts)


def _step(model: Any, change: Change, state: _State) -> List[Tuple[str, Dict[str, Any]]]:
    """The requests that make ``change`` on the described table (for a replace: the removal)."""
    meta = model.Meta
    table = state.table or {}
    name = change.table_name
    setting, action = change.setting, change.action
    if setting == "table":
        return [("create_table", create_request(model, name))]
    if setting == "billing":
        request: Dict[str, Any] = {"TableName": name, "BillingMode": meta.billing_mode}
        if meta.billing_mode == "PROVISIONED":
            request["ProvisionedThroughput"] = {"ReadCapacityUnits": meta.read_units,
                                                "WriteCapacityUnits": meta.write_units}
            if _billing(table) != "PROVISIONED":  # every index needs its throughput too
                units = {i.dynamo_name: i for i, _ in _table_indexes(model)}
                updates = []
                for described in table.get("GlobalSecondaryIndexes") or []:
                    index = units.get(described["IndexName"])
                    updates.append({"Update": {"IndexName": described["IndexName"], "ProvisionedThroughput": {
                        "ReadCapacityUnits": getattr(index, "read_units", None) or meta.read_units,
                        "WriteCapacityUnits": getattr(index, "write_units", None) or meta.write_units}}})
                if updates:
                    request["GlobalSecondaryIndexUpdates"] = updates
        return [("update_table", request)]
    if setting == "index":
        if action == "update":
            index = next(i for i, _ in _table_indexes(model) if i.dynamo_name == change.name)
            return [("update_table", {"TableName": name, "GlobalSecondaryIndexUpdates": [{"Update": {
                "IndexName": change.name, "ProvisionedThroughput": {
                    "ReadCapacityUnits": index.read_units or meta.read_units,
                    "WriteCapacityUnits": index.write_units or meta.write_units}}}]})]
        if action in ("remove", "replace"):
            return [("update_table", {"TableName": name,
                                      "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": change.name}}]})]
        index, projection = next((i, p) for i, p in _table_indexes(model) if i.dynamo_name == change.name)
        create = _index_request(index, projection)
        if _billing(table) == "PROVISIONED":
            create["ProvisionedThroughput"] = {"ReadCapacityUnits": index.read_units or meta.read_units or 1,
                                               "WriteCapacityUnits": index.write_units or meta.write_units or 1}
        definitions = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
        for column in index.keys:
            definitions[column.dynamo_name] = column.typedef.backing_type
        return [("update_table", {
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in definitions.items()],
            "GlobalSecondaryIndexUpdates": [{"Create": create}]})]
    if setting == "stream":
        if action == "enable":
            spec: Dict[str, Any] = {"StreamEnabled": True, "StreamViewType": meta.stream_view}
        else:
            spec = {"StreamEnabled": False}
        return [("update_table", {"TableName": name, "StreamSpecification": spec})]
    if setting == "ttl":
        if action == "enable":
            return [("update_time_to_live", {"TableName": name, "TimeToLiveSpecification": {
                "Enabled": True, "AttributeName": meta.ttl_column.dynamo_name}})]
        return [("update_time_to_live", {"TableName": name, "TimeToLiveSpecification": {
            "Enabled": False, "AttributeName": (state.ttl or {}).get("AttributeName")}})]
    if setting == "backups":
        return [("update_continuous_backups", {"TableName": name, "PointInTimeRecoverySpecification": {
            "PointInTimeRecoveryEnabled": action == "enable"}})]
    if setting == "encryption":
        sse: Dict[str, Any] = {"Enabled": action == "enable"}
        if action == "enable":
            sse["SSEType"] = "KMS"
        return [("update_table", {"TableName": name, "SSESpecification": sse})]
    if setting == "tags":
        arn = table["TableArn"]
        if action == "remove":
            return [("untag_resource", {"ResourceArn": arn, "TagKeys": [change.name]})]
        value = {str(k): str(v) for k, v in meta.tags.items()}[str(change.name)]
        return [("tag_resource", {"ResourceArn": arn, "Tags": [{"Key": change.name, "Value": value}]})]
    if setting == "table class":
        return [("update_table", {"TableName": name, "TableClass": _table_class(meta)})]
    if setting == "deletion protection":
        return [("update_table", {"TableName": name, "DeletionProtectionEnabled": action == "enable"})]
    raise ApplyFailed(f"bloop cannot apply {change.summary!r} ({change.impact})", [], change)


def apply_op(policy: Policy, plan: Plan, allow_destructive: bool = False,
             progress: Optional[Callable[[Progress], Any]] = None, deadline: Optional[float] = 3600.0) -> Op:
    """Apply ``plan``: the changes it lists, one step at a time, each step followed by a wait
    until the table and its indexes are ``ACTIVE``.  Returns the changes applied.

    Before each step the table is described again and planned again: a change already made
    (by an earlier, interrupted apply, or by someone else) is skipped, so applying a plan
    twice, or resuming one, is safe.  Only changes of what the plan lists are made.

    :param allow_destructive: make destructive changes too; without it a plan that holds one
        is refused before any request (:class:`PlanRefused`, naming them).
    :param progress: called with a :class:`Progress` before each step, while waiting, and
        after each step.
    :param deadline: seconds the whole apply may take (None: no limit); when it passes,
        :class:`ApplyFailed` says what was done.
    :raises PlanRefused: the plan holds destructive changes not allowed, or impossible ones.
    :raises ApplyFailed: a step failed or did not take effect, or the deadline passed.
    """
    impossible = plan.impacts("impossible")
    if impossible:
        raise PlanRefused("DynamoDB cannot make these changes in place (nothing was sent): "
                          + "; ".join(f"{c.table_name}: {c.summary} ({c.why})" for c in impossible), impossible)
    destructive = plan.impacts("destructive")
    if destructive and not allow_destructive:
        raise PlanRefused("the plan holds destructive changes and allow_destructive is False (nothing was "
                          "sent): " + "; ".join(f"{c.table_name}: {c.summary} ({c.why})" for c in destructive),
                          destructive)
    started = policy.clock()
    ends = None if deadline is None else started + deadline
    applied: List[Change] = []

    def report(stage: str, change: Optional[Change], detail: str = "") -> None:
        if progress is not None:
            progress(Progress(stage, change, policy.clock() - started, detail))

    for table_plan in plan.tables:
        if table_plan.changes:
            yield from _apply_table(policy, table_plan, allow_destructive, ends, deadline, applied, report)
    return applied


def _apply_table(policy: Policy, table_plan: TablePlan, allow_destructive: bool, ends: Optional[float],
                 deadline: Optional[float], applied: List[Change], report: Callable[..., None]) -> Op:
    """Apply the changes of one table (see :func:`apply_op`), adding each to ``applied``."""
    model, table_name = table_plan.model, table_plan.table_name
    listed = {change.key for change in table_plan.changes}
    current: Optional[Change] = None
    try:
        while True:
            # wait until the table and its indexes are ACTIVE (a step of ours, or of an
            # interrupted apply, may still be running), then plan again
            attempt = 0
            while True:
                try:
                    table: Optional[Dict[str, Any]] = (yield from call("describe_table",
                                                                       {"TableName": table_name}))["Table"]
                except TableNotFound:
                    table = None if current is None or current.setting != "table" else {"TableStatus": "CREATING"}
                busy = _not_ready(table) if table is not None else ""
                if not busy:
                    break
                delay = min(policy.delay(attempt), MAX_POLL_DELAY)
                attempt += 1
                if ends is not None and policy.clock() + delay > ends:
                    raise ApplyFailed(f"the deadline of {deadline:.0f}s passed while {table_name!r} was "
                                      f"not ACTIVE ({busy})", applied, current)
                report("waiting", current, busy)
                yield Sleep(delay)
            if table is None:
                state = _State(None)
            else:
                state = yield from _details(model, table_name, table, table_plan.prune)
            todo = [c for c in diff(model, table_name, state, table_plan.prune) if c.key in listed]
            if current is not None:
                if any((c.key, c.action) == (current.key, current.action) for c in todo):
                    raise ApplyFailed(f"{table_name!r}: DynamoDB accepted {current.action} {current.summary!r} "
                                      "but the table does not show it (a backend that does not support it?)",
                                      applied, current)
                report("done", current)
                applied.append(current)
                current = None
            if not todo:
                break
            change = todo[0]
            if change.impact == "impossible" or (change.impact == "destructive" and not allow_destructive):
                raise ApplyFailed(f"the table changed since it was planned: {change.summary} is now "
                                  f"{change.impact} ({change.why}); plan again", applied, change)
            if ends is not None and policy.clock() > ends:
                raise ApplyFailed(f"the deadline of {deadline:.0f}s passed", applied, None)
            report("start", change)
            for operation, request in _step(model, change, state):
                try:
                    yield from call(operation, request, resend=False)
                except BloopException as error:
                    raise ApplyFailed(f"{table_name!r}: {change.action} {change.summary!r} failed: {error}",
                                      applied, change) from error
            current = change
    except ApplyFailed:
        raise
    except BloopException as error:
        sent = f"{current.summary!r} was sent, then " if current is not None else ""
        raise ApplyFailed(f"{table_name!r}: {sent}a request failed: {error}", applied, current) from error


def explain_mismatch(policy: Policy, op: Op, model: Any, table_name: str) -> Op:
    """Run ``op`` (a bind); a :class:`~bloop.exceptions.TableMismatch` it raises is raised
    again with the plan that would fix it (``error.plan``, and in its message)."""
    try:
        return (yield from op)
    except TableMismatch as error:
        mismatch = error
    try:
        plan = yield from plan_op(policy, {model: table_name})
    except BloopException:
        raise mismatch from None
    mismatch.plan = plan  # type: ignore[attr-defined]
    if plan:
        mismatch.args = (f"{mismatch.args[0]}\nthe plan that would fix it (engine.plan(...), then "
                         f"engine.apply(plan)):\n{plan}",)
    raise mismatch

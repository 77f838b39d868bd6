"""Plan and apply on real HTTP backends (moto server, dynalite; moto in-process too), with real waits.

What each backend cannot show is listed in docs/lifecycle.rst ("What the local backends
support"); each test here applies what its backend supports and checks the table afterwards.
"""
import contextlib
import gc
import io
import re
import textwrap
from pathlib import Path

import pytest
from moto import mock_aws

from bloop import BaseModel, Column, GlobalSecondaryIndex, String, Timestamp
from bloop.exceptions import TableMismatch
from bloop.lifecycle import ApplyFailed, PlanRefused


def models(backend_name):
    """The model as first deployed, and as it is now: it gained an index (and tags, more
    throughput), and where the backend supports them a stream, TTL, backups and deletion
    protection."""
    class Before(BaseModel):
        class Meta:
            table_name = "lifecycle"
            billing = {"read": 1, "write": 1}  # dynalite adds an index only to a provisioned table

        id = Column(String, hash_key=True)
        email = Column(String)
        expires = Column(Timestamp)

    # dynalite: no UpdateTable stream, TTL, backups or deletion protection
    full = backend_name != "dynalite"
    meta = {"table_name": "lifecycle", "billing": {"read": 2, "write": 2}, "tags": {"team": "accounts"}}
    if full:
        meta.update(stream={"include": ["new", "old"]}, ttl={"column": "expires"}, backups={"enabled": True},
                    deletion_protection=True)
    After = type("After", (BaseModel,), {
        "Meta": type("Meta", (), meta), "id": Column(String, hash_key=True), "email": Column(String),
        "expires": Column(Timestamp),
        "by_email": GlobalSecondaryIndex(projection="all", hash_key="email", read_units=1, write_units=1)})
    return Before, After, full


@pytest.mark.engines("sync", "async")
def test_plan_apply_then_bind(engine, make_engine, client, backend_name):
    Before, After, full = models(backend_name)
    engine.bind(Before)
    engine.save(Before(id="u1", email="a@example.com"))

    fresh = make_engine()
    with pytest.raises(TableMismatch) as excinfo:  # bind still checks, and shows the plan
        fresh.bind(After)
    assert "+ global index 'by_email'" in str(excinfo.value)

    plan = fresh.plan(After)
    expected = ["billing", "index", "tags"]
    if full:
        expected = ["billing", "index", "stream", "ttl", "backups", "tags", "deletion protection"]
    assert [c.setting for c in plan] == expected
    assert not plan.impacts("destructive")

    if not full:
        # dynalite answers UpdateTable's index Create (and Delete) and changes nothing: apply
        # notices and stops there, saying what it did; the rest applies without the index
        with pytest.raises(ApplyFailed, match="does not show it") as excinfo:
            fresh.apply(plan)
        assert [c.setting for c in excinfo.value.applied] == ["billing"]
        assert excinfo.value.change.setting == "index"
        plan.tables[0].changes = [c for c in plan if c.setting != "index"]
        assert [c.setting for c in fresh.apply(plan)] == ["tags"]
        assert [c.setting for c in fresh.plan(After)] == ["index"]
        return

    seen = []
    applied = fresh.apply(plan, progress=seen.append)
    assert [c.setting for c in applied] == expected
    assert [p.stage for p in seen if p.stage != "waiting"] == ["start", "done"] * len(expected)
    assert not fresh.plan(After)  # nothing left to do: applying again sends no change
    assert fresh.apply(plan) == []

    fresh.bind(After)
    found = fresh.query(After.by_email, key=After.email == "a@example.com").one()
    assert found.id == "u1"
    table = client.describe_table(TableName=fresh._table_name(After))["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    if full:
        assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert table["DeletionProtectionEnabled"] is True
        ttl = client.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
        assert ttl["AttributeName"] == "expires"
        client.update_table(TableName=table["TableName"], DeletionProtectionEnabled=False)

    # the index again, no longer used: removed only with prune, and only when destructive is allowed
    pruned = fresh.plan(Before, prune=True)
    removals = [(c.name, c.action) for c in pruned if c.setting == "index"]
    assert removals == [("by_email", "remove")]
    client_calls_before = client.describe_table(TableName=table["TableName"])["Table"]
    with pytest.raises(PlanRefused, match="by_email"):
        fresh.apply(pruned)
    assert client.describe_table(TableName=table["TableName"])["Table"].get("GlobalSecondaryIndexes") == \
        client_calls_before.get("GlobalSecondaryIndexes")
    indexes = [c for c in pruned if c.setting == "index"]
    pruned.tables[0].changes = indexes  # apply only the removal
    assert [c.action for c in fresh.apply(pruned, allow_destructive=True)] == ["remove"]
    assert not client.describe_table(TableName=table["TableName"])["Table"].get("GlobalSecondaryIndexes")


def test_a_new_table_is_created_with_what_create_table_cannot_set(engine, client, backend_name):
    meta = {"table_name": "lifecycle-new", "ttl": {"column": "expires"}}
    if backend_name != "dynalite":  # dynalite has no DescribeContinuousBackups
        meta["backups"] = {"enabled": True}
    Fresh = type("Fresh", (BaseModel,), {"Meta": type("Meta", (), meta), "id": Column(String, hash_key=True),
                                         "expires": Column(Timestamp)})

    plan = engine.plan(Fresh)
    if backend_name == "dynalite":  # no UpdateTimeToLive: apply stops there, saying what it did
        assert [(c.setting, c.action) for c in plan] == [("table", "create"), ("ttl", "enable")]
        with pytest.raises(ApplyFailed, match="UnknownOperation") as excinfo:
            engine.apply(plan)
        assert [c.setting for c in excinfo.value.applied] == ["table"]
        assert excinfo.value.change.setting == "ttl"
        assert client.describe_table(TableName=engine._table_name(Fresh))["Table"]["TableStatus"] == "ACTIVE"
        return
    assert [(c.setting, c.action) for c in plan] == [("table", "create"), ("ttl", "enable"), ("backups", "enable")]
    assert [c.setting for c in engine.apply(plan)] == ["table", "ttl", "backups"]
    assert not engine.plan(Fresh)


def test_what_a_backend_does_not_show_stops_apply(engine, backend_name):
    """docs/lifecycle.rst's table: moto accepts a table class and does not show it; dynalite refuses it."""
    meta = {"table_name": "lifecycle-class"}
    Plain = type("Plain", (BaseModel,), {"Meta": type("Meta", (), meta), "id": Column(String, hash_key=True)})
    engine.bind(Plain)
    Cold = type("Cold", (BaseModel,), {"Meta": type("Meta", (), dict(meta, table_class="infrequent_access")),
                                       "id": Column(String, hash_key=True)})
    plan = engine.plan(Cold)
    assert [str(c) for c in plan] == ["~ table class STANDARD -> STANDARD_INFREQUENT_ACCESS  [online]"]
    expected = "ValidationException" if backend_name == "dynalite" else "does not show it"
    with pytest.raises(ApplyFailed, match=expected) as excinfo:
        engine.apply(plan)
    assert excinfo.value.applied == [] and excinfo.value.change.setting == "table class"


DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
_BLOCK = re.compile(r"^(?P<indent>\s*)\.\. code-block:: (?P<kind>python|text)\s*$")


def blocks(path):
    """``(kind, line, source)`` of each python and text code block of an rst page, in order."""
    lines = path.read_text().splitlines()
    found, at = [], 0
    while at < len(lines):
        match = _BLOCK.match(lines[at])
        at += 1
        if not match:
            continue
        indent = len(match.group("indent"))
        start, body = at, []
        while at < len(lines) and (not lines[at].strip() or len(lines[at]) - len(lines[at].lstrip()) > indent):
            body.append(lines[at])
            at += 1
        while body and not body[-1].strip():
            body.pop()
        found.append((match.group("kind"), start + 1, textwrap.dedent("\n".join(body)).strip("\n")))
    return found


def test_the_docs_page_runs_and_prints_what_it_shows():
    """docs/lifecycle.rst: its python blocks run in order (on moto in-process), and a text block
    right after a python block is exactly what that block printed."""
    page = blocks(DOCS / "lifecycle.rst")
    namespace = {"__name__": "docs.lifecycle"}
    compared = 0
    with mock_aws():
        for position, (kind, line, source) in enumerate(page):
            if kind != "python":
                continue
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(source, f"docs/lifecycle.rst, block at line {line}", "exec"), namespace)
            following = page[position + 1] if position + 1 < len(page) else None
            if following is not None and following[0] == "text":
                assert out.getvalue().rstrip("\n") == following[2], f"the output of the block at line {line}"
                compared += 1
    namespace.clear()
    gc.collect()
    assert compared >= 4  # the plan, the mismatch, apply, and the pruned plan

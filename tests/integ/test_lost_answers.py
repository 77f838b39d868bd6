"""A lost answer is not a conflict, and nothing is applied twice.

The fault proxy (tests/faults.py) forwards a write to the moto server, which applies it,
and then loses the answer (drops the connection, answers 500, or stalls past the read
timeout), so botocore re-sends the request, as it does against DynamoDB.  Each scenario
runs with the sync and the async engine.

Most clients here use botocore's ``legacy`` retry mode, whose backoff for DynamoDB
starts at 50 ms (the ``standard`` mode's starts near 1 s), so that a few hundred writes
with lost answers take a few seconds; the last tests use bloop's own ``standard`` mode.
"""
import boto3
import pytest

from bloop import (
    BaseModel, Column, ConstraintViolation, Integer, List, OutcomeUnknown, Set, String, actions,
)

from ..blocking import Engines

pytestmark = pytest.mark.engines("sync", "async")

FAST = {"mode": "legacy", "total_max_attempts": 4}
#: the recognition tests run in front of dynalite too, which returns no item with a failed
#: condition (bloop reads it with a GetItem)
both_backends = pytest.mark.parametrize("proxy", ["moto_server", "dynalite"], indirect=True)
STANDARD = {"mode": "standard", "max_attempts": 4}


class Account(BaseModel):
    class Meta:
        table_name = "lost-accounts"

    id = Column(String, hash_key=True)
    balance = Column(Integer)
    owner = Column(String)
    version = Column(Integer, version=True)


class Tally(BaseModel):
    class Meta:
        table_name = "lost-tallies"

    id = Column(String, hash_key=True)
    count = Column(Integer)
    tags = Column(Set(String))
    log = Column(List(String))
    status = Column(String)
    note = Column(String)


@pytest.fixture
def make_engine(proxy, prefix, flavour):
    """``make_engine(retries=FAST, **config)``: an engine of the flavour under test, through the proxy."""
    made = []

    def make(retries=FAST, **config):
        engines = Engines(flavour, prefix, endpoint_url=proxy.url, retries=retries, config=config)
        made.append(engines)
        engine = engines.make()
        engine.bind(Account)
        engine.bind(Tally)
        return engine

    yield make
    for engines in made:
        engines.close()


@pytest.fixture
def upstream(proxy):
    """A client straight to the moto server: what another writer sees, never faulted."""
    return boto3.client("dynamodb", endpoint_url=proxy.upstream, region_name="us-east-1")


def stored(upstream, engine, model, key):
    table = engine._table_name(model)
    return upstream.get_item(TableName=table, Key={"id": {"S": key}}, ConsistentRead=True).get("Item")


def deposit(engine, account_id, amount):
    """The retry loop of docs/updates.rst."""
    while True:
        account = Account(id=account_id)
        engine.load(account, consistent=True)
        account.balance += amount
        try:
            engine.save(account)
            break
        except ConstraintViolation:
            continue        # another writer won this round


def test_deposits_add_up_exactly_under_lost_answers(proxy, make_engine):
    engine = make_engine()
    engine.save(Account(id="a", balance=0))
    proxy.faults.lose_fraction = 0.1
    for _ in range(200):
        deposit(engine, "a", 1)
    proxy.faults.lose_fraction = 0.0
    assert proxy.stats["lost"] >= 10
    account = Account(id="a")
    engine.load(account, consistent=True)
    assert (account.balance, account.version) == (200, 201)


@both_backends
def test_version_checked_save_after_lost_answer_is_a_success(proxy, make_engine, upstream):
    engine = make_engine()
    account = Account(id="v", balance=1, owner="ann")
    engine.save(account)
    assert account.version == 1
    proxy.faults.lose_next = 1
    account.balance = 2
    account.owner = None
    engine.save(account)  # applied, answer lost, re-sent: the re-send fails its own condition
    assert proxy.stats["lost"] >= 1
    assert account.version == 2
    assert stored(upstream, engine, Account, "v") == {"id": {"S": "v"}, "balance": {"N": "2"}, "version": {"N": "2"}}
    # tracking is up to date: the next save is checked against version 2 and succeeds
    account.balance = 3
    engine.save(account)
    assert account.version == 3
    # sync="new" reads the item back, as without a lost answer
    proxy.faults.lose_next = 1
    account.balance = 4
    engine.save(account, sync="new")
    assert (account.balance, account.owner, account.version) == (4, None, 4)


@both_backends
@pytest.mark.parametrize("how", ["drop", "500", "stall"])
def test_create_only_save_after_lost_answer_is_a_success(proxy, make_engine, upstream, how):
    engine = make_engine(read_timeout=0.3, connect_timeout=1)
    proxy.faults.lose_how = how
    proxy.faults.lose_stall = 0.6
    proxy.faults.lose_next = 1
    tally = Tally(id="new", count=1, note="first")
    engine.save(tally, condition=Tally.id.is_(None))
    assert proxy.stats["lost"] >= 1
    assert stored(upstream, engine, Tally, "new") == {"id": {"S": "new"}, "count": {"N": "1"}, "note": {"S": "first"}}
    # a real conflict is still one: the item exists now
    with pytest.raises(ConstraintViolation):
        engine.save(Tally(id="new", count=5), condition=Tally.id.is_(None))


@both_backends
def test_conditional_save_after_lost_answer_is_a_success(proxy, make_engine, upstream):
    engine = make_engine()
    tally = Tally(id="task", status="pending", note="x")
    engine.save(tally)
    proxy.faults.lose_next = 1
    tally.status = "done"
    engine.save(tally, condition=Tally.status == "pending")
    assert stored(upstream, engine, Tally, "task")["status"] == {"S": "done"}
    # tracked: nothing changed, so the next conditional save re-asserts the same values
    engine.save(tally, condition=Tally.status == "done")


@both_backends
def test_version_checked_delete_after_lost_answer_is_a_success(proxy, make_engine, upstream):
    engine = make_engine()
    account = Account(id="d", balance=1)
    engine.save(account)
    proxy.faults.lose_next = 1
    engine.delete(account)  # checked against version 1; the re-send finds no item
    assert proxy.stats["lost"] >= 1
    assert stored(upstream, engine, Account, "d") is None
    # the object is forgotten: saving it again creates the item anew, on condition it is absent
    engine.save(account)
    assert stored(upstream, engine, Account, "d")["balance"] == {"N": "1"}


@both_backends
def test_overwritten_after_lost_answer_is_outcome_unknown(proxy, make_engine, upstream):
    """The first attempt was applied, another writer wrote before the re-send: the re-send
    fails its condition on an item that no longer holds this save's values.  Whether this
    save was applied cannot be told: OutcomeUnknown, never ConstraintViolation (which says
    nothing was written)."""
    engine = make_engine()
    account = Account(id="o", balance=1)
    engine.save(account)
    table = engine._table_name(Account)

    def other_writer():
        upstream.update_item(TableName=table, Key={"id": {"S": "o"}},
                             UpdateExpression="SET balance = :b, version = :v",
                             ExpressionAttributeValues={":b": {"N": "50"}, ":v": {"N": "3"}})

    proxy.faults.lose_next = 1
    proxy.faults.lose_then = other_writer
    account.balance = 2
    with pytest.raises(OutcomeUnknown) as excinfo:
        engine.save(account)
    proxy.faults.lose_then = None
    error = excinfo.value
    assert not isinstance(error, ConstraintViolation)
    assert error.obj is account and error.table == table
    assert "Account" in str(error) and table in str(error)
    # nothing recorded: the object still holds version 1
    assert account.version == 1


def test_tally_adds_are_never_applied_twice(proxy, make_engine, upstream):
    """200 ``actions.add(1)`` with lost answers: each lost one raises OutcomeUnknown and is
    not re-sent; throttled ones (certainly not applied) are still retried."""
    engine = make_engine()
    engine.save(Tally(id="t", count=0))
    proxy.faults.lose_fraction = 0.1
    proxy.faults.throttle_every = 23
    succeeded, unknown = 0, []
    for _ in range(200):
        tally = Tally(id="t", count=actions.add(1))
        try:
            engine.save(tally)
            succeeded += 1
        except OutcomeUnknown as error:
            unknown.append(error)
    proxy.faults.lose_fraction = 0.0
    proxy.faults.throttle_every = 0
    assert proxy.stats["lost"] >= 10 and proxy.stats["throttled"] >= 5
    assert len(unknown) == proxy.stats["lost"] and succeeded + len(unknown) == 200
    assert all(error.obj is not None and error.table == engine._table_name(Tally) for error in unknown)
    # the proxy applied every write it lost the answer of, once: no write was applied twice
    assert int(stored(upstream, engine, Tally, "t")["count"]["N"]) == succeeded + len(unknown)


@pytest.mark.parametrize("action, expected", [
    (lambda: {"count": actions.add(1)}, ("1", ["a"])),
    (lambda: {"count": Tally.count + 1}, ("1", ["a"])),
    (lambda: {"count": actions.minus(1)}, ("-1", ["a"])),
    (lambda: {"log": actions.append(["x"])}, ("0", ["a", "x"])),
    (lambda: {"log": actions.prepend(["x"])}, ("0", ["x", "a"])),
], ids=["add", "plus", "minus", "append", "prepend"])
def test_non_idempotent_update_is_not_resent(proxy, make_engine, upstream, action, expected):
    engine = make_engine()
    engine.save(Tally(id="n", count=0, log=["a"]))
    proxy.faults.lose_next = 1
    tally = Tally(id="n", **action())
    with pytest.raises(OutcomeUnknown) as excinfo:
        engine.save(tally, sync="new")
    assert proxy.stats["writes"] == 2  # the first save, and this one: never re-sent
    assert excinfo.value.obj is tally
    item = stored(upstream, engine, Tally, "n")
    assert (item["count"]["N"], [v["S"] for v in item["log"]["L"]]) == expected  # applied once


def test_idempotent_updates_are_resent(proxy, make_engine, upstream):
    engine = make_engine()
    engine.save(Tally(id="i", count=0, tags={"a"}))
    proxy.faults.lose_every = 2
    tally = Tally(id="i", tags=actions.add({"b"}), note=actions.if_not_exists("n"), status="s")
    engine.save(tally)
    tally.tags = actions.delete({"a"})
    engine.save(tally)
    assert proxy.stats["lost"] == 2
    item = stored(upstream, engine, Tally, "i")
    assert item["tags"] == {"SS": ["b"]} and item["note"] == {"S": "n"}


def test_sync_old_is_not_resent(proxy, make_engine):
    """A re-sent save or delete would return the item its own first attempt wrote as the
    'old' one: with sync="old" a lost answer is OutcomeUnknown."""
    engine = make_engine()
    tally = Tally(id="s", note="one")
    engine.save(tally)
    proxy.faults.lose_next = 2
    tally.note = "two"
    with pytest.raises(OutcomeUnknown):
        engine.save(tally, sync="old")
    with pytest.raises(OutcomeUnknown):
        engine.delete(Tally(id="s"), sync="old")
    assert proxy.stats["writes"] == 3  # each sent once


def test_standard_retry_mode(proxy, make_engine, upstream):
    """bloop's own retry mode: a versioned save recognised, an add not re-sent, a throttled
    add retried."""
    engine = make_engine(retries=STANDARD)
    account = Account(id="std", balance=1)
    proxy.faults.lose_next = 1
    engine.save(account)  # create-only by its version
    assert account.version == 1
    proxy.faults.lose_how = "500"
    proxy.faults.lose_next = 1
    with pytest.raises(OutcomeUnknown):
        engine.save(Tally(id="std", count=actions.add(1)))
    proxy.faults.throttle_every = 2
    proxy.stats["requests"] = 1  # the next request is throttled, its retry is not
    engine.save(Tally(id="std", count=actions.add(1)))
    proxy.faults.throttle_every = 0
    assert proxy.stats["throttled"] == 1
    assert stored(upstream, engine, Tally, "std")["count"] == {"N": "2"}


@pytest.mark.engines("async")
def test_an_async_engine_making_its_own_client(proxy, prefix):
    """The client an AsyncEngine makes on first use follows lost answers too."""
    import asyncio

    from bloop.aio import AsyncEngine

    async def body():
        async with AsyncEngine(endpoint_url=proxy.url, region_name="us-east-1",
                               table_name_template=prefix + "{table_name}") as engine:
            await engine.bind(Tally)
            await engine.save(Tally(id="own", count=0))
            proxy.faults.lose_next = 1
            with pytest.raises(OutcomeUnknown):
                await engine.save(Tally(id="own", count=actions.add(1)))
            proxy.faults.lose_next = 1
            tally = Tally(id="own", note="x")
            await engine.save(tally, condition=Tally.note.is_(None))  # re-sent, recognised
            await engine.load(tally, consistent=True)
            return tally.count, proxy.stats["lost"]

    assert asyncio.run(body()) == (1, 2)


def test_an_unchecked_version_does_not_make_an_add_resendable(proxy, make_engine, upstream):
    """With check_version=False the version no longer makes a re-sent save fail: an add is
    not re-sent after a lost answer, as on a model without a version."""
    engine = make_engine()
    engine.save(Account(id="u", balance=0))
    proxy.faults.lose_next = 1
    account = Account(id="u", balance=actions.add(5), version=1)
    with pytest.raises(OutcomeUnknown):
        engine.save(account, check_version=False)
    item = stored(upstream, engine, Account, "u")
    assert (item["balance"], item["version"]) == ({"N": "5"}, {"N": "2"})  # applied once


def test_a_garbled_answer_to_an_add_is_outcome_unknown(proxy, make_engine, upstream):
    """A 2xx whose body does not decode may follow the write being applied: for a write
    that must not be applied twice it is a lost answer (never re-sent)."""
    engine = make_engine()
    engine.save(Tally(id="g", count=0))
    proxy.faults.body_faults("garbled", ("UpdateItem",), times=1)
    with pytest.raises(OutcomeUnknown):
        engine.save(Tally(id="g", count=actions.add(1)))
    assert stored(upstream, engine, Tally, "g")["count"] == {"N": "1"}
    proxy.faults.body_faults("truncated", ("UpdateItem",), times=1)
    engine.save(Tally(id="g", note="idempotent: re-sent"))
    assert stored(upstream, engine, Tally, "g")["note"] == {"S": "idempotent: re-sent"}

"""Unique constraints on moto (in-process and server), with both engines.

A save of an object whose model declares a unique column is one TransactWriteItems
with the guard items it claims and releases (bloop/unique.py).  dynalite does not
implement transactions (UnknownOperationException), so every test skips it.  The
thread race runs through the fault proxy's ``serialize`` mode: moto applies a
transaction's conditions and writes without a lock, so two concurrent transactions can
both pass; one request at a time is the atomicity DynamoDB gives.
"""
import asyncio
import threading
import time

import boto3
import pytest

from bloop import (
    BaseModel, Column, ConstraintViolation, Integer, String, TransactionCanceled, UniqueViolation,
)

from ..blocking import Engines

pytestmark = pytest.mark.engines("sync", "async", async_backends=("moto_server",))


@pytest.fixture(autouse=True)
def _transactions_backend(request):
    if "backend" in request.fixturenames and request.getfixturevalue("backend")["name"] == "dynalite":
        pytest.skip("dynalite does not implement transactions (UnknownOperationException): unique "
                    "constraints are kept in transactions")


class Member(BaseModel):
    class Meta:
        table_name = "unique-members"
        unique = [("first", "last")]

    id = Column(String, hash_key=True)
    email = Column(String, unique=True)
    first = Column(String)
    last = Column(String)
    visits = Column(Integer)


class Ranked(BaseModel):
    class Meta:
        table_name = "unique-ranked"

    pk = Column(String, hash_key=True)
    sk = Column(String, range_key=True)
    rank = Column(Integer, unique=True)
    version = Column(Integer, version=True)


def items(client, engine, model):
    return client.scan(TableName=engine._table_name(model), ConsistentRead=True)["Items"]


def guards(client, engine, model):
    """{guard key: owner's hash key} of every guard item in the model's table."""
    hash_name = model.Meta.hash_key.dynamo_name
    return {item[hash_name]["S"]: item["_bloop_owner"]["M"][hash_name]["S"]
            for item in items(client, engine, model) if "_bloop_unique" in item}


def test_a_create_claims_and_a_second_holder_is_refused(engine, client, requests):
    engine.bind(Member)
    requests.clear()
    engine.save(Member(id="m1", email="ann@example.com", visits=1))
    # a new object: bloop does not know what its item holds, so it reads first
    assert requests.names() == ["GetItem", "TransactWriteItems"]
    assert guards(client, engine, Member) == {"_unique#Member.email#ann@example.com": "m1"}
    with pytest.raises(UniqueViolation) as excinfo:
        engine.save(Member(id="m2", email="ann@example.com"))
    error = excinfo.value
    assert error.model is Member and error.columns == ("email",) and error.value == "ann@example.com"
    assert "Member.email" in str(error) and "nothing was written" in str(error)
    assert isinstance(error, ConstraintViolation) and isinstance(error.__cause__, TransactionCanceled)
    assert sorted(i["id"]["S"] for i in items(client, engine, Member)) == [
        "_unique#Member.email#ann@example.com", "m1"]


def test_a_changed_value_releases_the_old_one(engine, client, requests):
    engine.bind(Member)
    ann = Member(id="m1", email="ann@example.com")
    engine.save(ann)
    requests.clear()
    ann.email = "ann@example.org"
    engine.save(ann)
    # bloop knows what it wrote: no read this time
    assert requests.names() == ["TransactWriteItems"]
    assert guards(client, engine, Member) == {"_unique#Member.email#ann@example.org": "m1"}
    # the old value is free: another object takes it
    engine.save(Member(id="m2", email="ann@example.com"))
    assert guards(client, engine, Member) == {"_unique#Member.email#ann@example.org": "m1",
                                              "_unique#Member.email#ann@example.com": "m2"}
    # None releases
    ann.email = None
    engine.save(ann)
    assert guards(client, engine, Member) == {"_unique#Member.email#ann@example.com": "m2"}


def test_a_delete_releases(engine, client):
    engine.bind(Member)
    ann = Member(id="m1", email="ann@example.com", first="Ann", last="Lee")
    engine.save(ann)
    assert len(guards(client, engine, Member)) == 2
    engine.delete(ann)
    assert items(client, engine, Member) == []
    engine.save(Member(id="m2", email="ann@example.com", first="Ann", last="Lee"))
    assert set(guards(client, engine, Member).values()) == {"m2"}


def test_a_combination(engine, client):
    engine.bind(Member)
    engine.save(Member(id="m1", first="a#", last="b"))
    engine.save(Member(id="m2", first="a", last="#b"))  # another value: escaped apart
    engine.save(Member(id="m3", first="a", last=None))  # a part unset: no value to claim
    with pytest.raises(UniqueViolation) as excinfo:
        engine.save(Member(id="m4", first="a#", last="b"))
    assert excinfo.value.columns == ("first", "last") and excinfo.value.value == ("a#", "b")
    assert "Member(first, last)" in str(excinfo.value)
    assert sorted(guards(client, engine, Member).values()) == ["m1", "m2"]


def test_several_objects_in_one_transaction(engine, client, requests):
    engine.bind(Member)
    members = [Member(id=f"m{i}", email=f"{i}@example.com") for i in range(5)]
    requests.clear()
    engine.save(members)
    assert requests.names().count("TransactWriteItems") == 1
    assert len(guards(client, engine, Member)) == 5
    # a clash anywhere writes nothing of the transaction
    clash = [Member(id="n1", email="new@example.com"), Member(id="n2", email="3@example.com")]
    with pytest.raises(UniqueViolation) as excinfo:
        engine.save(clash)
    assert excinfo.value.obj is clash[1]
    assert "n1" not in {i["id"]["S"] for i in items(client, engine, Member)}
    # two values swapped between two objects in one save
    members[0].email, members[1].email = members[1].email, members[0].email
    engine.save(members[:2])
    held = guards(client, engine, Member)
    assert held["_unique#Member.email#0@example.com"] == "m1" and held["_unique#Member.email#1@example.com"] == "m0"
    engine.delete(members)
    assert items(client, engine, Member) == []


def test_inside_an_explicit_transaction(engine, client, requests):
    engine.bind(Member)
    ann = Member(id="m1", email="ann@example.com")
    engine.save(ann)
    requests.clear()
    ann.email = "ann@example.org"
    with engine.transaction() as tx:
        tx.save(ann)
        tx.save(Member(id="m2", email="ann@example.com"))  # takes the value ann releases
    assert requests.names() == ["GetItem", "TransactWriteItems"]  # m2 is new: read first
    (_, request), = [c for c in requests.calls if c[0] == "TransactWriteItems"]
    assert len(request["TransactItems"]) == 4  # two updates, one claim, one owner change
    assert guards(client, engine, Member) == {"_unique#Member.email#ann@example.org": "m1",
                                              "_unique#Member.email#ann@example.com": "m2"}
    with pytest.raises(UniqueViolation):
        with engine.transaction() as tx:
            tx.save(Member(id="m3", email="ann@example.org"))
    assert "m3" not in {i["id"]["S"] for i in items(client, engine, Member)}


def test_an_object_not_loaded_is_read_first(engine, client, requests):
    engine.bind(Member)
    engine.save(Member(id="m1", email="old@example.com", visits=3))
    # another process: an object with the key and a new value, never loaded
    fresh = Member(id="m1", email="new@example.com")
    requests.clear()
    engine.save(fresh)
    assert requests.names() == ["GetItem", "TransactWriteItems"]
    assert guards(client, engine, Member) == {"_unique#Member.email#new@example.com": "m1"}
    # loaded without the unique column: read first too
    partial = engine.query(Member, key=Member.id == "m1").project(Member.id, Member.visits).one()
    partial.visits = 4
    requests.clear()
    engine.save(partial)
    assert requests.names() == ["GetItem", "TransactWriteItems"]
    assert guards(client, engine, Member) == {"_unique#Member.email#new@example.com": "m1"}


def test_a_changed_item_fails_the_condition_and_leaves_guards(engine, client):
    engine.bind(Member)
    ann = Member(id="m1", email="ann@example.com")
    engine.save(ann)
    # someone else changes the unique column behind bloop's back
    client.update_item(TableName=engine._table_name(Member), Key={"id": {"S": "m1"}},
                       UpdateExpression="SET email = :e", ExpressionAttributeValues={":e": {"S": "x@example.com"}})
    ann.email = "bob@example.com"
    with pytest.raises(ConstraintViolation) as excinfo:
        engine.save(ann)
    assert not isinstance(excinfo.value, UniqueViolation) and excinfo.value.obj is ann
    assert guards(client, engine, Member) == {"_unique#Member.email#ann@example.com": "m1"}


def test_a_range_keyed_table_with_a_number_and_a_version(engine, client):
    engine.bind(Ranked)
    first = Ranked(pk="a", sk="1", rank=10)
    engine.save(first)
    assert guards(client, engine, Ranked) == {"_unique#Ranked.rank#10": "a"}
    guard, = [i for i in items(client, engine, Ranked) if "_bloop_unique" in i]
    assert guard["sk"] == guard["pk"]
    with pytest.raises(UniqueViolation):
        engine.save(Ranked(pk="b", sk="1", rank=10))
    first.rank = 11
    engine.save(first)
    assert first.version == 2
    engine.delete(first)
    assert items(client, engine, Ranked) == []


# ---------------------------------------------------------------------------------------
# through the fault proxy

@pytest.fixture
def proxied(proxy, prefix, flavour):
    made = []

    def make(**config):
        engines = Engines(flavour, prefix, endpoint_url=proxy.url,
                          retries={"mode": "legacy", "total_max_attempts": 4}, config=config)
        made.append(engines)
        return engines.make()

    yield make
    for engines in made:
        engines.close()


@pytest.fixture
def upstream(proxy):
    return boto3.client("dynamodb", endpoint_url=proxy.upstream, region_name="us-east-1")


def test_a_value_contested_by_threads_has_one_winner(proxy, proxied, upstream, flavour):
    proxy.faults.serialize = True
    engine = proxied()
    engine.bind(Member)
    contenders = [Member(id=f"m{i}", email="rare@example.com") for i in range(8)]
    outcomes = []
    if flavour == "sync":
        barrier = threading.Barrier(len(contenders))

        def run(member):
            barrier.wait()
            try:
                engine.save(member)
                outcomes.append(("won", member.id))
            except UniqueViolation as error:
                outcomes.append(("lost", error.value))

        threads = [threading.Thread(target=run, args=(m,)) for m in contenders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    else:
        async def race():
            return await asyncio.gather(*(engine.engine.save(m) for m in contenders), return_exceptions=True)

        for member, result in zip(contenders, engine.wait(race())):
            if result is None:
                outcomes.append(("won", member.id))
            elif isinstance(result, UniqueViolation):
                outcomes.append(("lost", result.value))
            else:
                raise result
    assert len(outcomes) == 8
    won = [who for what, who in outcomes if what == "won"]
    assert len(won) == 1 and outcomes.count(("lost", "rare@example.com")) == 7
    assert guards(upstream, engine, Member) == {"_unique#Member.email#rare@example.com": won[0]}
    holders = [i for i in items(upstream, engine, Member) if i.get("email") == {"S": "rare@example.com"}]
    assert [h["id"]["S"] for h in holders] == won


@pytest.mark.parametrize("how", ["drop", "500"])
def test_a_lost_answer_leaves_one_holder_and_no_leaked_guard(proxy, proxied, upstream, how):
    engine = proxied()
    engine.bind(Member)
    ann = Member(id="m1", email="ann@example.com")
    engine.save(ann)
    proxy.faults.lose_operations = ("TransactWriteItems",)
    proxy.faults.lose_how = how
    proxy.faults.lose_next = 1
    ann.email = "ann@example.org"
    # moto does not honour the token: the re-send is applied again and canceled; bloop reads
    # the items and recognises that the first attempt was applied
    engine.save(ann)
    assert proxy.stats["lost"] == 1
    assert guards(upstream, engine, Member) == {"_unique#Member.email#ann@example.org": "m1"}
    engine.save(Member(id="m2", email="ann@example.com"))  # the old value was released
    # a lost answer whose re-send finds the value taken by another writer meanwhile
    proxy.faults.lose_next = 1

    def another_writer():
        upstream.delete_item(TableName=engine._table_name(Member),
                             Key={"id": {"S": "_unique#Member.email#b@example.com"}})
        upstream.put_item(TableName=engine._table_name(Member), Item={
            "id": {"S": "_unique#Member.email#b@example.com"}, "_bloop_unique": {"S": "Member.email"},
            "_bloop_owner": {"M": {"id": {"S": "m9"}}}})

    proxy.faults.lose_then = another_writer
    ann.email = "b@example.com"
    with pytest.raises(Exception) as excinfo:
        engine.save(ann)
    assert type(excinfo.value).__name__ == "OutcomeUnknown" and "load them" in str(excinfo.value)


@pytest.mark.engines("sync")
def test_a_contest_with_lost_answers_never_leaves_two_holders(proxy, proxied, upstream):
    """Threads contest one value while answers are lost: whatever each is told (won, lost, or
    outcome unknown), the table ends with one guard, owned by the one item holding the value."""
    from bloop import OutcomeUnknown, ServiceError
    proxy.faults.serialize = True
    engine = proxied()
    engine.bind(Member)
    proxy.faults.lose_operations = ("TransactWriteItems",)
    proxy.faults.lose_fraction = 0.3
    contenders = [Member(id=f"m{i}", email="rare@example.com") for i in range(8)]
    told = {}

    def run(member):
        try:
            engine.save(member)
            told[member.id] = "won"
        except UniqueViolation:
            told[member.id] = "lost"
        except (OutcomeUnknown, ServiceError):  # the last of botocore's attempts lost its answer too
            told[member.id] = "unknown"

    threads = [threading.Thread(target=run, args=(m,)) for m in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(told) == 8 and proxy.stats["lost"] >= 1
    assert list(told.values()).count("won") <= 1
    held = guards(upstream, engine, Member)
    holders = [i["id"]["S"] for i in items(upstream, engine, Member) if i.get("email") == {"S": "rare@example.com"}]
    assert len(holders) == 1 and held == {"_unique#Member.email#rare@example.com": holders[0]}
    assert told[holders[0]] in ("won", "unknown")


def test_throttling_is_retried(proxy, proxied, upstream):
    engine = proxied()
    engine.bind(Member)
    proxy.faults.throttle_every = 2
    members = [Member(id=f"m{i}", email=f"{i}@example.com") for i in range(3)]
    engine.save(members)
    assert proxy.stats["throttled"] >= 1
    assert sorted(guards(upstream, engine, Member).values()) == ["m0", "m1", "m2"]


def test_the_serialising_proxy_forwards_one_request_at_a_time(proxy):
    """FaultProxy(serialize): a request starts only after the one before it was answered."""
    proxy.faults.serialize = True
    proxy.faults.delay = 0.2
    started = []
    proxy.faults.on_request = lambda operation: started.append(time.monotonic())
    client = boto3.client("dynamodb", endpoint_url=proxy.url, region_name="us-east-1")
    threads = [threading.Thread(target=client.list_tables) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(started) == 4
    gaps = [b - a for a, b in zip(sorted(started), sorted(started)[1:])]
    assert min(gaps) >= 0.19


def test_the_docs_page_runs():
    """Every code block of docs/unique.rst runs, in order, against moto."""
    from moto import mock_aws

    from .test_docs import DOCS, code_blocks
    namespace = {"__name__": "docs.unique"}
    blocks = code_blocks(DOCS / "unique.rst")
    assert len(blocks) == 2
    with mock_aws():
        for line, source in blocks:
            exec(compile(source, f"docs/unique.rst, block at line {line}", "exec"), namespace)
    namespace.clear()

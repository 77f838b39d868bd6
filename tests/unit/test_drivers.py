"""bloop.drivers: the transport boundary both engines send through, and where the drivers live.

A transport here is the shared fake of tests/unit/fakes.py: a plain class with a
``send`` method, knowing nothing of bloop's internals, put on a real engine.
"""
import ast
import asyncio
import pathlib
import random

import pytest

import bloop
from bloop import BaseModel, BatchIncomplete, Column, ConstraintViolation, Engine, Integer, String
from bloop.aio import AsyncEngine
from bloop.drivers.transport import AiobotocoreTransport, AsyncTransport, BotocoreTransport, Transport
from tests.unit.fakes import AsyncFakeTransport, FakeClock, FakeTransport
from tests.unit.helpers import dynamodb_client


class User(BaseModel):
    class Meta:
        table_name = "users"

    id = Column(String, hash_key=True)
    age = Column(Integer)


def engines(respond, **options):
    """A sync and an async engine, each on its flavour of the one fake transport."""
    sync = Engine(dynamodb_client(), table_name_template="t-{table_name}", **options)
    sync.transport = FakeTransport(respond=respond)
    made = AsyncEngine(table_name_template="t-{table_name}", **options)  # never makes a client
    made.transport = AsyncFakeTransport(respond=respond)
    return sync, made


def answer(call):
    if call.operation == "query":
        return {"Items": [{"id": {"S": "u1"}, "age": {"N": "3"}}], "Count": 1, "ScannedCount": 1}
    if call.operation == "update_item":
        if call.request["Key"]["id"]["S"] == "taken":
            return bloop.ConstraintViolation("update_item: the condition failed")
        return {}
    if call.operation == "batch_get_item":
        return {"Responses": {"t-users": [{"id": {"S": "u1"}, "age": {"N": "3"}}]}}
    raise AssertionError(call)


def test_the_engines_send_through_their_transport():
    sync, made = engines(answer)
    assert isinstance(sync.transport, Transport) and isinstance(made.transport, AsyncTransport)
    sync.bind(User, skip_table_setup=True)
    sync.save(User(id="u1", age=3))
    loaded = User(id="u1")
    sync.load(loaded)
    assert loaded.age == 3
    assert [o.id for o in sync.query(User).key(User.id == "u1").all()] == ["u1"]
    assert sync.query(User).key(User.id == "u1").first().age == 3
    with pytest.raises(ConstraintViolation):
        sync.save(User(id="taken"))

    async def same():
        await made.bind(User, skip_table_setup=True)
        await made.save(User(id="u1", age=3))
        other = User(id="u1")
        await made.load(other)
        assert other.age == 3
        assert [o.id async for o in made.query(User).key(User.id == "u1")] == ["u1"]
        assert (await made.query(User).key(User.id == "u1").first()).age == 3
        with pytest.raises(ConstraintViolation):
            await made.save(User(id="taken"))
    asyncio.run(same())
    assert sync.transport.requests == made.transport.requests  # the same requests, built once for both
    assert [op for op, _ in sync.transport.requests] == ["update_item", "batch_get_item", "query", "query",
                                                         "update_item"]


def test_a_batch_waits_on_the_engines_clock_not_the_wall_clock():
    clock = FakeClock()

    def never_drains(call):
        return {"UnprocessedItems": call.request["RequestItems"]}
    sync, made = engines(never_drains, clock=clock, sleep=clock.sleep, batch_deadline=2.0)
    made._sleep = clock.async_sleep
    for engine, run in ((sync, lambda result: result), (made, asyncio.run)):
        engine.policy.random = random.Random(7)  # the same jitter for both
        run(engine.bind(User, skip_table_setup=True))
        start, slept = clock.now, len(clock.slept)
        with pytest.raises(BatchIncomplete):
            run(engine.save([User(id="a"), User(id="b")]))
        assert len(clock.slept) > slept and clock.now > start  # backed off on the fake clock only
    assert len(sync.transport.steps) == len(made.transport.steps) > 2


def test_bloops_transports_are_transports():
    assert isinstance(BotocoreTransport(None), Transport)
    assert isinstance(AiobotocoreTransport(None), AsyncTransport)
    assert isinstance(Engine(dynamodb_client()).transport, BotocoreTransport)
    assert isinstance(AsyncEngine().transport, AiobotocoreTransport)


def test_the_old_import_paths_still_work():
    from bloop import aio, operations, search, stream, transactions
    from bloop.drivers import drive, search as searches, stream as streams, transaction, transport
    assert operations.drive is drive.drive and operations.outcome is transport.outcome
    assert aio.drive is drive.drive_async
    assert search.SearchIterator is searches.SearchIterator
    assert aio.AsyncSearchIterator is searches.AsyncSearchIterator
    assert transactions.SyncTransaction is transaction.SyncTransaction
    assert aio.AsyncTransaction is transaction.AsyncTransaction
    assert stream.Stream is streams.Stream and bloop.Stream is streams.Stream
    assert aio.AsyncStream is streams.AsyncStream
    from bloop.stream.stream import Stream
    assert Stream is streams.Stream


CORE = ["operations.py", "transactions.py", "tables.py", "stream/coordinator.py",
        "stream/records.py", "stream/__init__.py"] + sorted(
    f"{package}/{path.name}" for package in ("codec", "search")
    for path in (pathlib.Path(bloop.__file__).parent / package).glob("*.py"))


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_no_driver(module):
    """Drivers import the core, never the other way round (old names are found lazily)."""
    tree = ast.parse((pathlib.Path(bloop.__file__).parent / module).read_text())
    for node in tree.body:  # module level: what importing the module imports
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [alias.name for alias in node.names]
            assert not any("drivers" in name or name in ("engine", "aio") for name in names), (module, names)


def test_import_bloop_does_not_import_asyncio():
    import subprocess
    import sys
    code = "import sys, bloop; print('asyncio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"  # as before the drivers moved: the sync engine needs no event loop

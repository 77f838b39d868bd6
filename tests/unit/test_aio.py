"""bloop.aio without a backend: the async driver, transport, searches and client lifetime.

The client here is aiobotocore-shaped (async methods) and checks every request
against botocore's real DynamoDB service model before answering it.
"""
import asyncio
import subprocess
import sys

import botocore.exceptions
import pytest

from bloop import (
    BaseModel, BatchIncomplete, Column, ConstraintViolation, Engine, Integer, InvalidConfiguration, InvalidModel,
    InvalidType,
    ObjectsNotFound, RequestRejected, String, TableNotFound, Throttled, signals,
)
from bloop.aio import AsyncEngine, AsyncSession, drive
from bloop.operations import Call, Sleep
from tests.unit.helpers import validate_request


class User(BaseModel):
    class Meta:
        table_name = "users"

    id = Column(String, hash_key=True)
    age = Column(Integer)


def run(coroutine):
    return asyncio.run(coroutine)


def client_error(code, operation="UpdateItem", **extra):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "no"}, **extra}, operation)


class FakeClient:
    """Async client methods: validate the request, record it, and answer with ``respond``
    (a function ``(operation, request) -> response``; it may raise, or be a coroutine)."""

    def __init__(self, respond):
        self.respond = respond
        self.sent = []

    def __getattr__(self, operation):
        if operation.startswith("_"):
            raise AttributeError(operation)

        async def method(**request):
            validate_request(operation, request)
            self.sent.append((operation, request))
            response = self.respond(operation, request)
            if asyncio.iscoroutine(response):
                response = await response
            return response
        return method


def engine_with(respond, **kwargs):
    client = FakeClient(respond)
    engine = AsyncEngine(client, table_name_template="test-{table_name}", **kwargs)
    engine._bound[User] = "test-users"  # as though bound, so nothing describes the table
    return engine, client


def items_of(request):
    (writes,) = request["RequestItems"].values()
    return writes


# importing ---------------------------------------------------------------------------------

def test_import_bloop_and_bloop_aio_do_not_import_aiobotocore():
    code = ("import sys, bloop, bloop.aio; "
            "print(sorted(m for m in ('aiobotocore', 'aiohttp') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# the driver ---------------------------------------------------------------------------------

def test_drive_sends_steps_sleeps_and_returns():
    sent, slept = [], []

    def op():
        first = yield [Call("get_item", {"n": 1}), Call("get_item", {"n": 2})]
        yield Sleep(0.5)
        second = yield [Call("get_item", {"n": 3})]
        return first + second

    async def send(calls):
        sent.append([c.request["n"] for c in calls])
        return [c.request["n"] * 10 for c in calls]

    async def sleep(seconds):
        slept.append(seconds)

    assert run(drive(op(), send, sleep)) == [10, 20, 30]
    assert sent == [[1, 2], [3]] and slept == [0.5]


# the engine ---------------------------------------------------------------------------------

def test_same_options_checked_by_the_shared_core():
    with pytest.raises(InvalidModel):
        AsyncEngine(FakeClient(None), table_name_template="no placeholder")
    with pytest.raises(InvalidType):
        AsyncEngine(FakeClient(None), max_concurrency=0)
    engine = AsyncEngine(FakeClient(None), table_name_template="x-{table_name}")
    assert engine._table_name(User) == Engine(object(), table_name_template="x-{table_name}")._table_name(User)
    assert repr(engine) == "<AsyncEngine bound=0>"


def test_save_positional_condition_check():
    engine, client = engine_with(lambda op, req: {})
    with pytest.raises(TypeError, match="list"):
        run(engine.save(User(id="a"), User(id="b")))
    assert client.sent == []


def test_batch_chunks_go_out_concurrently_bounded_with_outcomes_in_call_order():
    in_flight, peak = 0, 0

    async def respond(operation, request):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        # later chunks answer first
        await asyncio.sleep(0.001 * (10 - len(client.sent)))
        in_flight -= 1
        return {}

    engine, client = engine_with(respond, max_concurrency=3)
    objs = [User(id=f"u{i}", age=i) for i in range(200)]  # 8 chunks of 25
    run(engine.save(objs))
    assert len(client.sent) == 8 and peak == 3
    sent_ids = [w["PutRequest"]["Item"]["id"]["S"] for _, req in client.sent for w in items_of(req)]
    assert sorted(sent_ids) == sorted(f"u{i}" for i in range(200))


def test_unprocessed_items_resent_with_async_backoff_until_the_deadline():
    now = [0.0]
    slept = []

    async def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    def never_drains(operation, request):
        return {"UnprocessedItems": request["RequestItems"]}

    engine, client = engine_with(never_drains, batch_deadline=2.0, clock=lambda: now[0], sleep=sleep)
    objs = [User(id=f"u{i}") for i in range(30)]
    with pytest.raises(BatchIncomplete) as excinfo:
        run(engine.save(objs))
    assert excinfo.value.unprocessed == objs
    assert slept and sum(slept) <= 2.0 and slept[0] < slept[-1]


def test_a_failed_chunk_is_its_outcome_and_the_others_are_written():
    def respond(operation, request):
        if any(w["PutRequest"]["Item"]["id"]["S"] == "u30" for w in items_of(request)):
            raise client_error("ProvisionedThroughputExceededException", "BatchWriteItem")
        return {}

    engine, client = engine_with(respond)
    objs = [User(id=f"u{i}") for i in range(60)]
    with pytest.raises(BatchIncomplete) as excinfo:
        run(engine.save(objs))
    assert excinfo.value.unprocessed == objs[25:50]
    assert isinstance(excinfo.value.__cause__, Throttled)
    assert isinstance(excinfo.value.__cause__.__cause__, botocore.exceptions.ClientError)


def test_an_error_that_is_not_bloops_cancels_the_other_chunks():
    started, finished = [], []

    async def respond(operation, request):
        started.append(operation)
        if len(started) == 1:
            raise RuntimeError("a bug")
        await asyncio.sleep(0.05)
        finished.append(operation)
        return {}

    engine, client = engine_with(respond, max_concurrency=4)

    async def body():
        with pytest.raises(RuntimeError):
            await engine.save([User(id=f"u{i}") for i in range(100)])
        await asyncio.sleep(0.1)

    run(body())
    assert finished == []


@pytest.mark.parametrize("code, error", [
    ("ConditionalCheckFailedException", ConstraintViolation),
    ("ResourceNotFoundException", TableNotFound),
    ("ValidationException", RequestRejected),
    ("ThrottlingException", Throttled),
])
def test_errors_are_translated_by_the_shared_translator(code, error):
    def respond(operation, request):
        raise client_error(code, "UpdateItem", Item={"id": {"S": "a"}, "age": {"N": "3"}})

    engine, _ = engine_with(respond)
    obj = User(id="a", age=1)
    with pytest.raises(error) as excinfo:
        run(engine.save(obj, condition=User.age == 5))
    assert excinfo.value.code == code
    assert isinstance(excinfo.value.__cause__, botocore.exceptions.ClientError)
    if error is ConstraintViolation:
        assert excinfo.value.obj is obj and excinfo.value.old.age == 3


def test_load_fills_objects_and_names_the_missing():
    def respond(operation, request):
        (table, spec), = request["RequestItems"].items()
        return {"Responses": {table: [dict(key, age={"N": "7"}) for key in spec["Keys"]
                                      if key["id"]["S"] != "gone"]}}

    engine, client = engine_with(respond)
    here, gone = User(id="here"), User(id="gone")
    with pytest.raises(ObjectsNotFound) as excinfo:
        run(engine.load([here, gone], consistent=True))
    assert excinfo.value.missing == [gone] and here.age == 7
    assert client.sent[0][1]["RequestItems"]["test-users"]["ConsistentRead"] is True


def test_bind_describes_creates_and_waits():
    states = iter(["missing", "CREATING", "ACTIVE"])

    def respond(operation, request):
        if operation == "describe_table":
            state = next(states)
            if state == "missing":
                raise client_error("ResourceNotFoundException", "DescribeTable")
            return {"Table": {"TableName": request["TableName"], "TableStatus": state,
                              "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                              "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}}
        return {}

    slept = []

    async def sleep(seconds):
        slept.append(seconds)

    client = FakeClient(respond)
    engine = AsyncEngine(client, table_name_template="test-{table_name}", sleep=sleep)
    run(engine.bind(User))
    operations = [op for op, _ in client.sent]
    assert operations == ["describe_table", "create_table", "describe_table", "describe_table"]
    assert len(slept) == 1 and engine._table_name(User) == "test-users"
    run(engine.bind(User))  # bound already: nothing sent
    assert len(client.sent) == 4


# searches -----------------------------------------------------------------------------------

def pages_of(n, size):
    def respond(operation, request):
        start = int(request.get("ExclusiveStartKey", {"id": {"S": "u-1"}})["id"]["S"][1:]) + 1
        stop = min(start + request.get("Limit", size), n)
        items = [{"id": {"S": f"u{i}"}, "age": {"N": str(i)}} for i in range(start, stop)]
        response = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
        if stop < n:
            response["LastEvaluatedKey"] = {"id": {"S": f"u{stop - 1}"}}
        return response
    return respond


def test_async_iteration_pages_terminals_and_token():
    engine, client = engine_with(pages_of(10, 4))
    scan = engine.scan(User)

    async def body():
        assert [u.age async for u in scan] == list(range(10))
        assert [[u.age for u in page] async for page in scan.pages()] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
        assert len(await scan.all()) == 10
        assert (await scan.first()).age == 0
        assert await scan.count() == 10
        assert await scan.limit(3).count() == 3
        iterator = scan.__aiter__()
        head = [(await iterator.__anext__()).age for _ in range(5)]
        rest = [u.age async for u in scan.start_from(iterator.token)]
        assert head + rest == list(range(10))
        assert iterator.scanned == 8 and iterator.count == 8

    run(body())


def test_searches_refuse_the_other_engines_iteration():
    engine, _ = engine_with(pages_of(1, 1))
    with pytest.raises(TypeError, match="async for"):
        iter(engine.scan(User))
    sync_scan = Engine(object()).scan(User)

    async def body():
        async for _ in sync_scan:
            pass

    with pytest.raises(TypeError, match="AsyncEngine"):
        run(body())


# client lifetime ----------------------------------------------------------------------------

def test_a_made_client_is_made_once_and_closed_an_injected_one_is_not():
    made, closed = [], []

    class Maker:
        async def __aenter__(self):
            made.append(1)
            await asyncio.sleep(0.01)
            return FakeClient(lambda op, req: {"Table": {}})

        async def __aexit__(self, *exc):
            closed.append(1)

    session = AsyncSession(endpoint_url="http://127.0.0.1:1", region_name="us-east-1")

    async def make(service):
        return await session._made.enter_async_context(Maker())

    async def body():
        import contextlib
        session._made = contextlib.AsyncExitStack()
        session._make = make
        clients = await asyncio.gather(*(session.client() for _ in range(5)))
        assert len({id(c) for c in clients}) == 1 and made == [1]
        await session.close()
        assert closed == [1] and session.dynamodb is None

    run(body())
    injected = FakeClient(None)
    engine = AsyncEngine(injected)

    async def close_injected():
        async with engine:
            pass
        assert engine.session.dynamodb is injected

    run(close_injected())


def test_signals_are_sent_by_the_async_engine():
    engine, _ = engine_with(pages_of(3, 10))
    loaded, saved = [], []

    async def body():
        with signals.object_loaded.connected_to(lambda sender, obj: loaded.append((sender, obj.id))), \
                signals.object_saved.connected_to(lambda sender, obj: saved.append((sender, obj.id))):
            await engine.scan(User).all()
            await engine.save(User(id="new", age=1))

    run(body())
    assert loaded == [(engine, "u0"), (engine, "u1"), (engine, "u2")]
    assert saved == [(engine, "new")]


def test_a_client_without_a_region_is_refused_clearly(monkeypatch, tmp_path):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))

    async def body():
        async with AsyncEngine() as engine:
            await engine.session.client()

    with pytest.raises(InvalidConfiguration, match="no AWS region"):
        run(body())


def test_the_async_session_sits_beside_the_sync_one():
    """Session and AsyncSession are siblings in bloop.session; bloop.aio re-exports the same class,
    and importing bloop.session imports neither asyncio nor aiobotocore."""
    import bloop.aio
    import bloop.session
    assert bloop.aio.AsyncSession is bloop.session.AsyncSession
    assert bloop.session.AsyncSession.__module__ == "bloop.session"
    code = ("import sys, bloop.session; "
            "print(sorted(m for m in ('asyncio', 'aiobotocore', 'aiohttp') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

"""The async engine over a plain botocore client: ThreadTransport on a ThreadSession.

Requests go through a real botocore client whose answers come from botocore's Stubber
(which checks every request against the service model), so bloop's session, checks and
error translation all run; only the HTTP is stubbed.
"""
import asyncio
import contextvars
import threading

import boto3
import pytest
from botocore.stub import Stubber

from bloop import BaseModel, Column, InvalidConfiguration, Integer, String, Throttled
from bloop.aio import AsyncEngine
from bloop.drivers.transport import AiobotocoreTransport, ThreadSession, ThreadTransport, is_botocore_client
from bloop.operations import Call


class Item(BaseModel):
    class Meta:
        table_name = "items"

    id = Column(String, hash_key=True)
    n = Column(Integer)


def client():
    return boto3.session.Session().client("dynamodb", region_name="us-east-1", aws_access_key_id="k",
                                          aws_secret_access_key="s")


def test_an_injected_botocore_client_runs_on_threads():
    made = client()
    engine = AsyncEngine(made, table_name_template="t-{table_name}")
    assert isinstance(engine.transport, ThreadTransport) and isinstance(engine.session, ThreadSession)
    assert engine.session.dynamodb is made and is_botocore_client(made)
    assert isinstance(AsyncEngine().transport, AiobotocoreTransport)  # no client: aiobotocore, as before
    own = AsyncEngine(threads=True, region_name="us-east-1")  # makes a botocore client, no aiobotocore
    assert isinstance(own.transport, ThreadTransport) and is_botocore_client(own.session.dynamodb)


def test_the_choice_is_checked():
    with pytest.raises(InvalidConfiguration, match="threads=True with botocore clients"):
        AsyncEngine(client(), threads=False)
    with pytest.raises(InvalidConfiguration, match="True, False or None"):
        AsyncEngine(client(), threads="yes")

    class AioLike:  # an aiobotocore client's API calls are coroutines
        async def _make_api_call(self, name, params):
            return {}

    with pytest.raises(InvalidConfiguration, match="aiobotocore client"):
        AsyncEngine(AioLike(), threads=True)
    with pytest.raises(InvalidConfiguration, match="dynamodbstreams is an aiobotocore client"):
        AsyncEngine(client(), AioLike())  # threads decided from the first: the second must match
    with pytest.raises(InvalidConfiguration, match="dynamodbstreams is a blocking botocore client"):
        AsyncEngine(dynamodbstreams=client(), endpoint_url="http://localhost:1", region_name="us-east-1")


def test_requests_run_on_the_pool_with_the_callers_context():
    made = client()
    engine = AsyncEngine(made, table_name_template="t-{table_name}")
    seen = []
    marker = contextvars.ContextVar("marker", default=None)

    def record(params=None, **_):
        seen.append((threading.current_thread().name, marker.get()))

    made.meta.events.register("provide-client-params.dynamodb", record)
    stub = Stubber(made)
    stub.add_response("batch_get_item", {"Responses": {"t-items": [{"id": {"S": "a"}, "n": {"N": "1"}}]}})
    stub.add_client_error("update_item", "ProvisionedThroughputExceededException", http_status_code=400)

    async def body():
        marker.set("request-1")
        engine._bound_to(Item, "t-items")
        loaded = Item(id="a")
        await engine.load(loaded)
        assert loaded.n == 1
        with pytest.raises(Throttled):
            await engine.save(Item(id="b", n=2))

    with stub:
        asyncio.run(body())
    assert seen and all(name.startswith("bloop-aio") and value == "request-1" for name, value in seen)
    engine.session.shutdown()
    assert engine.session._pool is None


def test_a_step_of_several_calls_runs_them_at_once_up_to_max_concurrency():
    class Slow:
        """A session whose calls wait for each other: only concurrent calls finish."""

        def __init__(self):
            self.dynamodb = None
            self.running = 0
            self.most = 0
            self.lock = threading.Lock()
            self.barrier = threading.Barrier(2, timeout=5)

        def call(self, operation, request, resend=True):
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
            self.barrier.wait()
            with self.lock:
                self.running -= 1
            return {"n": request["n"]}

    slow = Slow()
    transport = ThreadTransport(ThreadSession(slow, threads=8), max_concurrency=2)
    calls = [Call("get_item", {"n": i}) for i in range(6)]
    outcomes = asyncio.run(transport.send(calls))
    assert outcomes == [{"n": i} for i in range(6)] and slow.most == 2
    transport.session.shutdown()

"""The async engine on its thread-pool transport, in-process on moto (which intercepts
botocore, not aiobotocore): searches, segments, a transaction and a stream, the async
paths that the plugin's ``bloop_async_engine`` fixture gives users (and ``page()``).  One table set.
"""
import asyncio

import boto3
import pytest
from moto import mock_aws

from bloop import BaseModel, Column, Integer, String, TransactionCanceled
from bloop.aio import AsyncEngine
from bloop.drivers.transport import ThreadTransport


class Note(BaseModel):
    class Meta:
        table_name = "notes"
        stream = {"include": ["new", "old"]}

    id = Column(String, hash_key=True)
    n = Column(Integer, range_key=True)
    text = Column(String)


def test_the_async_paths_on_threads_in_process():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        engine = AsyncEngine(client, table_name_template="threads-{table_name}")
        assert isinstance(engine.transport, ThreadTransport)

        async def body():
            await engine.bind(Note)
            stream = engine.stream(Note, "trim_horizon")
            await engine.save([Note(id="a", n=i, text=f"t{i}") for i in range(30)])
            query = engine.query(Note).key(Note.id == "a")
            assert [x.n async for x in query.page_size(7)] == list(range(30))
            assert [len(page) async for page in query.page_size(7).pages()][:5] == [7, 7, 7, 7, 2]
            iterator = query.page_size(4).__aiter__()
            head = [(await iterator.__anext__()).n for _ in range(5)]
            rest = [x.n async for x in query.start_from(iterator.token)]
            assert head + rest == list(range(30))
            first = await query.page(12)
            second = await query.page(100, first.token)
            assert [x.n for x in first.items + second.items] == list(range(30)) and second.token is None
            parts = await asyncio.gather(*(s.all() for s in engine.scan(Note).segments(3)))
            assert sorted(x.n for part in parts for x in part) == list(range(30))
            async with engine.transaction() as tx:
                tx.save(Note(id="b", n=1, text="tx"))
                tx.delete(Note(id="a", n=0))
            with pytest.raises(TransactionCanceled):
                async with engine.transaction() as tx:
                    tx.save(Note(id="b", n=1, text="again"), condition=Note.text.is_(None))
            assert await engine.query(Note).key(Note.id == "b").count() == 1
            seen = [(r.event_name, r.key.id, r.key.n) async for r in stream]
            assert ("REMOVE", "a", 0) in seen and ("INSERT", "b", 1) in seen
            await engine.close()

        asyncio.run(body())
        # another event loop after close: a new pool
        assert asyncio.run(engine.query(Note).key(Note.id == "b").count()) == 1
        assert engine.session._pool is not None
        asyncio.run(engine.close())

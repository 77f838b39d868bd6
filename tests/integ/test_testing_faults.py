"""bloop.testing.Faults on every backend: in-process on moto, over real HTTP on the servers
(where a lost answer's request is sent by the fault itself, then its answer dropped).

One table per backend and flavour: the sync engine and the async engine on threads share
the boto3 client the faults are attached to; the async flavour attaches them to its
aiobotocore client (on the moto server).
"""
import asyncio

import pytest

from bloop import BaseModel, Column, Integer, OutcomeUnknown, String, Throttled
from bloop.aio import AsyncEngine
from bloop.testing import Faults


class Counter(BaseModel):
    id = Column(String, hash_key=True)
    n = Column(Integer)


@pytest.mark.engines("sync", "async", async_backends=("moto_server",))
def test_faults(engines, make_engine, flavour, prefix):
    client = engines.client
    faults = Faults().attach(client)
    engine = make_engine()
    engine.bind(Counter)

    faults.throttle(times=1, operations=["update_item"])
    with pytest.raises(Throttled):
        engine.save(Counter(id="t", n=1))
    assert engine.scan(Counter).count() == 0 and faults.stats["throttled"] == 1  # nothing applied

    faults.unprocessed(times=1, share=0.5)
    engine.save([Counter(id=f"c{i}", n=i) for i in range(6)])
    faults.unprocessed(times=1, share=1.0, operations=["BatchGetItem"])
    loaded = [Counter(id=f"c{i}") for i in range(6)]
    engine.load(loaded)
    assert [c.n for c in loaded] == list(range(6)) and faults.stats["unprocessed"] == 3 + 6

    faults.lose_answers(times=1)
    engine.save(Counter(id="lost", n=1))  # applied, answer lost, re-sent by botocore
    faults.lose_answers(times=1)
    with pytest.raises(OutcomeUnknown):
        engine.save(Counter(id="lost", n=2), sync="old")  # a re-send would return the wrong old values
    found = Counter(id="lost")
    engine.load(found)
    assert found.n == 2 and faults.stats["lost"] == 2

    if flavour == "sync":
        on_threads(client, prefix, faults)
    faults.detach()
    faults.throttle(times=None)
    engine.save(Counter(id="free", n=1))  # detached: nothing injected


def on_threads(client, prefix, faults):
    async def on_the_async_engine():
        made = AsyncEngine(client, table_name_template=prefix + "{table_name}")
        await made.bind(Counter)
        faults.unprocessed(times=2, share=0.5)
        await made.save([Counter(id=f"a{i}", n=i) for i in range(4)])
        assert await made.scan(Counter).filter(Counter.id.begins_with("a")).count() == 4
        await made.close()

    asyncio.run(on_the_async_engine())
    assert faults.stats["unprocessed"] == 9 + 2 + 1

"""What only the async engine has: its own client's lifetime, ``async for``, concurrency.

The engine-level scenarios run on both engines from test_engine.py, test_searches.py
and test_batches.py (see the ``engines`` marker in conftest.py); these tests are
written with ``async``/``await`` and run on the moto server and dynalite (moto's
in-process mock does not intercept aiobotocore).
"""
import asyncio
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bloop import (
    BaseModel, Column, fastpath, ConstraintViolation, InvalidSearch, InvalidStream, ObjectsNotFound, String,
    TransactionCanceled,
)
from bloop.aio import AsyncEngine

from .models import Everything, Post, User, everything

pytestmark = [pytest.mark.engines("async"), pytest.mark.usefixtures("flavour")]


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_service_on_the_async_engine(backend, prefix):
    """The life of a web service: the engine is made at import time (no event loop yet),
    makes its client on first use, serves concurrent requests, and closes its client at
    shutdown.  A second event loop can use it again after ``close``."""
    engine = AsyncEngine(endpoint_url=backend["endpoint_url"], region_name="us-east-1",
                         table_name_template=prefix + "{table_name}")
    assert engine.session.dynamodb is None

    async def handle(i):  # one request of the service
        post = Post(forum="news", number=i, title=f"t{i}", author=f"a{i % 3}")
        await engine.save(post)
        again = Post(forum="news", number=i)
        await engine.load(again)
        return again.title

    async def service():
        async with engine:
            await engine.bind(Post)
            titles = await asyncio.gather(*(handle(i) for i in range(20)))
            assert titles == [f"t{i}" for i in range(20)]
            assert fastpath.installed(engine.session.dynamodb)  # as on the sync engine's own client
        assert engine.session.dynamodb is None  # closed by async with

    run(service())

    async def searches():
        query = engine.query(Post).key(Post.forum == "news")
        assert [p.number async for p in query] == list(range(20))
        assert [p.number async for p in query.forward(False).limit(3)] == [19, 18, 17]
        assert await query.count() == 20
        assert (await query.first()).number == 0
        assert (await query.key(Post.number == 7).one()).title == "t7"
        with pytest.raises(InvalidSearch):
            await query.one()
        assert await query.key(Post.number == 100).first() is None
        pages = [len(page) async for page in query.page_size(6).pages()]
        assert pages[:4] == [6, 6, 6, 2]
        by_author = await engine.query(Post.by_author).key(Post.author == "a1").all()
        assert sorted(p.number for p in by_author) == [1, 4, 7, 10, 13, 16, 19]
        # resume: the async iterator has the same token as the sync one
        iterator = query.page_size(4).__aiter__()
        head = [(await iterator.__anext__()).number for _ in range(9)]
        rest = [p.number async for p in query.start_from(iterator.token)]
        assert head + rest == list(range(20))
        with pytest.raises(TypeError, match="async for"):
            list(query)
        missing = [Post(forum="news", number=1), Post(forum="news", number=99)]
        with pytest.raises(ObjectsNotFound) as excinfo:
            await engine.load(missing)
        assert excinfo.value.missing == [missing[1]]
        with pytest.raises(ConstraintViolation) as excinfo:
            await engine.delete(missing[0], condition=Post.title == "not this")
        assert excinfo.value.obj is missing[0] and excinfo.value.__cause__ is not None
        await engine.delete(missing[0], Post.title == "t1")
        assert await engine.query(Post).key(Post.forum == "news").count() == 19
        await engine.close()

    run(searches())  # a new event loop: the engine makes a new client


@pytest.mark.engines("async", async_backends=("moto_server",))
def test_parallel_scan_segments_gathered_on_one_loop(engines):
    async def body():
        engine = engines.make().engine
        await engine.bind(Post)
        await engine.save([Post(forum=f"f{i % 3}", number=i) for i in range(90)])
        segments = engine.scan(Post).page_size(7).segments(4)
        parts = await asyncio.gather(*(segment.all() for segment in segments))
        keys = [(p.forum, p.number) for part in parts for p in part]
        assert len(keys) == len(set(keys)) == 90
        revived = [engine.scan(pickle.loads(pickle.dumps(segment))) for segment in segments]
        assert sum(await asyncio.gather(*(segment.count() for segment in revived))) == 90

    engines.loop.run_until_complete(body())


@pytest.mark.engines("async", async_backends=("moto_server",))
def test_transactions_with_async_with(engines):
    async def body():
        engine = engines.make().engine
        await engine.bind(User)
        ann, bob = User(id="ann", age=1), User(id="bob", age=2)
        async with engine.transaction() as tx:
            tx.save(ann, bob)
            async with engine.transaction() as inner:  # joins the outer one
                inner.save(User(id="cat", age=3))
        found = [User(id="ann"), User(id="bob"), User(id="cat")]
        async with engine.transaction(mode="r") as tx:
            tx.load(*found)
        assert [u.age for u in found] == [1, 2, 3]
        with pytest.raises(TransactionCanceled) as excinfo:
            async with engine.transaction() as tx:
                tx.delete(ann)
                tx.check(bob, User.age == 100)
        assert excinfo.value.failed == [bob]
        await engine.load(User(id="ann"))  # not deleted

    engines.loop.run_until_complete(body())


@pytest.mark.engines("async", async_backends=("moto_server",))
def test_the_fast_path_on_aiobotocore(backend, prefix, monkeypatch):
    """The engine's own client reads responses and, without parameter validation, encodes
    requests on bloop.fastpath: every type (binary values included) round-trips."""
    monkeypatch.delenv("BLOOP_VALIDATE_REQUESTS", raising=False)

    async def body():
        async with AsyncEngine(endpoint_url=backend["endpoint_url"], region_name="us-east-1",
                               table_name_template=prefix + "{table_name}") as engine:
            await engine.bind(Everything)
            objs = [everything(integer=i) for i in range(30)]
            await engine.save(objs)
            await engine.save(objs[0])
            fresh = [Everything(id=o.id) for o in objs]
            await engine.load(fresh)
            scanned = {o.id: o for o in await engine.scan(Everything).all()}
            for original in objs:
                for loaded in (fresh[original.integer], scanned[original.id]):
                    for column in Everything.Meta.columns:
                        assert getattr(loaded, column.name) == getattr(original, column.name), column.name

    run(body())


class Note(BaseModel):
    class Meta:
        table_name = "notes"
        stream = {"include": ["new", "old"]}

    id = Column(String, hash_key=True)
    text = Column(String)


@pytest.mark.engines("async", async_backends=("moto_server",))  # dynalite has no streams
def test_streams_with_async_for(backend, prefix):
    async def body():
        async with AsyncEngine(endpoint_url=backend["endpoint_url"], region_name="us-east-1",
                               table_name_template=prefix + "{table_name}") as engine:
            await engine.bind(Note)
            stream = engine.stream(Note, "trim_horizon")
            with pytest.raises(InvalidStream):
                stream.token  # not positioned yet
            await engine.save(Note(id="a", text="one"))
            note = Note(id="a", text="two")
            await engine.save(note)
            # moto also emits a key-only INSERT when UpdateItem creates an item: skip those
            seen = [(r.event_name, r.new.text, r.old and r.old.text) async for r in stream
                    if r.new is not None and r.new.text is not None]
            assert seen[-2:] == [("INSERT", "one", None), ("MODIFY", "two", "one")]
            token = stream.token
            await engine.delete(note)
            later = engine.stream(Note, token)
            await later.heartbeat()  # bloop 3's keep-alive: goes to the position, keeps its place
            assert [(r.event_name, r.old.text) async for r in later] == [("REMOVE", "two")]
            with pytest.raises(InvalidStream):
                engine.stream(Post, "latest")  # no stream declared

    run(body())


def test_never_blocks_the_event_loop(proxy, prefix):
    """Requests to a slow endpoint overlap in time, and the event loop keeps running
    while they wait; the chunks of one batch are bounded by ``max_concurrency``."""
    delay = 0.4

    async def body():
        async with AsyncEngine(endpoint_url=proxy.url, region_name="us-east-1", max_concurrency=2,
                               table_name_template=prefix + "{table_name}") as engine:
            await engine.bind(User)
            await engine.save([User(id="a", age=1), User(id="b", age=2)])
            proxy.faults.delay = delay
            ticks = 0

            async def ticker():
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            ticking = asyncio.ensure_future(ticker())
            started = time.monotonic()
            a, b = User(id="a"), User(id="b")
            await asyncio.gather(engine.load(a), engine.load(b))
            elapsed = time.monotonic() - started
            ticking.cancel()
            assert (a.age, b.age) == (1, 2)
            assert delay <= elapsed < 1.9 * delay, "the two requests did not overlap"
            assert ticks >= 10, "the event loop was blocked while the requests waited"

            # one batch of 5 chunks: at most 2 in flight at once, and they do overlap
            in_flight, peak = 0, 0
            call = engine.session.call

            async def counting(operation, request):
                nonlocal in_flight, peak
                in_flight += 1
                peak = max(peak, in_flight)
                try:
                    return await call(operation, request)
                finally:
                    in_flight -= 1

            engine.session.call = counting
            proxy.faults.delay = 0.05
            await engine.save([User(id=f"u{i}", age=i) for i in range(125)])
            assert peak == 2
            proxy.faults.delay = 0.0
            assert await engine.scan(User).count() == 127

    run(body())


@pytest.mark.engines("async", async_backends=("moto_server",))
def test_the_async_quickstart_runs(backend, needs_extra):
    needs_extra("aio")  # a subprocess: its ImportError is not this test's
    example = Path(__file__).resolve().parents[2] / "examples" / "async_quickstart.py"
    env = dict(os.environ, BLOOP_ENDPOINT_URL=backend["endpoint_url"])
    done = subprocess.run([sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "after the transaction: ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']" in done.stdout

"""Responses, timeouts and the collector (issue 11, sections 2, 5 and 8).

A 200 whose body is not DynamoDB's (cut short, garbled, a proxy's HTML page, valid JSON
without what the operation always answers) is retried like a 5xx and, if it persists,
raised as :class:`~bloop.exceptions.BadResponse`: never read as an empty page or an empty
batch.  The fault proxy (tests/faults.py) breaks the answers, once (the retry then gets
DynamoDB's answer) or persisting; each scenario runs with the fast path on and off, on the
sync and the async engine.
"""
import asyncio
import gc
import time

import pytest

from bloop import BadResponse, BatchIncomplete, Engine, ServiceError, fastpath, signals
from bloop.aio import AsyncEngine

from ..blocking import Blocking, Engines
from .models import Post

pytestmark = pytest.mark.engines("sync", "async")

KINDS = ("truncated", "garbled", "html", "missing")


@pytest.fixture(params=["fast", "botocore"])
def parsing(request):
    """Who reads the answers: bloop's fast path or botocore's own parser."""
    return request.param


@pytest.fixture
def make_engine(proxy, prefix, flavour, parsing):
    """``make_engine(**options)``: an engine through the proxy, its client allowing 2 attempts."""
    made = []

    def make(**kwargs):
        engines = Engines(flavour, prefix, endpoint_url=proxy.url,
                          retries={"mode": "standard", "total_max_attempts": 2}, fast_path=parsing == "fast")
        if flavour == "sync" and parsing == "fast":
            fastpath.install(engines.client)
        made.append(engines)
        return engines.make(**kwargs)

    yield make
    for engines in made:
        engines.close()


def posts(n, forum="f"):
    return [Post(forum=forum, number=i, title=f"title {i}") for i in range(n)]


def stored(engine, forum="f"):
    return sorted(p.number for p in engine.query(Post).key(Post.forum == forum))


@pytest.mark.parametrize("kind", KINDS)
def test_a_query_page_that_is_not_dynamodbs_is_retried_then_raised(proxy, make_engine, kind):
    engine = make_engine()
    engine.bind(Post)
    engine.save(posts(125))
    query = engine.query(Post).key(Post.forum == "f").page_size(50)

    proxy.faults.body_faults(kind, ["Query"], after=1, times=1)  # the second page, once
    assert [p.number for p in query] == list(range(125))
    assert proxy.stats["corrupted"] == 1

    proxy.faults.body_faults(kind, ["Query"], after=1)  # the second page on, persisting
    seen = []
    with pytest.raises(BadResponse) as excinfo:
        for post in query:
            seen.append(post.number)
    assert seen == list(range(50))
    error = excinfo.value
    assert isinstance(error, ServiceError) and error.operation == "Query" and "Query" in str(error)
    assert proxy.stats["corrupted"] == 3  # one attempt and one retry

    proxy.faults.body_faults(kind, ["Query"], times=1)
    assert query.count() == 125


@pytest.mark.parametrize("kind", KINDS)
def test_a_load_never_reports_existing_items_missing(proxy, make_engine, kind):
    engine = make_engine()
    engine.bind(Post)
    engine.save(posts(150))  # loaded in two BatchGetItem chunks

    proxy.faults.body_faults(kind, ["BatchGetItem"], times=1)
    fresh = [Post(forum="f", number=i) for i in range(150)]
    engine.load(fresh)
    assert [p.title for p in fresh] == [f"title {i}" for i in range(150)]

    proxy.faults.body_faults(kind, ["BatchGetItem"], after=1)  # one chunk is answered, the other never
    fresh = [Post(forum="f", number=i) for i in range(150)]
    with pytest.raises(BatchIncomplete) as excinfo:  # never ObjectsNotFound
        engine.load(fresh)
    assert isinstance(excinfo.value.__cause__, BadResponse)
    not_read = {p.number for p in excinfo.value.unprocessed}
    assert len(not_read) in (50, 100)
    assert all(p.title == f"title {p.number}" for p in fresh if p.number not in not_read)


@pytest.mark.parametrize("kind", ["html", "missing"])
def test_a_batch_delete_never_reports_done_what_was_not(proxy, make_engine, kind):
    engine = make_engine()
    engine.bind(Post)
    engine.save(posts(60))
    deleted = []
    signals.object_deleted.connect(lambda engine, obj, **_: deleted.append(obj.number), weak=False)
    try:
        # "html": the proxy answers in DynamoDB's place and forwards nothing; "missing": the
        # answer lacks UnprocessedItems while the proxy withholds some of the writes
        proxy.faults.unprocessed_fraction = 0.4
        proxy.faults.body_faults(kind, ["BatchWriteItem"], times=1)
        engine.delete(posts(30))
        assert stored(engine) == list(range(30, 60)) and sorted(deleted) == list(range(30))

        deleted.clear()
        proxy.faults.body_faults(kind, ["BatchWriteItem"], after=1)
        objs = posts(60)[30:]
        with pytest.raises(BatchIncomplete) as excinfo:
            engine.delete(objs)
        assert isinstance(excinfo.value.__cause__, BadResponse)
        not_confirmed = {p.number for p in excinfo.value.unprocessed}
        proxy.faults.body_faults(None)
        proxy.faults.unprocessed_fraction = 0.0
        left = set(stored(engine))
        assert not_confirmed and left <= not_confirmed  # whatever is left was reported
        assert not_confirmed.isdisjoint(deleted)  # and nothing reported was not done
        assert set(deleted) | not_confirmed == set(range(30, 60))
    finally:
        signals.object_deleted.receivers.clear()


def test_a_write_whose_answer_is_garbled_says_it_may_have_been_applied(proxy, make_engine):
    engine = make_engine()
    engine.bind(Post)
    post = Post(forum="f", number=1, title="first")
    proxy.faults.body_faults("garbled", ["UpdateItem"])
    with pytest.raises(BadResponse) as excinfo:
        engine.save(post)
    assert excinfo.value.operation == "UpdateItem"
    assert "may or may not have been applied" in str(excinfo.value)


# ---------------------------------------------------------------------------------------
# section 5: timeouts and attempts are engine options

def test_a_stalled_server_is_cut_at_the_read_timeout(proxy, prefix, flavour):
    options = dict(endpoint_url=proxy.url, region_name="us-east-1", table_name_template=prefix + "{table_name}",
                   connect_timeout=2, read_timeout=0.5, max_attempts=1)
    loop = asyncio.new_event_loop()
    engine = Engine(**options) if flavour == "sync" else Blocking(AsyncEngine(**options), loop)
    try:
        engine.bind(Post)
        proxy.faults.delay = 1.5
        started = time.monotonic()
        with pytest.raises(ServiceError) as excinfo:
            engine.query(Post).key(Post.forum == "f").all()
        assert time.monotonic() - started < 1.2
        time.sleep(max(0.0, started + 1.7 - time.monotonic()))  # the proxy is done with the stalled request
    finally:
        proxy.faults.delay = 0.0
        if flavour == "async":
            loop.run_until_complete(engine.close())
        loop.close()
    error = excinfo.value
    assert error.operation == "Query" and "Query" in str(error) and "timeout" in str(error).lower()
    assert type(error.__cause__).__name__ == "ReadTimeoutError"


# ---------------------------------------------------------------------------------------
# section 8: the collector runs while requests wait on the network

def test_the_collector_is_enabled_during_every_request(make_engine_on_backend, engine_client):
    # one request at a time: what a request sees is then only what bloop did around it
    engine = make_engine_on_backend(max_concurrency=1)
    states = []
    engine_client.meta.events.register("before-send.dynamodb", lambda **_: states.append(gc.isenabled()))
    assert gc.isenabled()
    engine.bind(Post)
    engine.save(posts(60))
    fresh = posts(60)
    engine.load(fresh)
    assert [p.title for p in fresh] == [f"title {i}" for i in range(60)]
    assert len(engine.query(Post).key(Post.forum == "f").page_size(25).all()) == 60
    assert engine.scan(Post).count() == 60
    engine.save(fresh[0], sync="new")
    engine.delete(fresh)
    assert len(states) >= 12 and all(states), states
    assert gc.isenabled()


@pytest.fixture
def make_engine_on_backend(engines):
    """Engines on the backend under test (this module's make_engine goes through the proxy)."""
    return engines.make

"""Nothing lost: partial batches, throttling and deadlines through a fault-injecting proxy.

The proxy (tests/faults.py) sits on 127.0.0.1 in front of the moto server and answers
batches with UnprocessedItems/UnprocessedKeys and throttles, as DynamoDB does under
load and no emulator does.  Each scenario runs with the sync and the async engine.
"""
import logging

import pytest

from bloop import BatchIncomplete, Throttled

from .models import Post
from ..blocking import Engines

pytestmark = pytest.mark.engines("sync", "async")


@pytest.fixture
def make_engine(proxy, prefix, flavour):
    """``make_engine(attempts=4, **options)``: an engine of the flavour under test, through the proxy."""
    made = []

    def make(attempts=4, **kwargs):
        engines = Engines(flavour, prefix, endpoint_url=proxy.url,
                          retries={"mode": "standard", "max_attempts": attempts})
        made.append(engines)
        return engines.make(**kwargs)

    yield make
    for engines in made:
        engines.close()


def posts(n, forum="f"):
    return [Post(forum=forum, number=i, title=f"title {i}", tags={str(i)}) for i in range(n)]


# ~9 s per engine: the sync engine only; the async engine's re-sending is covered below
@pytest.mark.engines("sync")
def test_thousands_saved_and_loaded_through_partial_batches(proxy, make_engine):
    engine = make_engine()
    engine.bind(Post)
    proxy.faults.unprocessed_fraction = 0.4
    proxy.faults.throttle_every = 29
    objs = posts(2000)
    engine.save(objs)
    assert proxy.stats["withheld"] > 1000 and proxy.stats["throttled"] > 3
    fresh = [Post(forum="f", number=i) for i in range(2000)]
    engine.load(fresh)
    assert [p.title for p in fresh] == [f"title {i}" for i in range(2000)]
    proxy.faults.unprocessed_fraction = 0.0
    proxy.faults.throttle_every = 0
    # nothing lost, nothing duplicated
    assert sorted(p.number for p in engine.query(Post).key(Post.forum == "f")) == list(range(2000))
    proxy.faults.unprocessed_fraction = 0.5
    engine.delete(fresh[:1000])
    proxy.faults.unprocessed_fraction = 0.0
    assert engine.query(Post).key(Post.forum == "f").count() == 1000


def test_never_draining_batch_fails_within_deadline_naming_leftovers(proxy, make_engine):
    clock_now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock_now[0] += seconds

    engine = make_engine(batch_deadline=5.0, clock=lambda: clock_now[0], sleep=sleep)
    engine.bind(Post)
    objs = posts(60)
    proxy.faults.unprocessed_fraction = 0.5
    engine.save(objs[:30])  # drains
    proxy.faults.never_drain = True
    slept.clear()  # the deadline below is the second save's own
    with pytest.raises(BatchIncomplete) as excinfo:
        engine.save(objs[30:])
    assert excinfo.value.unprocessed == objs[30:]
    assert sum(slept) <= 5.0 and len(slept) >= 3
    # growing, jittered delays
    assert slept[0] < slept[-1]
    with pytest.raises(BatchIncomplete) as excinfo:
        engine.load([Post(forum="f", number=i) for i in range(60)])
    assert [p.number for p in excinfo.value.unprocessed] == list(range(60))
    proxy.faults.never_drain = False
    proxy.faults.unprocessed_fraction = 0.0
    fresh = [Post(forum="f", number=i) for i in range(30)]
    engine.load(fresh)
    assert all(p.title for p in fresh)


def test_partial_failure_names_exactly_the_failed_chunk(proxy, make_engine):
    engine = make_engine(attempts=1)
    engine.bind(Post)
    proxy.faults.throttle_every = 2  # every second request fails; botocore may not retry
    objs = posts(50)
    with pytest.raises(BatchIncomplete) as excinfo:
        engine.save(objs)
    error = excinfo.value
    assert isinstance(error.__cause__, Throttled)
    failed = {p.number for p in error.unprocessed}
    proxy.faults.throttle_every = 0
    stored = {p.number for p in engine.query(Post).key(Post.forum == "f")}
    assert failed and stored and failed | stored == set(range(50)) and not failed & stored


def test_throttled_after_botocore_gives_up(proxy, make_engine):
    engine = make_engine(attempts=2)
    engine.bind(Post)
    proxy.faults.throttle_every = 1
    with pytest.raises(Throttled) as excinfo:
        engine.save(Post(forum="f", number=1))
    assert excinfo.value.code == "ProvisionedThroughputExceededException"
    assert excinfo.value.__cause__ is not None


def test_debug_logs_carry_no_secrets(proxy, make_engine, caplog, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLESECRETID")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIsecretKEYexample")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLETOKEN")
    caplog.set_level(logging.DEBUG, logger="bloop")
    engine = make_engine()
    engine.bind(Post)
    proxy.faults.unprocessed_fraction = 0.5
    engine.save(posts(40))
    engine.load(posts(40))
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "batch_write_item" in text  # bloop does log what it sends at DEBUG
    for secret in ("AKIDEXAMPLESECRETID", "wJalrXUtnFEMIsecretKEYexample", "FwoGZXIvYXdzEXAMPLETOKEN",
                   "Signature=", "Authorization"):
        assert secret not in text


def test_concurrent_chunks_keep_order_and_lose_nothing(proxy, make_engine):
    engine = make_engine(max_concurrency=4)
    engine.bind(Post)
    proxy.faults.delay = 0.05
    proxy.faults.unprocessed_fraction = 0.3
    objs = posts(400)
    engine.save(objs)
    fresh = [Post(forum="f", number=i) for i in range(400)]
    engine.load(fresh)
    assert [p.title for p in fresh] == [f"title {i}" for i in range(400)]

"""Errors say exactly what was and was not done, and batch_deadline bounds the whole call.

The missing-table scenarios run on every backend; the others go through the
fault-injecting proxy (tests/faults.py) in front of the moto server, which withholds
chosen batch entries, runs code while a request is in flight, and counts requests (the
injected clock of the deadline tests).  Each runs with the sync and the async engine.
"""
import threading

import pytest

from bloop import BatchIncomplete, TableNotFound

from .models import Post
from ..blocking import Engines

pytestmark = pytest.mark.engines("sync", "async")


def posts(n, forum="f"):
    return [Post(forum=forum, number=i, title=f"title {i}") for i in range(n)]


# ---------------------------------------------------------------------------------------
# every backend: a missing table names itself and says to bind

def test_a_missing_table_names_the_table_the_object_and_bind(engine, prefix):
    post = Post(forum="f", number=1, title="t")
    with pytest.raises(TableNotFound) as excinfo:
        engine.save(post)
    error = excinfo.value
    assert error.obj is post and error.table == f"{prefix}posts"
    message = str(error)
    assert f"on table '{prefix}posts' for Post(forum='f', number=1)" in message
    assert "engine.bind(Post)" in message


def test_a_batch_on_a_missing_table_names_the_table(engine, prefix):
    with pytest.raises(BatchIncomplete) as excinfo:
        engine.save(posts(3))
    assert isinstance(excinfo.value.__cause__, TableNotFound)
    assert f"BatchWriteItem on table '{prefix}posts'" in str(excinfo.value)
    assert len(excinfo.value.unprocessed) == 3 and excinfo.value.unsent == []


# ---------------------------------------------------------------------------------------
# through the fault proxy

@pytest.fixture
def make_proxied(proxy, prefix, flavour):
    """``make_proxied(**options)``: an engine of the flavour under test, through the proxy."""
    made = []

    def make(**kwargs):
        engines = Engines(flavour, prefix, endpoint_url=proxy.url)
        made.append(engines)
        return engines.make(**kwargs)

    yield make
    for engines in made:
        engines.close()


class FakeTime:
    """An injected clock and sleep: the clock moves only when the engine sleeps."""

    def __init__(self):
        self.now = 0.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_an_incomplete_load_names_missing_and_unprocessed(proxy, make_proxied):
    time = FakeTime()
    engine = make_proxied(batch_deadline=2.0, clock=time.clock, sleep=time.sleep)
    engine.bind(Post)
    engine.save(posts(30))
    proxy.faults.stuck = lambda key: key.get("number") in ({"N": "7"}, {"N": "45"})
    objs = [Post(forum="f", number=i) for i in range(60)]
    with pytest.raises(BatchIncomplete) as excinfo:
        engine.load(objs)
    error = excinfo.value
    assert error.unprocessed == [objs[7], objs[45]]
    assert error.missing == [o for o in objs[30:] if o.number != 45]
    assert len(error.done) == 29 and all(o.title for o in error.done)
    assert "29 were not found" in str(error) and "29 were read" in str(error)


def _request_clock(proxy):
    """An injected clock: one second per request the proxy has received."""
    return lambda: float(proxy.stats["requests"])


def test_no_batch_write_starts_after_the_deadline(proxy, make_proxied):
    engine = make_proxied(max_concurrency=4, batch_deadline=8.5, clock=_request_clock(proxy))
    engine.bind(Post)
    proxy.faults.delay = 0.05
    objs = posts(400)  # 16 requests of 25, four in flight at a time
    before = proxy.stats["requests"]
    with pytest.raises(BatchIncomplete) as excinfo:
        engine.save(objs)
    # a request starts only while the clock (the requests the proxy has seen) is at most
    # 8.5 past the start: nine, and at most three more already past their check while
    # the ninth was on its way
    sent = proxy.stats["requests"] - before
    assert 9 <= sent <= 12
    error = excinfo.value
    assert len(error.unsent) == 400 - 25 * sent and error.unprocessed == error.unsent
    assert sorted(o.number for o in error.done + error.unsent) == list(range(400))
    assert f"{400 - 25 * sent} were never sent" in str(error) and f"{25 * sent} were written" in str(error)
    proxy.faults.delay = 0.0
    stored = sorted(p.number for p in engine.query(Post).key(Post.forum == "f"))
    assert stored == sorted(o.number for o in error.done)


def test_no_batch_read_starts_after_the_deadline(proxy, make_proxied):
    setup = make_proxied()
    setup.bind(Post)
    setup.save(posts(400))
    engine = make_proxied(max_concurrency=1, batch_deadline=2.5, clock=_request_clock(proxy))
    engine.bind(Post)
    proxy.faults.delay = 0.05
    objs = [Post(forum="f", number=i) for i in range(400)]  # 4 requests of 100, one at a time
    before = proxy.stats["requests"]
    with pytest.raises(BatchIncomplete) as excinfo:
        engine.load(objs)
    assert proxy.stats["requests"] - before == 3
    error = excinfo.value
    assert error.unsent == objs[300:] and error.missing == []
    assert all(o.title for o in objs[:300]) and not any(o.title for o in objs[300:])


# ---------------------------------------------------------------------------------------
# a value assigned while its save is in flight

def assign_during(proxy, operation, assign):
    """Run ``assign`` in the proxy's thread when ``operation`` arrives (the request in flight)."""
    done = threading.Event()

    def hook(name):
        if name == operation and not done.is_set():
            assign()
            done.set()

    proxy.faults.on_request = hook
    return done


def stored(engine, number):
    fresh = Post(forum="f", number=number)
    engine.load(fresh)
    return fresh


def test_a_value_assigned_while_a_save_is_in_flight_is_saved_next(proxy, make_proxied):
    engine = make_proxied()
    engine.bind(Post)
    post = Post(forum="f", number=1, title="first")
    engine.save(post)
    post.title = "sent"
    assigned = assign_during(proxy, "UpdateItem", lambda: setattr(post, "title", "late"))
    engine.save(post)
    assert assigned.is_set()
    proxy.faults.on_request = None
    assert stored(engine, 1).title == "sent" and post.title == "late"
    post.views = 5  # another change: the next save sends its changes only
    engine.save(post)
    assert (stored(engine, 1).title, stored(engine, 1).views) == ("late", 5)


def test_a_value_assigned_while_a_batch_save_is_in_flight_is_saved_next(proxy, make_proxied):
    engine = make_proxied()
    engine.bind(Post)
    objs = posts(3)
    assigned = assign_during(proxy, "BatchWriteItem", lambda: setattr(objs[1], "title", "late"))
    engine.save(objs)
    assert assigned.is_set()
    proxy.faults.on_request = None
    assert stored(engine, 1).title == "title 1"
    objs[1].views = 5
    engine.save(objs[1])
    assert (stored(engine, 1).title, stored(engine, 1).views) == ("late", 5)

"""Searches that resume and scale out: tokens and parallel-scan segments, with each engine."""
import json
import pickle
import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from bloop import InvalidSearch

from .models import Post

pytestmark = pytest.mark.engines("sync", "async", async_backends=("moto_server",))


@pytest.fixture
def posts(engine):
    engine.bind(Post)
    engine.save([Post(forum=f"f{i % 3}", number=i, author=f"a{i % 4}", title=f"t{i}", views=i)
                 for i in range(90)])
    return engine


def searches(engine):
    base = engine.query(Post).key(Post.forum == "f1")
    yield "query", base
    yield "query filtered", base.filter(Post.author.in_(["a1", "a3"]))
    yield "query limited", base.limit(17)
    yield "query paged", base.page_size(4).filter(Post.author == "a1")
    yield "query index", engine.query(Post.by_author).key(Post.author == "a2").forward(False)
    yield "scan", engine.scan(Post).page_size(7)
    yield "scan filtered limited", engine.scan(Post).filter(Post.views >= 40).limit(25).page_size(9)


def keys(objs):
    return [(o.forum, o.number) for o in objs]


@pytest.mark.engines("sync", "async")  # the async engine on dynalite too
def test_resume_from_any_item(posts):
    rnd = random.Random(7)
    for name, search in searches(posts):
        expected = keys(search)
        assert expected, name
        for cut in sorted({0, len(expected)} | {rnd.randrange(len(expected) + 1) for _ in range(4)}):
            iterator = iter(search)
            head = [next(iterator) for _ in range(cut)]
            token = iterator.token
            assert json.loads(token)  # a JSON string
            rest = list(posts.query(search).start_from(token)) if search.mode == "query" \
                else list(posts.scan(search).start_from(token))
            assert keys(head) + keys(rest) == expected, (name, cut)
            # the token survives after the iterator is exhausted too
            if cut == len(expected):
                assert rest == []


def test_token_after_exhaustion_and_count(posts):
    search = posts.query(Post).key(Post.forum == "f0")
    iterator = iter(search)
    all_items = list(iterator)
    assert len(all_items) == 30
    assert search.start_from(iterator.token).all() == []
    assert search.start_from(iterator.token).count() == 0
    partial = iter(search)
    for _ in range(10):
        next(partial)
    assert search.start_from(partial.token).count() == 20


def test_bad_token_refused(posts):
    with pytest.raises(InvalidSearch):
        posts.scan(Post).start_from("not a token")
    with pytest.raises(InvalidSearch):
        posts.scan(Post).start_from(json.dumps({"v": 9}))


@pytest.mark.engines("sync")  # segments on threads; test_async_engine gathers them on one event loop
def test_segments_cover_the_table_exactly_once(posts):
    segments = posts.scan(Post).page_size(5).segments(4)
    assert len(segments) == 4
    with ThreadPoolExecutor(4) as pool:
        parts = list(pool.map(lambda segment: keys(segment), segments))
    union = [k for part in parts for k in part]
    assert sorted(union) == sorted(keys(posts.scan(Post)))
    assert len(union) == len(set(union)) == 90
    # filtered segments, and a segment's own resume token
    filtered = posts.scan(Post).filter(Post.author == "a0").segments(3)
    assert sum(len(s.all()) for s in filtered) == len(posts.scan(Post).filter(Post.author == "a0").all())
    with pytest.raises(InvalidSearch):
        posts.query(Post).key(Post.forum == "f0").segments(2)


def test_segments_pickle_and_rebind(posts, make_engine):
    segments = posts.scan(Post).segments(3)
    revived = [pickle.loads(pickle.dumps(segment)) for segment in segments]
    with pytest.raises(InvalidSearch):
        revived[0].all()  # no engine after unpickling
    other = make_engine()
    total = sum(len(other.scan(segment).all()) for segment in revived)
    assert total == 90
    token_search = posts.query(Post).key(Post.forum == "f2")
    iterator = iter(token_search)
    next(iterator)
    rest = pickle.loads(pickle.dumps(token_search.start_from(iterator.token)))
    assert len(other.query(rest).all()) == 29

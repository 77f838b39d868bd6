"""Searches that resume and scale out: tokens and parallel-scan segments, with each engine."""
import json
import pickle
import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from bloop import InvalidSearch

from .models import Post, User

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
        unlimited = keys(search.limit(None))
        assert expected, name
        for cut in sorted({0, len(expected)} | {rnd.randrange(len(expected) + 1) for _ in range(4)}):
            iterator = iter(search)
            head = [next(iterator) for _ in range(cut)]
            token = iterator.token
            assert json.loads(token)  # a JSON string
            rest = list(posts.query(search).start_from(token)) if search.mode == "query" \
                else list(posts.scan(search).start_from(token))
            if cut < len(expected):  # stopped early: exactly the rest (of the limit too)
                assert keys(head) + keys(rest) == expected, (name, cut)
            elif search._limit is None:  # the token survives after the iterator is exhausted too
                assert rest == []
            else:  # the limit was reached: the next page
                assert keys(head) + keys(rest) == unlimited[:2 * search._limit], (name, cut)


def pages_of(base, size, start_first):
    """Pages the way a web service does: each request makes a new search from the last token."""
    pages, token = [], None
    while True:
        search = base.limit(size)
        if token is not None:
            search = search.start_from(token) if start_first else base.start_from(token).limit(size)
        iterator = iter(search)
        pages.append(keys(iterator))
        token = iterator.token
        if len(pages[-1]) < size:
            return pages, token


@pytest.mark.engines("sync", "async")
def test_pages_of_25_continue_where_the_last_one_stopped(posts, requests):
    # PynamoDB users page so: Model.query(..., limit=25, last_evaluated_key=previous.last_evaluated_key)
    bases = [
        posts.scan(Post),
        posts.scan(Post).filter(Post.author.in_(["a1", "a2", "a3"])),
        posts.query(Post).key(Post.forum == "f1").forward(False),
        posts.query(Post.by_author).key(Post.author == "a2").filter(Post.views > 10),
        posts.scan(Post).page_size(7),
    ]
    for start_first in (False, True):
        for base in bases:
            expected = keys(base)
            pages, last = pages_of(base, 25, start_first)
            assert [k for page in pages for k in page] == expected, base
            assert [len(page) for page in pages] == [25] * (len(expected) // 25) + [len(expected) % 25]
            requests.clear()
            assert base.start_from(last).limit(25).all() == []  # the end: nothing is sent
            assert base.start_from(last).count() == 0
            assert requests.names() == []


@pytest.mark.engines("sync", "async")
def test_a_token_cannot_lift_a_limit(posts):
    base = posts.scan(Post).filter(Post.views >= 20)
    expected = keys(base)
    limited = base.limit(10)
    iterator = iter(limited)
    head = [next(iterator) for _ in range(4)]
    token = iterator.token
    assert keys(head) + keys(limited.start_from(token)) == expected[:10]  # the rest of the limit: 6
    assert keys(base.start_from(token)) == expected[4:10]  # the token keeps what was left
    assert keys(base.limit(3).start_from(token)) == expected[4:7]  # ... and the search's own limit holds
    assert keys(base.start_from(token).limit(3)) == expected[4:7]
    assert base.limit(3).start_from(token).count() == 3
    rest = iter(limited.start_from(token))
    assert len(keys(rest)) == 6
    assert keys(limited.start_from(rest.token)) == expected[10:20]  # its limit reached: the next page


@pytest.mark.engines("sync", "async")
def test_a_token_of_another_search_refused_before_sending(posts, requests):
    base = posts.query(Post).key(Post.forum == "f1")
    iterator = iter(base.limit(5))
    list(iterator)
    token = iterator.token
    others = [
        posts.query(Post).key(Post.forum == "f2"),
        base.filter(Post.author == "a1"),
        base.project("keys"),
        base.forward(False),
        posts.query(Post.by_views).key(Post.forum == "f1"),
        posts.scan(Post),
    ]
    requests.clear()
    for other in others:
        with pytest.raises(InvalidSearch, match="another search"):
            other.start_from(token).all()
        with pytest.raises(InvalidSearch, match="another search"):
            other.start_from(token).count()
    assert requests.names() == []
    # the same search, with another limit, page size or consistency, continues
    assert len(base.consistent.page_size(2).start_from(token).all()) == 25


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


@pytest.mark.engines("sync", "async")
def test_bad_token_refused(posts, requests):
    search = posts.query(Post).key(Post.forum == "f1")
    iterator = iter(search)
    next(iterator)
    good = json.loads(iterator.token)
    bad = [
        "not a token",
        json.dumps({"v": 9}),
        "[" * 100_000 + "]" * 100_000,
        json.dumps(dict(good, left=True)),
        json.dumps(dict(good, end=0)),
        json.dumps(dict(good, key={"forum": {"S": "f1"}, "number": {"N": True}})),
        json.dumps(dict(good, key={"forum": {"S": "f1"}, "number": {"B64": "not*base64"}})),
        json.dumps(dict(good, key={"forum": {"S": "f1"}, "number": {"S": "3"}})),
        json.dumps(dict(good, key={"forum": {"S": "f2"}, "number": {"N": "3"}})),
        json.dumps(dict(good, pad="x" * 100_000)),
    ]
    requests.clear()
    for token in bad:
        with pytest.raises(InvalidSearch):
            search.start_from(token).all()
    assert requests.names() == []
    assert len(search.start_from(json.dumps(good)).all()) == 29


@pytest.fixture
def users(engine):
    engine.bind(User)
    engine.save([User(id=f"u{i}", email=f"u{i}@example.com", name=["ann", "bob"][i % 2], age=20 + i)
                 for i in range(12)])
    return engine


@pytest.mark.engines("sync", "async")
def test_filter_on_a_column_a_gsi_does_not_project_refused(users, requests):
    # User.by_name projects age; User.by_email only keys.  DynamoDB filters the index's items:
    # a filter on email or name there would silently match nothing
    requests.clear()
    for search in [
        users.query(User.by_name).key(User.name == "ann").filter(User.email == "u0@example.com"),
        users.scan(User.by_name).filter(User.email.begins_with("u")),
        users.scan(User.by_email).filter(User.name == "ann"),
        users.scan(User.by_email).filter(User.age.is_(None)),
    ]:
        with pytest.raises(InvalidSearch) as excinfo:
            search.all()
        assert "not projected into the index" in str(excinfo.value)
        with pytest.raises(InvalidSearch):
            search.count()
    assert requests.names() == []
    # what the index holds can be filtered on
    found = users.scan(User.by_name).filter((User.age > 25) & User.name.begins_with("a")).all()
    assert sorted(u.id for u in found) == ["u10", "u6", "u8"]
    assert [u.id for u in users.scan(User.by_email).filter(User.email == "u3@example.com")] == ["u3"]


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


@pytest.mark.engines("sync", "async")
def test_exists_stops_at_the_first_match(posts, requests):
    requests.clear()
    assert posts.query(Post).key(Post.forum == "f1").exists() is True
    assert posts.scan(Post).exists() is True
    assert [(name, params["Select"], params["Limit"]) for name, params in requests.calls] == \
        [("Query", "COUNT", 1), ("Scan", "COUNT", 1)]  # one item read each, none returned
    requests.clear()
    assert posts.query(Post).key(Post.forum == "none").exists() is False
    assert posts.query(Post).key(Post.forum == "f1").filter(Post.author == "nobody").exists() is False
    assert len(requests.calls) == 2
    # f1 holds numbers 1, 4, 7, 10, ... (views the same): views == 10 is the fourth item, on the second page
    requests.clear()
    search = posts.query(Post).key(Post.forum == "f1").filter(Post.views == 10).page_size(2)
    assert search.exists() is True
    assert len(requests.calls) == 2 and search.count() == 1
    assert posts.query(Post.by_author).key(Post.author == "a2").exists() is True

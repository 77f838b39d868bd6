"""bloop.search: immutable queries and scans, validated and rendered into exact requests."""
import decimal
import json
import pickle

import pytest
from hypothesis import given, settings, strategies as st

from bloop import (
    BaseModel, Binary, Column, Condition, Engine, GlobalSecondaryIndex, Integer, LocalSecondaryIndex, Number, Set,
    String,
)
from bloop.conditions import size
from bloop.exceptions import InvalidSearch
from bloop.search import Prepared, Query, Scan, Search, decode_token
from bloop.tracking import snapshot
from tests.unit.fakes import fake_engine
from tests.unit.helpers import dynamodb_client, validate_request


class Post(BaseModel):
    class Meta:
        table_name = "posts"

    forum = Column(String, hash_key=True)
    created = Column(String, range_key=True)
    author = Column(String)
    title = Column(String, dynamo_name="t")
    views = Column(Integer)
    body = Column(String)
    tags = Column(Set(String))
    by_author = GlobalSecondaryIndex(projection=["title"], hash_key="author", range_key="views")
    all_by_author = GlobalSecondaryIndex(projection="all", hash_key="author", dynamo_name="author-all")
    by_views = LocalSecondaryIndex(projection="keys", range_key="views")


class Simple(BaseModel):
    id = Column(String, hash_key=True)
    n = Column(Integer)


def FakeEngine(pages=()):
    """An engine on the shared fake transport: pages are answered in order (each request
    checked against botocore's service model) and kept in ``engine.transport.requests``."""
    return fake_engine(pages)


ENGINE = FakeEngine()


def prepared(search):
    request = search.prepare().request
    validate_request(search.mode, request)
    return request


def query(*args, **kwargs):
    return Query(ENGINE, *args, **kwargs)


def scan(*args, **kwargs):
    return Scan(ENGINE, *args, **kwargs)


# ---------------------------------------------------------------------------------------
# immutability

def test_chained_calls_return_new_searches():
    base = query(Post)
    steps = [
        base.key(Post.forum == "f"),
        base.filter(Post.views > 1),
        base.project("keys"),
        base.project(Post.title),
        base.consistent,
        base.forward(False),
        base.limit(3),
        base.page_size(10),
    ]
    for step in steps:
        assert step is not base
        assert type(step) is Query
    assert base._key is None and base._filter is None and base._projection == "all"
    assert base._consistent is False and base._forward is True
    assert base._limit is None and base._page_size is None
    with pytest.raises(InvalidSearch):
        base.prepare()


def test_a_base_query_is_reusable():
    base = query(Post).key(Post.forum == "f")
    before = prepared(base)
    recent = base.key(Post.created > "2020")
    old = base.key(Post.created < "2000")
    assert prepared(recent)["KeyConditionExpression"] == "(#n0 = :v0 AND #n1 > :v1)"
    assert prepared(old)["ExpressionAttributeValues"][":v1"] == {"S": "2000"}
    # deriving and preparing other searches left the base as it was
    assert prepared(base) == before
    assert before["KeyConditionExpression"] == "#n0 = :v0"
    assert before["ExpressionAttributeNames"] == {"#n0": "forum"}
    assert before["ExpressionAttributeValues"] == {":v0": {"S": "f"}}


def test_keywords_and_chained_calls_are_the_same_thing():
    chained = (query(Post).key(Post.forum == "f").filter(Post.views > 1).project(Post.title).consistent
               .forward(False).limit(5).page_size(7))
    keywords = query(Post, key=Post.forum == "f", filter=Post.views > 1, projection=[Post.title],
                     consistent=True, forward=False, limit=5, page_size=7)
    assert prepared(chained) == prepared(keywords)


def test_filters_and_keys_accumulate_with_and():
    search = query(Post).key(Post.forum == "f").filter(Post.views > 1).filter(Post.body.is_not(None))
    assert prepared(search)["FilterExpression"] == "(#n1 > :v1 AND attribute_exists(#n2))"
    assert prepared(query(Post).key(Condition()).key(Post.forum == "f"))["KeyConditionExpression"] == "#n0 = :v0"


# ---------------------------------------------------------------------------------------
# exact requests

def test_query_request():
    search = query(Post).key((Post.forum == "f") & Post.created.begins_with("2020")).filter(Post.views >= 10)
    assert prepared(search) == {
        "TableName": "prefix-posts",
        "KeyConditionExpression": "(#n0 = :v0 AND begins_with(#n1, :v1))",
        "FilterExpression": "#n2 >= :v2",
        "ExpressionAttributeNames": {"#n0": "forum", "#n1": "created", "#n2": "views"},
        "ExpressionAttributeValues": {":v0": {"S": "f"}, ":v1": {"S": "2020"}, ":v2": {"N": "10"}},
        "Select": "ALL_ATTRIBUTES",
    }


def test_query_request_options():
    search = query(Post, key=Post.forum == "f").consistent.forward(False).page_size(25)
    assert prepared(search) == {
        "TableName": "prefix-posts",
        "ConsistentRead": True,
        "ScanIndexForward": False,
        "KeyConditionExpression": "#n0 = :v0",
        "ExpressionAttributeNames": {"#n0": "forum"},
        "ExpressionAttributeValues": {":v0": {"S": "f"}},
        "Select": "ALL_ATTRIBUTES",
        "Limit": 25,
    }


def test_limit_becomes_dynamodb_limit_only_without_a_filter():
    base = query(Post, key=Post.forum == "f")
    assert prepared(base.limit(3))["Limit"] == 3
    assert "Limit" not in prepared(base.limit(3).filter(Post.views > 1))
    assert prepared(base.limit(3).page_size(50))["Limit"] == 50


def test_query_on_a_gsi():
    search = query(Post.by_author).key((Post.author == "ann") & (Post.views > 5))
    assert prepared(search) == {
        "TableName": "prefix-posts",
        "IndexName": "by_author",
        "KeyConditionExpression": "(#n0 = :v0 AND #n1 > :v1)",
        "ProjectionExpression": "#n2, #n3, #n0, #n1, #n4",
        "ExpressionAttributeNames": {"#n0": "author", "#n1": "views", "#n2": "forum", "#n3": "created", "#n4": "t"},
        "ExpressionAttributeValues": {":v0": {"S": "ann"}, ":v1": {"N": "5"}},
    }
    assert search.prepare().projected == [Post.forum, Post.created, Post.author, Post.views, Post.title]


def test_index_by_keyword_or_argument():
    assert prepared(query(Post, index=Post.by_author, key=Post.author == "a")) == \
        prepared(query(Post.by_author, key=Post.author == "a"))
    assert prepared(query(Post.all_by_author, key=Post.author == "a")) == {
        "TableName": "prefix-posts", "IndexName": "author-all", "KeyConditionExpression": "#n0 = :v0",
        "ExpressionAttributeNames": {"#n0": "author"}, "ExpressionAttributeValues": {":v0": {"S": "a"}},
        "Select": "ALL_ATTRIBUTES"}


def test_projection_keys():
    search = query(Post.by_views, key=Post.forum == "f", projection="keys")
    assert prepared(search)["ProjectionExpression"] == "#n0, #n1, #n2"
    assert search.prepare().projected == [Post.forum, Post.created, Post.views]
    assert prepared(query(Post, key=Post.forum == "f").project("keys"))["ProjectionExpression"] == "#n0, #n1"


def test_projection_of_columns_always_includes_keys():
    search = query(Post, key=Post.forum == "f").project(Post.title, "views")
    request = prepared(search)
    assert request["ProjectionExpression"] == "#n0, #n1, #n2, #n3"
    assert request["ExpressionAttributeNames"] == {"#n0": "forum", "#n1": "created", "#n2": "t", "#n3": "views"}
    assert "Select" not in request
    assert prepared(query(Post, key=Post.forum == "f").project([Post.title, Post.views])) == request


def test_projection_into_a_gsi():
    ok = query(Post.by_author, key=Post.author == "a").project(Post.title)
    assert prepared(ok)["ProjectionExpression"] == "#n1, #n2, #n0, #n3, #n4"
    with pytest.raises(InvalidSearch) as excinfo:
        query(Post.by_author, key=Post.author == "a").project(Post.body).prepare()
    assert "body" in str(excinfo.value)
    # an LSI can read columns it does not project (DynamoDB fetches them from the table)
    assert prepared(query(Post.by_views, key=Post.forum == "f").project(Post.body))


@pytest.mark.parametrize("projection", ["everything", 3, [Simple.n], ["nope"], [Post.forum == "x"]])
def test_bad_projection(projection):
    with pytest.raises(InvalidSearch):
        query(Post, key=Post.forum == "f", projection=projection).prepare()


def test_scan_request():
    search = scan(Post).filter(Post.tags.contains("x")).page_size(100)
    assert prepared(search) == {
        "TableName": "prefix-posts",
        "FilterExpression": "contains(#n0, :v0)",
        "ExpressionAttributeNames": {"#n0": "tags"},
        "ExpressionAttributeValues": {":v0": {"S": "x"}},
        "Select": "ALL_ATTRIBUTES",
        "Limit": 100,
    }
    assert prepared(scan(Simple)) == {"TableName": "prefix-Simple", "Select": "ALL_ATTRIBUTES"}
    assert prepared(scan(Post.by_views).consistent) == {
        "TableName": "prefix-posts", "IndexName": "by_views", "ConsistentRead": True,
        "ProjectionExpression": "#n0, #n1, #n2",
        "ExpressionAttributeNames": {"#n0": "forum", "#n1": "created", "#n2": "views"}}


def test_scan_filter_may_use_keys_but_not_a_key_condition():
    assert prepared(scan(Post).filter(Post.forum == "f"))["FilterExpression"] == "#n0 = :v0"
    with pytest.raises(InvalidSearch):
        scan(Post).key(Post.forum == "f").prepare()


def test_count_request():
    search = query(Post, key=Post.forum == "f").project(Post.title).filter(Post.views > 1).page_size(5).limit(2)
    request = search.prepare().count_request()
    validate_request("query", request)
    assert request == {
        "TableName": "prefix-posts", "KeyConditionExpression": "#n0 = :v0", "FilterExpression": "#n1 > :v1",
        "ExpressionAttributeNames": {"#n0": "forum", "#n1": "views"},
        "ExpressionAttributeValues": {":v0": {"S": "f"}, ":v1": {"N": "1"}}, "Select": "COUNT", "Limit": 5}


# ---------------------------------------------------------------------------------------
# key conditions

@pytest.mark.parametrize("key", [
    None,
    Condition(),
    Post.forum != "f",
    Post.forum > "f",
    Post.forum.begins_with("f"),
    Post.forum.is_(None),
    Post.created == "c",
    Post.author == "a",
    (Post.forum == "f") | (Post.forum == "g"),
    ~(Post.forum == "f"),
    (Post.forum == "f") & (Post.forum == "g"),
    (Post.forum == "f") & (Post.author == "a"),
    (Post.forum == "f") & (Post.created > "a") & (Post.created < "b"),
    (Post.forum == "f") & ((Post.created > "a") | (Post.created < "b")),
    Post.title["x"] == "f",
])
def test_query_without_a_hash_key_equality_refused(key):
    with pytest.raises(InvalidSearch) as excinfo:
        query(Post, key=key).prepare()
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize("range_condition", [
    Post.created == "a",
    Post.created < "a",
    Post.created <= "a",
    Post.created > "a",
    Post.created >= "a",
    Post.created.between("a", "b"),
    Post.created.begins_with("a"),
])
def test_range_key_operators_allowed(range_condition):
    prepared(query(Post, key=(Post.forum == "f") & range_condition))
    prepared(query(Post, key=range_condition & (Post.forum == "f")))


@pytest.mark.parametrize("range_condition", [
    Post.created != "a",
    Post.created.contains("a"),
    Post.created.in_(["a", "b"]),
    Post.created.is_(None),
    Post.created.is_not(None),
    Post.created.is_type("S"),
])
def test_range_key_operators_refused(range_condition):
    with pytest.raises(InvalidSearch):
        query(Post, key=(Post.forum == "f") & range_condition).prepare()


def test_index_keys_are_the_index_keys():
    prepared(query(Post.by_author, key=(Post.author == "a") & Post.views.between(1, 2)))
    prepared(query(Post.by_views, key=(Post.forum == "f") & (Post.views > 3)))
    with pytest.raises(InvalidSearch):
        query(Post.by_author, key=Post.forum == "f").prepare()
    with pytest.raises(InvalidSearch):
        query(Post.by_views, key=(Post.forum == "f") & (Post.created > "a")).prepare()


def test_filter_on_a_key_column_refused():
    with pytest.raises(InvalidSearch):
        query(Post, key=Post.forum == "f", filter=Post.created > "a").prepare()
    with pytest.raises(InvalidSearch):
        query(Post.by_author, key=Post.author == "a", filter=Post.views > 1).prepare()


def test_consistent_reads():
    with pytest.raises(InvalidSearch):
        query(Post.by_author, key=Post.author == "a").consistent.prepare()
    with pytest.raises(InvalidSearch):
        scan(Post.all_by_author, consistent=True).prepare()
    assert prepared(query(Post.by_views, key=Post.forum == "f").consistent)["ConsistentRead"] is True
    assert prepared(scan(Post).consistent)["ConsistentRead"] is True


@pytest.mark.parametrize("make", [
    lambda: query(object),
    lambda: query(BaseModel),
    lambda: query(Post, index=Simple),
    lambda: query(Post.by_author, index=Post.by_views),
    lambda: query(Simple, index=Post.by_author),
    lambda: query(Post, key="forum = f"),
    lambda: query(Post, filter=True),
    lambda: query(Post).key("x"),
    lambda: query(Post, limit=0),
    lambda: query(Post).limit(-1),
    lambda: query(Post).page_size(True),
    lambda: query(Post).page_size(1.5),
])
def test_bad_searches_refused_at_construction(make):
    with pytest.raises(InvalidSearch):
        make()


def test_limit_none_clears():
    assert query(Post).limit(3).limit(None)._limit is None


# ---------------------------------------------------------------------------------------
# pickling and binding

def test_search_pickles_without_its_engine():
    search = (query(Post.by_author).key((Post.author == "a") & Post.views.between(1, 9))
              .filter(Post.title.begins_with("x")).project(Post.title).forward(False).limit(4))
    restored = pickle.loads(pickle.dumps(search))
    assert restored.engine is None
    assert search.engine is ENGINE
    assert restored.index is Post.by_author and restored.model is Post
    with pytest.raises(InvalidSearch):
        restored.prepare()
    with pytest.raises(InvalidSearch):
        iter(restored)
    rebound = restored._replace(engine=ENGINE)
    assert prepared(rebound) == prepared(search)


def test_engine_binds_an_unpickled_search():
    engine = Engine(dynamodb_client(), table_name_template="prefix-{table_name}")
    search = engine.scan(Post).filter(Post.views > 3)
    restored = pickle.loads(pickle.dumps(search))
    bound = engine.scan(restored)
    assert bound.engine is engine and type(bound) is Scan
    assert prepared(bound) == prepared(search)
    assert engine.query(pickle.loads(pickle.dumps(engine.query(Post, key=Post.forum == "f")))).engine is engine


def test_pickled_columns_are_the_model_columns():
    assert pickle.loads(pickle.dumps(Post.title)) is Post.title
    assert pickle.loads(pickle.dumps(Post.by_views)) is Post.by_views
    condition = pickle.loads(pickle.dumps((Post.forum == "f") & Post.title.begins_with("t")))
    assert condition.conditions[0].operand is Post.forum


# ---------------------------------------------------------------------------------------
# iteration through an engine

def item(i):
    return {"forum": {"S": "f"}, "created": {"S": f"c{i}"}, "t": {"S": f"title {i}"}}


def test_iteration_follows_last_evaluated_key():
    engine = FakeEngine([
        {"Items": [item(0), item(1)], "Count": 2, "ScannedCount": 3,
         "LastEvaluatedKey": {"forum": {"S": "f"}, "created": {"S": "c1"}}},
        {"Items": [item(2)], "Count": 1, "ScannedCount": 1},
    ])
    search = Query(engine, Post, key=Post.forum == "f")
    iterator = iter(search)
    results = list(iterator)
    assert [p.title for p in results] == ["title 0", "title 1", "title 2"]
    assert all(type(p) is Post for p in results)
    assert (iterator.count, iterator.scanned) == (3, 4)
    assert engine.transport.requests[1][1]["ExclusiveStartKey"] == {"forum": {"S": "f"}, "created": {"S": "c1"}}
    assert "ExclusiveStartKey" not in engine.transport.requests[0][1]
    assert [op for op, _ in engine.transport.requests] == ["query", "query"]


def test_limit_stops_iteration():
    last = {"forum": {"S": "f"}, "created": {"S": "c2"}}
    engine = FakeEngine([{"Items": [item(0), item(1), item(2)], "LastEvaluatedKey": last}])
    search = Scan(engine, Post).filter(Post.views > 1).limit(2)
    assert [p.created for p in search] == ["c0", "c1"]
    assert len(engine.transport.requests) == 1


def test_first_and_one():
    assert Query(FakeEngine([{"Items": []}]), Post, key=Post.forum == "f").first() is None
    assert Query(FakeEngine([{"Items": [item(0)]}]), Post, key=Post.forum == "f").first().created == "c0"
    assert Query(FakeEngine([{"Items": [item(0)]}]), Post, key=Post.forum == "f").one().created == "c0"
    with pytest.raises(InvalidSearch):
        Query(FakeEngine([{"Items": [item(0), item(1)]}]), Post, key=Post.forum == "f").one()
    with pytest.raises(InvalidSearch):
        Query(FakeEngine([{"Items": []}]), Post, key=Post.forum == "f").one()


def test_projected_results_know_what_is_missing():
    engine = FakeEngine([{"Items": [{"forum": {"S": "f"}, "created": {"S": "c"}}]}])
    result = Query(engine, Post, key=Post.forum == "f").project(Post.title).first()
    assert snapshot(result) == {"forum": "f", "created": "c", "title": None}


def test_repr_and_types():
    assert repr(query(Post.by_author)) == "<Query[Post.by_author]>"
    assert repr(scan(Simple)) == "<Scan[Simple]>"
    assert isinstance(query(Post), Search)
    assert isinstance(query(Post, key=Post.forum == "f").prepare(), Prepared)


# ---------------------------------------------------------------------------------------
# tokens: the next page, limits, and tokens of other searches

def key_of(i):
    return {"forum": {"S": "f"}, "created": {"S": f"c{i:02}"}}


def items(low, high):
    return [dict(key_of(i), t={"S": f"title {i}"}) for i in range(low, high)]


def created(objs):
    return [obj.created for obj in objs]


def token_after(search, n, pages):
    """The token of ``search``'s iterator after ``n`` objects, its pages answered from ``pages``."""
    iterator = iter(search._replace(engine=FakeEngine(pages)))
    for _ in range(n):
        next(iterator)
    return iterator.token


def test_next_page_after_a_used_up_limit():
    # PynamoDB users page with limit= and last_evaluated_key= (the key of the last item returned)
    engine = FakeEngine([
        {"Items": items(0, 3), "LastEvaluatedKey": key_of(2)},
        {"Items": items(3, 6), "LastEvaluatedKey": key_of(5)},
        {"Items": items(6, 8)},
    ])
    base = Query(engine, Post, key=Post.forum == "f")
    first = iter(base.limit(3))
    assert created(first) == ["c00", "c01", "c02"]
    second = iter(base.start_from(first.token).limit(3))
    assert created(second) == ["c03", "c04", "c05"]
    assert engine.transport.requests[1][1]["ExclusiveStartKey"] == key_of(2)
    assert engine.transport.requests[1][1]["Limit"] == 3
    third = iter(base.limit(3).start_from(second.token))  # the limit may come first
    assert created(third) == ["c06", "c07"]
    assert engine.transport.requests[2][1]["ExclusiveStartKey"] == key_of(5)
    # the end of the search: nothing left, nothing sent
    assert base.start_from(third.token).limit(3).all() == []
    assert base.start_from(third.token).count() == 0
    assert len(engine.transport.requests) == 3


def test_next_page_of_a_filtered_search_starts_after_the_last_object_yielded():
    engine = FakeEngine([
        {"Items": items(0, 4), "LastEvaluatedKey": key_of(9)},  # read 10, 4 passed the filter
        {"Items": items(2, 6)},  # read again from after c01
    ])
    base = Query(engine, Post, key=Post.forum == "f").filter(Post.views > 1)
    first = iter(base.limit(2))
    assert created(first) == ["c00", "c01"]
    assert created(base.start_from(first.token).limit(2)) == ["c02", "c03"]
    assert engine.transport.requests[1][1]["ExclusiveStartKey"] == key_of(1)  # not DynamoDB's key 9


def test_a_token_cannot_lift_a_limit():
    base = query(Post, key=Post.forum == "f")
    limited = base.limit(5)
    token = token_after(limited, 2, [{"Items": items(0, 5), "LastEvaluatedKey": key_of(4)}])
    # stopped before its limit: the token keeps what was left of it (3)
    assert limited.start_from(token).prepare().limit == 3
    assert base.start_from(token).prepare().limit == 3
    assert base.limit(9).start_from(token).prepare().limit == 3
    # ... and the search's own limit holds whichever way round they are given
    assert base.limit(2).start_from(token).prepare().limit == 2
    assert base.start_from(token).limit(2).prepare().limit == 2
    assert prepared(base.limit(2).start_from(token))["Limit"] == 2
    # a crafted token cannot raise it either
    data = json.loads(token)
    data["left"] = 10 ** 9
    assert base.limit(2).start_from(json.dumps(data)).prepare().limit == 2
    # once its limit was reached, a token starts the next page
    full = token_after(limited, 5, [{"Items": items(0, 5), "LastEvaluatedKey": key_of(4)}])
    assert limited.start_from(full).prepare().limit == 5
    assert base.start_from(full).prepare().limit is None


def test_rest_of_a_limited_iteration():
    engine = FakeEngine([
        {"Items": items(0, 5), "LastEvaluatedKey": key_of(4)},
        {"Items": items(2, 5), "LastEvaluatedKey": key_of(4)},
    ])
    limited = Query(engine, Post, key=Post.forum == "f").limit(5)
    iterator = iter(limited)
    assert created([next(iterator), next(iterator)]) == ["c00", "c01"]
    rest = iter(limited.start_from(iterator.token))
    assert created(rest) == ["c02", "c03", "c04"]
    assert engine.transport.requests[1][1]["Limit"] == 3
    assert json.loads(rest.token)["left"] is None  # its limit reached: the next page follows


def test_a_token_counts_from_its_position():
    engine = FakeEngine([{"Items": [], "Count": 7, "LastEvaluatedKey": key_of(9)}, {"Items": [], "Count": 2}])
    token = token_after(query(Post, key=Post.forum == "f"), 1, [{"Items": items(0, 3), "LastEvaluatedKey": key_of(2)}])
    search = Query(engine, Post, key=Post.forum == "f").start_from(token)
    assert search.count() == 9
    assert [r["ExclusiveStartKey"] for _, r in engine.transport.requests] == [key_of(0), key_of(9)]


BASE_TOKEN_PAGES = [{"Items": items(0, 3), "LastEvaluatedKey": key_of(2)}]


class Twin(BaseModel):
    """Another model on the same table with the same keys."""

    class Meta:
        table_name = "posts"

    forum = Column(String, hash_key=True)
    created = Column(String, range_key=True)
    t = Column(String)


@pytest.mark.parametrize("other", [
    lambda: query(Post, key=Post.forum == "g"),
    lambda: query(Post, key=(Post.forum == "f") & (Post.created > "c")),
    lambda: query(Post, key=Post.forum == "f").filter(Post.views > 1),
    lambda: query(Post, key=Post.forum == "f").project("keys"),
    lambda: query(Post, key=Post.forum == "f").project(Post.title),
    lambda: query(Post, key=Post.forum == "f").forward(False),
    lambda: query(Post.by_views, key=Post.forum == "f"),
    lambda: query(Twin, key=Twin.forum == "f"),
    lambda: scan(Post),
    lambda: scan(Post).segments(2)[1],
], ids=["key value", "range condition", "filter", "keys", "projection", "order", "index", "model", "scan",
        "segment"])
def test_a_token_of_another_search_refused(other):
    token = token_after(query(Post, key=Post.forum == "f"), 1, BASE_TOKEN_PAGES)
    search = other().start_from(token)  # checked before anything is sent
    with pytest.raises(InvalidSearch, match="another search"):
        search.prepare()
    with pytest.raises(InvalidSearch, match="another search"):
        Query(FakeEngine(), Post, key=Post.forum == "f").filter(Post.views > 1).start_from(token).all()


def test_a_token_fits_the_same_search_however_it_is_read():
    token = token_after(query(Post, key=Post.forum == "f"), 1, BASE_TOKEN_PAGES)
    for same in [query(Post, key=Post.forum == "f"),
                 query(Post).key(Post.forum == "f").limit(3).page_size(10).consistent,
                 pickle.loads(pickle.dumps(query(Post, key=Post.forum == "f")))._replace(engine=ENGINE)]:
        assert prepared(same.start_from(token))["ExclusiveStartKey"] == key_of(0)
    # a segment's token fits that segment
    segment = scan(Post).segments(3)[2]
    token = token_after(segment, 1, BASE_TOKEN_PAGES)
    assert prepared(scan(Post).segments(3)[2].start_from(token))["ExclusiveStartKey"] == key_of(0)
    with pytest.raises(InvalidSearch):
        scan(Post).segments(3)[1].start_from(token).prepare()


def test_a_token_does_not_depend_on_set_order():
    # a set's elements are sent in the order Python iterates them, which changes with
    # PYTHONHASHSEED: a token must survive a restart of the process all the same
    search = query(Post, key=Post.forum == "f").filter(Post.tags == {"a", "b", "c"})
    one, other = search.prepare(), search.prepare()
    [(ref, wire)] = [(r, w) for r, w in other.request["ExpressionAttributeValues"].items() if "SS" in w]
    other.request["ExpressionAttributeValues"][ref] = {"SS": list(reversed(wire["SS"]))}
    assert one.fingerprint == other.fingerprint


class Blob(BaseModel):
    id = Column(Binary, hash_key=True)
    n = Column(Number, range_key=True)
    other = Column(Number)
    by_other = GlobalSecondaryIndex(projection="keys", hash_key="other")


def test_binary_and_number_keys_round_trip():
    wire = {"id": {"B": b"\x00\xff"}, "n": {"N": "-1.5"}}
    search = scan(Blob)
    token = token_after(search, 1, [{"Items": [wire, {"id": {"B": b"x"}, "n": {"N": "2"}}]}])
    assert json.loads(token)["key"] == {"id": {"B64": "AP8="}, "n": {"N": "-1.5"}}
    assert prepared(search.start_from(token))["ExclusiveStartKey"] == wire
    # an index's token holds the index keys too
    token = token_after(scan(Blob.by_other), 1, [{"Items": [dict(wire, other={"N": "3"})], "LastEvaluatedKey": wire}])
    assert prepared(scan(Blob.by_other).start_from(token))["ExclusiveStartKey"] == dict(wire, other={"N": "3"})


def test_a_number_hash_key_is_compared_by_value():
    # DynamoDB returns numbers normalised: the item of ``n == Decimal("1.50")`` holds "1.5"
    search = query(Blob.by_other, key=Blob.other == decimal.Decimal("1.50"))
    item = {"id": {"B": b"x"}, "n": {"N": "2"}, "other": {"N": "1.5"}}
    token = token_after(search, 1, [{"Items": [item, item]}])
    assert prepared(search.start_from(token))["ExclusiveStartKey"] == item
    data = json.loads(token)
    data["key"]["other"] = {"N": "1.6"}
    with pytest.raises(InvalidSearch, match="outside this query's key condition"):
        search.start_from(json.dumps(data)).prepare()


# ---------------------------------------------------------------------------------------
# malformed tokens: InvalidSearch, never an empty result or a bare Python error

def good_token():
    return json.loads(token_after(query(Post, key=Post.forum == "f"), 1, BASE_TOKEN_PAGES))


def changed(**fields):
    data = good_token()
    data.update(fields)
    return json.dumps(data)


MALFORMED = {
    "not json": "not a token",
    "empty": "",
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "deep nesting in a field": changed(key=None)[:-1] + ',"x":' + "[" * 50_000 + "]" * 50_000 + "}",
    "too large": changed(left=1)[:-1] + ',"pad":"' + "x" * 1_000_000 + '"}',
    "a list": "[1, 2]",
    "a number": "3",
    "null": "null",
    "version 1": json.dumps({"v": 1, "key": None, "remaining": None, "done": False}),
    "version true": changed(v=True),
    "version 2.0": changed(v=2.0),
    "no version": json.dumps({k: v for k, v in good_token().items() if k != "v"}),
    "an unknown field": changed(extra=1),
    "left true": changed(left=True),
    "left 0": changed(left=0),
    "left -1": changed(left=-1),
    "left 1.5": changed(left=1.5),
    "left string": changed(left="3"),
    "end 1": changed(end=1),
    "end null": changed(end=None),
    "search other": changed(search="0" * 32),
    "search number": changed(search=7),
    "key list": changed(key=[["forum", {"S": "f"}]]),
    "key empty": changed(key={}),
    "key value true": changed(key={"forum": True, "created": {"S": "c"}}),
    "key value string": changed(key={"forum": "f", "created": {"S": "c"}}),
    "key type unknown": changed(key={"forum": {"X": "f"}, "created": {"S": "c"}}),
    "key two types": changed(key={"forum": {"S": "f", "N": "1"}, "created": {"S": "c"}}),
    "key string number": changed(key={"forum": {"S": 1}, "created": {"S": "c"}}),
    "key string bool": changed(key={"forum": {"S": False}, "created": {"S": "c"}}),
    "key string empty": changed(key={"forum": {"S": ""}, "created": {"S": "c"}}),
    "key wrong type": changed(key={"forum": {"N": "1"}, "created": {"S": "c"}}),
    "key bad number": changed(key={"forum": {"S": "f"}, "created": {"N": "one"}}),
    "key bad base64": changed(key={"forum": {"S": "f"}, "created": {"B64": "*not base64*"}}),
    "key missing": changed(key={"forum": {"S": "f"}}),
    "key extra": changed(key={"forum": {"S": "f"}, "created": {"S": "c"}, "t": {"S": "x"}}),
    "key other hash": changed(key={"forum": {"S": "g"}, "created": {"S": "c"}}),
    "key lone surrogate": changed(key={"forum": {"S": "f"}, "created": {"S": "\ud800"}}),
    "key name lone surrogate": changed(key={"forum": {"S": "f"}, "\udfff": {"S": "c"}}),
    "NaN": changed(left=float("nan")),
    "huge int": changed(left=None).replace('"left": null', '"left": ' + "9" * 5000),
}


@pytest.mark.parametrize("token", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_token_refused(token):
    with pytest.raises(InvalidSearch) as excinfo:
        query(Post, key=Post.forum == "f").start_from(token).prepare()
    assert isinstance(excinfo.value, ValueError)
    assert len(str(excinfo.value)) < 500  # the token is not echoed whole


@pytest.mark.parametrize("number", ["1_0", " 1", "NaN", "Infinity", "1.", ".5", "0x10", "1e", "9" * 101])
def test_a_number_in_a_token_is_as_dynamodb_writes_one(number):
    with pytest.raises(InvalidSearch, match="not a number"):
        decode_token(json.dumps(dict(GOOD, key={"n": {"N": number}})))
    assert decode_token(json.dumps(dict(GOOD, key={"n": {"N": "-12.5E+3"}}))).start == {"n": {"N": "-12.5E+3"}}


@pytest.mark.parametrize("token", [None, b'{"v": 2}', 3, {"v": 2}, ["token"]])
def test_a_token_is_a_string(token):
    with pytest.raises(InvalidSearch):
        query(Post, key=Post.forum == "f").start_from(token)


GOOD = good_token()

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)

KEY_VALUES = st.dictionaries(
    st.sampled_from(["S", "N", "B", "B64", "BOOL", "SS"]),
    st.text(max_size=8) | st.sampled_from(["1", "-0.5", "1e400", "AP8=", "%%", "NaN"]) | ANY_JSON,
    max_size=2)

TOKEN_FIELDS = st.fixed_dictionaries({
    "v": st.just(2) | ANY_JSON,
    "search": st.just(GOOD.get("search")) | ANY_JSON,
    "key": (st.just(GOOD.get("key"))
            | st.dictionaries(st.sampled_from(["forum", "created", "t", ""]), KEY_VALUES | ANY_JSON, max_size=3)
            | ANY_JSON),
    "left": st.none() | st.integers() | ANY_JSON,
    "end": st.booleans() | ANY_JSON,
}, optional={"extra": ANY_JSON})


def accepted_or_refused(token):
    """``start_from(token)`` is refused with InvalidSearch, or makes a request DynamoDB accepts."""
    try:
        request = query(Post, key=Post.forum == "f").start_from(token).prepare().request
    except InvalidSearch:
        return False
    validate_request("query", request)
    start = request.get("ExclusiveStartKey")
    assert start is None or (set(start) == {"forum", "created"} and start["forum"] == {"S": "f"})
    return True


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_text_tokens(token):
    accepted_or_refused(token)


@settings(max_examples=200, deadline=None)
@given(ANY_JSON)
def test_fuzz_json_tokens(data):
    accepted_or_refused(json.dumps(data))


@settings(max_examples=400, deadline=None)
@given(TOKEN_FIELDS)
def test_fuzz_token_fields(data):
    accepted_or_refused(json.dumps(data))


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({"forum": st.just({"S": "f"}) | KEY_VALUES}, optional={
    "created": st.builds(lambda kind, value: {kind: value}, st.sampled_from(["S", "N", "B64"]),
                         st.text(max_size=8) | st.sampled_from(["1", "1e400", "AP8=", "====", "\udc00"])),
    "t": KEY_VALUES}), st.none() | st.integers(-2, 3), st.booleans())
def test_fuzz_token_positions(key, left, end):
    accepted_or_refused(json.dumps(dict(GOOD, key=key, left=left, end=end)))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fuzz_cut_and_changed_tokens(data):
    token = json.dumps(GOOD)
    at = data.draw(st.integers(0, len(token)))
    cut = data.draw(st.integers(0, 3))
    token = token[:at] + data.draw(st.text(max_size=3)) + token[at + cut:]
    accepted_or_refused(token)


# ---------------------------------------------------------------------------------------
# filters on a global secondary index

@pytest.mark.parametrize("search", [
    lambda: query(Post.by_author, key=Post.author == "a").filter(Post.body == "x"),
    lambda: scan(Post.by_author).filter(Post.body.is_(None)),
    lambda: scan(Post.by_author).filter(Post.title.begins_with("x") | ~Post.body.contains("y")),
    lambda: scan(Post.by_author).filter(Post.title == Post.body),
    lambda: scan(Post.by_author).filter(Post.title.between("a", Post.body)),
    lambda: scan(Post.by_author).filter(Post.title.in_(["a", Post.body])),
    lambda: scan(Post.by_author).filter(size(Post.body) > 1),
    lambda: query(Post.by_author, key=Post.author == "a", filter=Post.body > "x").project("keys"),
])
def test_filter_on_a_column_a_gsi_does_not_project_refused(search):
    # DynamoDB filters the index's items, which do not hold the column: the filter would
    # silently match nothing (or everything)
    with pytest.raises(InvalidSearch) as excinfo:
        search().prepare()
    message = str(excinfo.value)
    assert "body" in message and "by_author" in message and "not projected" in message
    with pytest.raises(InvalidSearch):
        Scan(FakeEngine(), Post.by_author).filter(Post.body == "x").count()  # before anything is sent


def test_filters_an_index_can_evaluate():
    prepared(query(Post.by_author, key=Post.author == "a").filter(Post.title.begins_with("x") & (Post.forum == "f")))
    prepared(scan(Post.by_author).filter(Post.views > 3))  # an index key
    prepared(query(Post.all_by_author, key=Post.author == "a").filter(Post.body == "x"))  # projects all
    prepared(scan(Blob.by_other).filter((Blob.n > 1) & (Blob.other < 3)))  # keys only: keys
    # a local secondary index reads what it does not project from the table, as for projections
    prepared(query(Post.by_views, key=Post.forum == "f").filter(Post.body == "x"))
    prepared(scan(Post.by_views).filter(Post.tags.contains("x")))


# ---------------------------------------------------------------------------------------
# exists()

def test_exists_without_a_filter_reads_one_item_and_no_attributes():
    engine = FakeEngine([{"Count": 1, "ScannedCount": 1, "LastEvaluatedKey": key_of(0)}])
    assert Query(engine, Post, key=Post.forum == "f").exists() is True
    (operation, request), = engine.transport.requests
    assert operation == "query" and request["Select"] == "COUNT" and request["Limit"] == 1
    assert "ProjectionExpression" not in request
    engine = FakeEngine([{"Count": 0, "ScannedCount": 0}])
    assert Scan(engine, Post).exists() is False
    assert engine.transport.requests[0][1]["Limit"] == 1


def test_exists_with_a_filter_stops_at_the_first_page_that_matches():
    engine = FakeEngine([{"Count": 0, "LastEvaluatedKey": key_of(1)}, {"Count": 0, "LastEvaluatedKey": key_of(3)},
                         {"Count": 1, "LastEvaluatedKey": key_of(5)}, {"Count": 2}])
    search = Query(engine, Post, key=Post.forum == "f").filter(Post.views > 3).page_size(2)
    assert search.exists() is True
    assert [r.get("ExclusiveStartKey") for _, r in engine.transport.requests] == [None, key_of(1), key_of(3)]
    assert all(r["Limit"] == 2 and r["Select"] == "COUNT" for _, r in engine.transport.requests)
    engine = FakeEngine([{"Count": 0, "LastEvaluatedKey": key_of(1)}, {"Count": 0}])
    assert Query(engine, Post, key=Post.forum == "f").filter(Post.views > 3).exists() is False
    assert len(engine.transport.requests) == 2 and "Limit" not in engine.transport.requests[0][1]


def test_exists_after_a_token_at_the_end_sends_nothing():
    engine = FakeEngine([{"Items": items(0, 2)}])
    iterator = iter(Query(engine, Post, key=Post.forum == "f"))
    list(iterator)
    assert Query(engine, Post, key=Post.forum == "f").start_from(iterator.token).exists() is False
    assert len(engine.transport.requests) == 1


def test_exists_is_checked_before_anything_is_sent():
    with pytest.raises(InvalidSearch):
        Scan(FakeEngine(), Post.by_author).filter(Post.body == "x").exists()


def test_a_search_needs_nothing_of_its_engine_but_a_searcher():
    from types import SimpleNamespace

    from bloop.drivers.drive import drive
    from bloop.drivers.search import SearchIterator
    from tests.unit.fakes import FakeTransport

    class OwnSearcher:  # bloop.search.Searcher, implemented with no private knowledge
        is_async = False

        def __init__(self, answers):
            self.transport = FakeTransport(answers)

        def table_name(self, model):
            return "own-" + model.Meta.table_name

        def prepare(self, search):
            return Prepared(search, self.table_name(search.model))

        def iterate(self, prepared):
            return SearchIterator(self.run, prepared)

        def run(self, op):
            return drive(op, self.transport.send, None)

    searcher = OwnSearcher([{"Items": [item(0)]}, {"Items": [item(1)]}, {"Count": 4}, {"Count": 1},
                            {"Items": [item(2)]}])
    search = Query(SimpleNamespace(searcher=searcher), Post, key=Post.forum == "f")
    assert created(search) == ["c0"] and search.first().created == "c1"
    assert search.count() == 4 and search.exists() is True and created(search.all()) == ["c2"]
    assert {request["TableName"] for _, request in searcher.transport.requests} == {"own-posts"}
    assert search.prepare().request["TableName"] == "own-posts"


def test_the_search_package_is_split_by_job_and_keeps_every_name():
    """bloop.search is a package with one module per job; every name it had is importable from it."""
    import importlib

    import bloop.search as search
    jobs = {"describe": ["Search", "Query", "Scan", "Sync", "Async"], "searcher": ["Searcher"],
            "prepared": ["Prepared"], "tokens": ["Token", "encode_token", "decode_token"],
            "cursor": ["Cursor", "CursorView"],
            "terminal": ["fetch", "collect", "first", "only", "exists", "count", "check_one"]}
    for module, names in jobs.items():
        job = importlib.import_module(f"bloop.search.{module}")
        for name in names:
            assert getattr(search, name) is getattr(job, name), (module, name)
    for name in search.__all__ + ["M", "E", "TOKEN_VERSION", "MAX_TOKEN_LENGTH", "AsyncSearchIterator"]:
        assert getattr(search, name) is not None, name
    assert importlib.import_module("bloop.search.validate")._check_key is not None

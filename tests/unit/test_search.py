"""bloop.search: immutable queries and scans, validated and rendered into exact requests."""
import pickle

import pytest

from bloop import (
    BaseModel, Column, Condition, Engine, GlobalSecondaryIndex, Integer, LocalSecondaryIndex, Set, String,
)
from bloop.exceptions import InvalidSearch
from bloop.search import Prepared, Query, Scan, Search, SyncSearches
from bloop.tracking import snapshot
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


class FakeEngine(SyncSearches):
    """The one thing a search needs from an engine to prepare: the table name.

    It also iterates: pages are answered from ``pages`` (after validating each
    request against botocore's service model) and the requests kept.
    """

    def __init__(self, pages=()):
        self.pages = list(pages)
        self.requests = []

    def _table_name(self, model):
        return "prefix-" + model.Meta.table_name

    def call(self, operation, request):
        validate_request(operation, request)
        self.requests.append((operation, request))
        return self.pages.pop(0)

    def _search_call(self, operation, request):
        return self.call(operation, request)


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
    recent = base.key(Post.created > "2020")
    old = base.key(Post.created < "2000")
    assert prepared(base)["KeyConditionExpression"] == "#n0 = :v0"
    assert prepared(recent)["KeyConditionExpression"] == "(#n0 = :v0 AND #n1 > :v1)"
    assert prepared(old)["ExpressionAttributeValues"][":v1"] == {"S": "2000"}
    assert prepared(base) == prepared(base)


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
    assert engine.requests[1][1]["ExclusiveStartKey"] == {"forum": {"S": "f"}, "created": {"S": "c1"}}
    assert "ExclusiveStartKey" not in engine.requests[0][1]
    assert [op for op, _ in engine.requests] == ["query", "query"]


def test_limit_stops_iteration():
    last = {"forum": {"S": "f"}, "created": {"S": "c2"}}
    engine = FakeEngine([{"Items": [item(0), item(1), item(2)], "LastEvaluatedKey": last}])
    search = Scan(engine, Post).filter(Post.views > 1).limit(2)
    assert [p.created for p in search] == ["c0", "c1"]
    assert len(engine.requests) == 1


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

"""search.page(size, token): pages for a web API, with opaque, URL-safe, search-bound and
optionally signed tokens; every request checked against botocore's service model."""
import asyncio
import base64
import json
import re

import pytest
from hypothesis import given, settings, strategies as st

from bloop import BaseModel, Column, GlobalSecondaryIndex, Integer, String
from bloop.aio import AsyncEngine
from bloop.exceptions import InvalidConfiguration, InvalidSearch, InvalidType
from bloop.search import Page, Query, Scan, decode_token
from tests.unit.fakes import AsyncFakeTransport, fake_engine
from tests.unit.helpers import dynamodb_client

SECRET = b"s" * 32
OTHER = b"o" * 32


class Note(BaseModel):
    class Meta:
        table_name = "notes"

    box = Column(String, hash_key=True)
    n = Column(Integer, range_key=True)
    owner = Column(String)
    stars = Column(Integer)
    by_owner = GlobalSecondaryIndex(projection="all", hash_key="owner", range_key="stars")


def key(i):
    return {"box": {"S": "b"}, "n": {"N": str(i)}}


def item(i):
    return dict(key(i), owner={"S": f"o{i % 2}"}, stars={"N": str(i * 10)})


def items(low, high):
    return [item(i) for i in range(low, high)]


def numbers(page):
    return [obj.n for obj in page.items]


def query(engine):
    return Query(engine, Note, key=Note.box == "b")


def sent(engine):
    return [request for _, request in engine.transport.requests]


def position(token):
    """The position a page token holds (its first part, URL-safe base64 of a token)."""
    body = token.split(".")[0]
    return decode_token(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode())


# ---------------------------------------------------------------------------------------
# what is sent, and where a page ends

def test_a_page_asks_for_one_item_more_than_it_takes():
    engine = fake_engine([{"Items": items(0, 4), "LastEvaluatedKey": key(3)}])
    page = query(engine).page(3)
    assert numbers(page) == [0, 1, 2]
    assert [r["Limit"] for r in sent(engine)] == [4]
    assert position(page.token).start == key(2)  # the next page begins after the last one taken
    assert isinstance(page, Page) and list(page) == page.items and len(page) == 3

    engine.transport.answers.extend([{"Items": items(3, 5)}])
    last = query(engine).page(3, page.token)
    assert numbers(last) == [3, 4]
    assert sent(engine)[1]["ExclusiveStartKey"] == key(2)
    assert sent(engine)[1]["Limit"] == 4


def test_the_last_page_has_no_token_and_no_empty_page_follows():
    # DynamoDB returns no LastEvaluatedKey: the end, without asking again
    engine = fake_engine([{"Items": items(0, 3)}])
    page = query(engine).page(3)
    assert (numbers(page), page.token) == ([0, 1, 2], None)
    assert len(sent(engine)) == 1
    engine = fake_engine([{"Items": []}])
    assert query(engine).page(5) == Page([], None)


def test_a_filter_may_need_several_requests_to_fill_a_page():
    engine = fake_engine([
        {"Items": items(0, 2), "LastEvaluatedKey": key(5)},
        {"Items": [], "LastEvaluatedKey": key(9)},
        {"Items": items(10, 13), "LastEvaluatedKey": key(20)},
    ])
    page = query(engine).filter(Note.stars > 0).page(4)
    assert numbers(page) == [0, 1, 10, 11]
    requests = sent(engine)
    assert len(requests) == 3
    assert all("Limit" not in r for r in requests)  # a filtered page reads as much as a request may
    assert [r.get("ExclusiveStartKey") for r in requests] == [None, key(5), key(9)]
    assert position(page.token).start == key(11)  # cut inside the third response


def test_a_filtered_page_filled_by_a_whole_response_continues_from_its_last_key():
    engine = fake_engine([{"Items": items(0, 2), "LastEvaluatedKey": key(7)}])
    page = query(engine).filter(Note.stars > 0).page(2)
    assert position(page.token).start == key(7)  # what DynamoDB already read past is not read again
    engine = fake_engine([{"Items": items(0, 2)}])
    assert query(engine).filter(Note.stars > 0).page(2).token is None


def test_page_size_is_dynamodbs_limit_of_each_request():
    engine = fake_engine([
        {"Items": items(0, 2), "LastEvaluatedKey": key(1)},
        {"Items": items(2, 4), "LastEvaluatedKey": key(3)},
    ])
    page = query(engine).page_size(2).page(3)
    assert numbers(page) == [0, 1, 2]
    assert [r["Limit"] for r in sent(engine)] == [2, 2]
    assert position(page.token).start == key(2)


def test_a_limit_caps_all_pages_together():
    engine = fake_engine([{"Items": items(0, 4), "LastEvaluatedKey": key(3)}, {"Items": items(3, 5)}])
    search = query(engine).limit(5)
    first = search.page(3)
    assert numbers(first) == [0, 1, 2]
    assert position(first.token).left == 2
    second = search.page(3, first.token)
    assert (numbers(second), second.token) == ([3, 4], None)  # the limit reached: the end
    assert sent(engine)[1]["Limit"] == 2  # nothing follows a used-up limit: no extra item


def test_a_page_of_an_index_resumes_from_the_index_and_table_keys():
    engine = fake_engine([{"Items": items(0, 3), "LastEvaluatedKey": item(2)}])
    page = Query(engine, Note.by_owner, key=Note.owner == "o0").page(2)
    assert sent(engine)[0]["IndexName"] == "by_owner"
    assert position(page.token).start == {"box": {"S": "b"}, "n": {"N": "1"}, "owner": {"S": "o1"},
                                          "stars": {"N": "10"}}


def test_a_scan_pages_too():
    engine = fake_engine([{"Items": items(0, 3), "LastEvaluatedKey": key(2)}, {"Items": items(3, 4)}])
    search = Scan(engine, Note)
    first = search.page(2)
    rest = search.page(2, first.token)
    assert (numbers(first), numbers(rest), rest.token) == ([0, 1], [3], None)  # as the fake answers
    assert [r["Limit"] for r in sent(engine)] == [3, 3]
    assert sent(engine)[1]["ExclusiveStartKey"] == key(1)
    assert [op for op, _ in engine.transport.requests] == ["scan", "scan"]


@pytest.mark.parametrize("size", [0, -1, True, "3", None, 2.0])
def test_size_is_a_positive_int(size):
    engine = fake_engine()
    with pytest.raises(InvalidSearch, match="positive int"):
        query(engine).page(size)
    assert sent(engine) == []


# ---------------------------------------------------------------------------------------
# tokens: opaque, URL-safe, bound to their search, signed

def signed_page(secret=SECRET, search=query):
    engine = fake_engine([{"Items": items(0, 3), "LastEvaluatedKey": key(2)}], token_secret=secret)
    return search(engine).page(2).token


def test_a_token_is_opaque_and_url_safe():
    for token in (signed_page(), signed_page(secret=None)):
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", token)
        with pytest.raises(ValueError):
            json.loads(token)
    assert signed_page().count(".") == 1 and "." not in signed_page(secret=None)


def test_a_token_of_another_search_refused_before_sending():
    token = signed_page()
    engine = fake_engine(token_secret=SECRET)
    for other in [Query(engine, Note, key=Note.box == "c"), query(engine).filter(Note.stars > 1),
                  query(engine).forward(False), query(engine).project("keys"), Scan(engine, Note)]:
        with pytest.raises(InvalidSearch, match="another search"):
            other.page(2, token)
    assert sent(engine) == []
    engine.transport.answers.append({"Items": []})
    assert query(engine).page(7, token).token is None  # the same search, another size: continues
    assert sent(engine)[0]["ExclusiveStartKey"] == key(1)


def flip(token, at):
    char = token[at]
    return token[:at] + ("A" if char != "A" else "B") + token[at + 1:]


def test_an_altered_or_forged_token_refused_before_sending():
    token = signed_page()
    body, signature = token.split(".")
    position = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    position["key"]["n"] = {"N": "100"}
    forged = base64.urlsafe_b64encode(json.dumps(position).encode()).rstrip(b"=").decode()
    engine = fake_engine(token_secret=SECRET)
    for bad in [flip(token, 3), flip(token, len(token) - 2), f"{forged}.{signature}", forged, f"{body}.",
                body, token + ".x", token[:-1]]:
        with pytest.raises(InvalidSearch) as excinfo:
            query(engine).page(2, bad)
        assert "not a page token" in str(excinfo.value)
    assert sent(engine) == []


def test_why_a_token_is_refused():
    engine = fake_engine(token_secret=SECRET)
    with pytest.raises(InvalidSearch, match="not signed, and this engine has a token_secret"):
        query(engine).page(2, signed_page(secret=None))
    with pytest.raises(InvalidSearch, match="signature does not match"):
        query(engine).page(2, signed_page(secret=OTHER))
    with pytest.raises(InvalidSearch, match="signed, and this engine has no token_secret"):
        query(fake_engine()).page(2, signed_page())
    with pytest.raises(InvalidSearch, match="not URL-safe base64"):
        query(fake_engine()).page(2, "not+a/token")
    for text in ("abc.\ud800", "abc.é", "a.b.c", ".abc"):  # refused before any signature is computed
        with pytest.raises(InvalidSearch, match="not URL-safe base64"):
            query(engine).page(2, text)
    with pytest.raises(InvalidSearch, match="not JSON"):
        query(fake_engine()).page(2, base64.urlsafe_b64encode(b"{nope").decode().rstrip("="))
    with pytest.raises(InvalidSearch, match="the str of a page's token"):
        query(fake_engine()).page(2, b"bytes")
    with pytest.raises(InvalidSearch, match="longer than any page token"):
        query(fake_engine()).page(2, "A" * 100_000)
    assert sent(engine) == []


def test_secrets_rotate():
    old = signed_page(secret=SECRET)
    engine = fake_engine([{"Items": items(2, 5), "LastEvaluatedKey": key(4)}], token_secret=[OTHER, SECRET])
    page = query(engine).page(2, old)  # signed with the old secret: still taken
    assert numbers(page) == [2, 3]
    with pytest.raises(InvalidSearch, match="signature"):
        query(fake_engine(token_secret=SECRET)).page(2, page.token)  # signed with the new one
    assert query(fake_engine([{"Items": []}], token_secret=OTHER)).page(2, page.token).items == []


@pytest.mark.parametrize("secret, error", [
    ("a str secret of some length", InvalidType),
    (b"short", InvalidConfiguration),
    ([], InvalidConfiguration),
    ([SECRET, 3], InvalidType),
])
def test_a_bad_secret_refused_when_the_engine_is_made(secret, error):
    with pytest.raises(error, match="token_secret"):
        fake_engine(token_secret=secret)
    with pytest.raises(error, match="token_secret"):
        AsyncEngine(dynamodb_client(), token_secret=secret)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_fuzz_any_change_to_a_signed_token_is_refused(data):
    token = signed_page()
    at = data.draw(st.integers(0, len(token) - 1))
    char = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ "))
    changed = token[:at] + char + token[at + 1:]
    engine = fake_engine([{"Items": []}], token_secret=SECRET)
    if changed == token:
        assert query(engine).page(2, changed).items == []
    else:
        with pytest.raises(InvalidSearch):
            query(engine).page(2, changed)
        assert sent(engine) == []


@settings(max_examples=200, deadline=None)
@given(token=st.one_of(st.text(max_size=60), st.builds(lambda a, b: f"{a}.{b}", st.text(max_size=30),
                                                       st.text(max_size=30))))
def test_fuzz_text_is_refused_with_invalid_search(token):
    for secret in (SECRET, None):
        engine = fake_engine(token_secret=secret)
        with pytest.raises(InvalidSearch):
            query(engine).page(2, token)
        assert sent(engine) == []


# ---------------------------------------------------------------------------------------
# the async engine: the same operation, awaited

def test_the_async_engine_pages_the_same_way():
    engine = AsyncEngine(dynamodb_client(), token_secret=SECRET)
    engine.transport = AsyncFakeTransport([{"Items": items(0, 3), "LastEvaluatedKey": key(2)}, {"Items": items(2, 3)}])

    async def run():
        first = await query(engine).page(2)
        rest = await query(engine).page(2, first.token)
        return first, rest

    first, rest = asyncio.run(run())
    assert (numbers(first), numbers(rest), rest.token) == ([0, 1], [2], None)
    assert first.token.count(".") == 1
    assert engine.transport.requests[1][1]["ExclusiveStartKey"] == key(1)
    with pytest.raises(InvalidSearch, match="not signed"):
        query(engine).page(2, signed_page(secret=None))

"""search.page(size, token) on every backend, with each engine: a web API's pages through a
table and an index, with and without a filter, every object exactly once; tokens refused for
another search or when altered, before anything is sent."""
import math

import pytest

from bloop import InvalidSearch

from .models import Post

pytestmark = pytest.mark.engines("sync", "async")

SECRET = b"integration tests' secret, 32 b"


def keys(objs):
    return [(o.forum, o.number) for o in objs]


def pages_of(engine, base, size):
    """Pages the way a web service does: each request a new search of a new engine (another
    process, the same secret), from the token the client sent back."""
    pages, token = [], None
    while True:
        search = engine.query(base) if base.mode == "query" else engine.scan(base)
        page = search.page(size, token)
        pages.append(keys(page.items))
        token = page.token
        if token is None:
            return pages
        assert len(pages) < 100


def test_pages_hold_every_object_exactly_once(make_engine, requests):
    engine = make_engine(token_secret=SECRET)
    engine.bind(Post)
    engine.save([Post(forum=f"f{i % 3}", number=i, author=f"a{i % 4}", title=f"t{i}", views=i) for i in range(60)])
    other = make_engine(token_secret=SECRET)  # as another process of the same service
    bases = [
        (engine.scan(Post), False),
        (engine.query(Post).key(Post.forum == "f1").forward(False), False),
        (engine.query(Post.by_author).key(Post.author == "a2"), False),
        (engine.scan(Post).filter(Post.author.in_(["a1", "a2"])), True),
        (engine.query(Post.by_author).key(Post.author == "a2").filter(Post.views > 10), True),
        (engine.scan(Post.by_views).filter(Post.views >= 7).page_size(9), True),
    ]
    for base, filtered in bases:
        expected = keys(base)
        assert expected, base
        for size in (4, 25):
            requests.clear()
            pages = pages_of(other, base, size)
            assert [k for page in pages for k in page] == expected, (base, size)
            assert all(len(page) == size for page in pages[:-1]), (base, size)
            if not filtered:  # DynamoDB said when nothing was left: no empty page after the last
                assert len(pages) == max(1, math.ceil(len(expected) / size)), (base, size)
                assert len(requests.names()) == len(pages)

    # a limit caps the pages together
    limited = engine.scan(Post).limit(10)
    first = limited.page(4)
    second = limited.page(4, first.token)
    last = limited.page(4, second.token)
    assert [len(first), len(second), len(last), last.token] == [4, 4, 2, None]
    assert keys(first) + keys(second) + keys(last) == keys(engine.scan(Post))[:10]

    # refused before anything is sent: another search, an altered token, no secret, another secret
    token = engine.query(Post).key(Post.forum == "f1").page(5).token
    body, signature = token.split(".")
    requests.clear()
    for search, bad, why in [
        (engine.query(Post).key(Post.forum == "f2"), token, "another search"),
        (engine.query(Post).key(Post.forum == "f1").filter(Post.views > 3), token, "another search"),
        (engine.query(Post.by_views).key(Post.forum == "f1"), token, "another search"),
        (engine.query(Post).key(Post.forum == "f1"), body[:-2] + "AA." + signature, "signature does not match"),
        (engine.query(Post).key(Post.forum == "f1"), body, "not signed"),
        (make_engine().query(Post).key(Post.forum == "f1"), token, "no token_secret"),
        (make_engine(token_secret=b"another secret, also long").query(Post).key(Post.forum == "f1"), token,
         "signature does not match"),
    ]:
        with pytest.raises(InvalidSearch, match=why):
            search.page(5, bad)
    assert requests.names() == []
    assert len(other.query(Post).key(Post.forum == "f1").page(50, token).items) == 15


def test_the_docs_section_runs_as_written(capsys):
    # docs/searches.rst's "Pages for a web API" is self-contained: its blocks run in order on moto
    import gc
    from pathlib import Path

    from moto import mock_aws

    from .test_docs import code_blocks

    path = Path(__file__).resolve().parents[2] / "docs" / "searches.rst"
    lines = path.read_text().splitlines()
    begin, end = lines.index("Pages for a web API"), lines.index("Parallel scans")
    blocks = [(line, source) for line, source in code_blocks(path) if begin < line < end]
    assert len(blocks) == 2
    namespace = {"__name__": "docs.searches.pages"}
    with mock_aws():
        for line, source in blocks:
            exec(compile(source, f"docs/searches.rst, block at line {line}", "exec"), namespace)
    namespace.clear()
    gc.collect()
    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == ["['comment 1', 'comment 2', 'comment 3']", "['comment 4', 'comment 5', 'comment 6']",
                           "['comment 7'] None"]
    assert "from another search" in printed[3] and "signature does not match" in printed[4]

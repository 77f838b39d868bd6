"""The ``.. code-block:: python`` blocks of the pages listed here (and the README's
```python blocks) run, in order, in one namespace, against moto in-process (which
intercepts the clients ``Engine()`` makes).

A page is listed once its blocks run as written: each block may use what the blocks
before it defined, as a reader typing them in order would.  An error names the page
and the line of the block.
"""
import gc
import re
import textwrap
from pathlib import Path

import pytest
from moto import mock_aws

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
PAGES = ["index.rst", "migrating.rst", "single-table.rst", "testing.rst", "costs.rst"]

_DIRECTIVE = re.compile(r"^(?P<indent>\s*)\.\. code-block:: python\s*$")


def code_blocks(path):
    """``(line number, source)`` of each python code block of an rst page, in order."""
    lines = path.read_text().splitlines()
    blocks = []
    at = 0
    while at < len(lines):
        match = _DIRECTIVE.match(lines[at])
        at += 1
        if not match:
            continue
        indent = len(match.group("indent"))
        while at < len(lines) and lines[at].strip().startswith(":"):  # directive options
            at += 1
        start = at
        body = []
        while at < len(lines) and (not lines[at].strip() or len(lines[at]) - len(lines[at].lstrip()) > indent):
            body.append(lines[at])
            at += 1
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
            start += 1
        blocks.append((start + 1, textwrap.dedent("\n".join(body))))
    return blocks


def test_code_blocks_are_found():
    blocks = code_blocks(DOCS / "migrating.rst")
    assert len(blocks) > 10
    assert blocks[0][1].startswith("from bloop import")
    assert all(source and not source[0].isspace() for _, source in blocks)


@pytest.mark.parametrize("page", PAGES)
def test_code_blocks_run(page):
    namespace = {"__name__": f"docs.{page}"}
    with mock_aws():
        for line, source in code_blocks(DOCS / page):
            exec(compile(source, f"docs/{page}, block at line {line}", "exec"), namespace)
    namespace.clear()
    gc.collect()  # receivers and models the page made go now, not during later tests


README = DOCS.parent / "README.md"


def readme_blocks():
    """``(line number, source)`` of each ```python block of the README, in order."""
    text = README.read_text()
    return [(text.count("\n", 0, match.start(1)) + 1, match.group(1))
            for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M)]


def test_readme_code_blocks_run():
    """Every block runs, in order, as written: none is skipped (the FastAPI sketch defines
    its app and sends nothing until a request comes), and the tour's stream block reads
    the stream its model declares (without one, ``engine.stream`` raises InvalidStream)."""
    blocks = readme_blocks()
    assert len(blocks) >= 8
    namespace = {"__name__": "docs.README"}
    with mock_aws():
        for line, source in blocks:
            exec(compile(source, f"README.md, block at line {line}", "exec"), namespace)
        assert "fastapi" in namespace["FastAPI"].__module__ and namespace["app"].routes
    namespace.clear()
    gc.collect()

"""The test suite itself: no comparison of an expression with itself (a tautology that passes
whatever the code does)."""
import ast
import pathlib

TESTS = pathlib.Path(__file__).resolve().parents[1]


def self_comparisons(source: str):
    """``a == a``, ``f(x) == f(x)``, ``x is x``: each (line, text) where both sides are one expression
    (``x != x``, the test for NaN, is left alone)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            left = node.left
            for op, right in zip(node.ops, node.comparators):
                if not isinstance(op, ast.NotEq) and ast.dump(left) == ast.dump(right):
                    yield node.lineno, ast.unparse(node)
                left = right


def test_the_checker_finds_a_tautology():
    assert [line for line, _ in self_comparisons("x = f()\nassert f(x) == f(x)\nassert 1 < x < x\n")] == [2, 3]
    assert list(self_comparisons("assert f(x) == f(y)\nassert a[0] == a[1]\nassert nan != nan\n")) == []


def test_no_test_compares_a_result_with_itself():
    found = [f"{path.relative_to(TESTS)}:{line}: {text}"
             for path in sorted(TESTS.rglob("*.py"))
             for line, text in self_comparisons(path.read_text(encoding="utf-8"))]
    assert not found, "tautologies:\n" + "\n".join(found)


def test_tox_installs_what_make_test_installs():
    import configparser
    import re
    root = TESTS.parent
    make = re.search(r"pip install [^\n]*-e '\.\[([^\]]*)\]'", (root / "Makefile").read_text(encoding="utf-8"))
    assert make is not None, "the Makefile's pip install -e '.[...]' line"
    tox = configparser.ConfigParser()
    tox.read(root / "tox.ini", encoding="utf-8")
    extras = {e.strip() for e in re.split(r"[,\s]+", tox["testenv"]["extras"]) if e.strip()}
    assert extras == set(make.group(1).split(","))

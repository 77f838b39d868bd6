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

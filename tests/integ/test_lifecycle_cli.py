"""The command-line session of docs/lifecycle.rst, run as written against the moto server.

The page's captioned blocks become the files they name; each ``$`` line of its console
block runs in that directory: ``bloop ...`` through :func:`bloop.cli.main` in this process
(stdout and stderr in one stream, as a log shows them), ``export NAME=...`` sets the
variable (to this test's server), ``echo $?`` prints the last exit code, anything else runs
in bash.  The output must match the page, where a line ``...`` stands for any lines and
``...`` in a line for any text; the test's own table-name prefix is taken out of the output.
"""
import io
import os
import re
import shlex
import subprocess
import textwrap
import uuid
from pathlib import Path

from bloop.cli import main

PAGE = Path(__file__).resolve().parents[2] / "docs" / "lifecycle.rst"


def blocks(text):
    """``(language, caption, body)`` of each code block of an rst page."""
    found = []
    lines = text.splitlines()
    at = 0
    while at < len(lines):
        match = re.match(r"^(\s*)\.\. code-block:: (\w+)\s*$", lines[at])
        at += 1
        if not match:
            continue
        indent, caption = len(match.group(1)), None
        while at < len(lines) and lines[at].strip().startswith(":"):
            option = lines[at].strip()
            if option.startswith(":caption:"):
                caption = option.partition(":caption:")[2].strip()
            at += 1
        body = []
        while at < len(lines) and (not lines[at].strip() or len(lines[at]) - len(lines[at].lstrip()) > indent):
            body.append(lines[at])
            at += 1
        found.append((match.group(2), caption, textwrap.dedent("\n".join(body)).strip("\n")))
    return found


def session(text):
    """``(command, expected output lines)`` of each ``$`` line of a console block."""
    steps = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def matches(expected, actual):
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(matches(rest, actual[i:]) for i in range(len(actual) + 1))
    if not actual:
        return False
    if re.fullmatch(".*".join(re.escape(part) for part in head.split("...")), actual[0]):
        return matches(rest, actual[1:])
    return False


def test_the_session_runs_as_written(tmp_path, monkeypatch):
    from tests.integ.conftest import _server
    found = blocks(PAGE.read_text())
    for language, caption, body in found:
        first = body.splitlines()[0] if body else ""
        if caption is None and language == "python" and re.fullmatch(r"# [\w/]+\.py", first):
            caption = first[2:]  # a block that starts with its file's name
        if caption:
            (tmp_path / caption).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / caption).write_text(body + "\n")
    (tmp_path / "myapp" / "__init__.py").write_text("")
    console = [body for language, _, body in found if language == "console"]
    assert len(console) == 1
    url = _server("moto_server").url
    template = f"doc-{uuid.uuid4().hex[:6]}-{{table_name}}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("BLOOP_TABLE_NAME_TEMPLATE", template)
    code = 0
    ran = []
    for command, expected in session(console[0]):
        if command.startswith("export "):
            name, _, _ = command[len("export "):].partition("=")
            monkeypatch.setenv(name, url)
            output = ""
        elif command == "echo $?":
            output = f"{code}\n"
        elif command.startswith("bloop "):
            args = shlex.split(command)[1:]
            stream = io.StringIO()
            code = main(args, out=stream, err=stream)
            output = stream.getvalue().replace(template.format(table_name=""), "")
        else:
            done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=dict(os.environ))
            code, output = done.returncode, done.stdout + done.stderr
        actual = output.splitlines()
        assert matches(expected, actual), f"$ {command}\nexpected:\n" + "\n".join(expected) + \
            "\nactual:\n" + "\n".join(actual)
        ran.append(command)
    assert len(ran) >= 10


def test_the_python_blocks_run(tmp_path, monkeypatch):
    """The page's python blocks, in order, in one namespace, against moto in-process."""
    from moto import mock_aws

    from tests.integ.test_docs import code_blocks
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "docs.lifecycle"}
    ran = 0
    with mock_aws():
        for line, source in code_blocks(PAGE):
            exec(compile(source, f"{PAGE.name}:{line}", "exec"), namespace)
            ran += 1
    assert ran >= 3

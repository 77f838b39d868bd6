"""The README's typing claim, as a user meets it: mypy, run with this venv's python on a
file in a project of its own (outside the checkout, no PYTHONPATH), finds the installed
bloop and its types.

It fails when the install hides bloop from type checkers, as setuptools' default editable
install does ("Cannot find implementation or library stub for module named 'bloop'"):
the Makefile installs in compat mode for this.
"""
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

USER_FILE = textwrap.dedent('''\
    from bloop import BaseModel, Column, Engine, Integer, String


    class User(BaseModel):
        id = Column(String, hash_key=True)
        name = Column(String)
        age = Column(Integer)


    class Order(BaseModel):
        id: Column[str] = Column(String, hash_key=True)
        qty: Column[int] = Column(Integer)


    engine = Engine()


    class Visit(engine.model):  # flagged: made at run time (the README says so)
        id = Column(String, hash_key=True)


    user = User(id="u1", name="Ada")
    reveal_type(user.name)
    reveal_type(User.name)
    reveal_type(engine.query(User, key=User.id == "u1").first())
    user.age = 36
    user.age = "old"  # flagged
    Order(id="o1", qty="x")  # flagged
''')


def test_mypy_sees_the_installed_bloop_from_another_project(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    assert ROOT not in project.parents
    (project / "app.py").write_text(USER_FILE)
    env = {name: value for name, value in os.environ.items()
           if name not in ("PYTHONPATH", "MYPYPATH")}
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "app.py"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600)
    out = result.stdout + result.stderr
    assert "Cannot find implementation or library stub" not in out, out
    revealed = re.findall(r'^app\.py:\d+: note: Revealed type is "(.*)"$', out, flags=re.M)
    assert revealed == ["str | None", "bloop.models.Column[str]", "app.User | None"], out
    flagged = [str(number) for number, line in enumerate(USER_FILE.splitlines(), 1)
               if "# flagged" in line]
    errors = re.findall(r"^app\.py:(\d+): error: (.*)  \[(\S+)\]$", out, flags=re.M)
    assert [(line, code) for line, _, code in errors] == \
        list(zip(flagged, ["name-defined", "assignment", "arg-type"])), out
    assert errors[0][1] == 'Name "engine.model" is not defined', out
    assert len(re.findall(r": error: ", out)) == 3, out  # nothing else, nothing in bloop

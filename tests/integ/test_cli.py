"""Backfills, exports, imports and the ``bloop`` command line against real HTTP endpoints
(a moto server and dynalite): interrupted jobs resumed to exactly once, rejects, exit codes.

Lean: one table per backend for most cases, small tables, segments run in this process
except where processes are the point (the command line's ``--workers 2``).
"""
import importlib
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from bloop import BaseModel, Binary, Column, Engine, GlobalSecondaryIndex, Integer, String
from bloop.backfill import Backfill
from bloop.cli import EXIT_CHANGES, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_REFUSED, EXIT_REJECTS, EXIT_USAGE, main
from bloop.jobs import EngineSpec
from bloop.transfer import Export, import_items

ROOT = Path(__file__).resolve().parents[2]
SERVERS = pytest.mark.parametrize("backend", ["moto_server", "dynalite"], indirect=True)


class Tally(BaseModel):
    class Meta:
        table_name = "tally"

    id = Column(String, hash_key=True)
    n = Column(Integer)
    blob = Column(Binary)


class Interrupt(Exception):
    pass


class Bump:
    """Adds 1 to every item's n (not idempotent: a second application shows), and raises
    after ``fail_after`` calls when set (a crash in the middle of a segment)."""

    def __init__(self, fail_after=None):
        self.calls = 0
        self.fail_after = fail_after

    def __call__(self, obj):
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise Interrupt(f"stopped after {self.fail_after}")
        obj.n += 1


@pytest.fixture
def spec(backend, prefix):
    return EngineSpec(backend["endpoint_url"], "us-east-1", prefix + "{table_name}")


@pytest.fixture
def tally(spec):
    engine = spec.engine()
    engine.bind(Tally)
    engine.save([Tally(id=f"{i:03d}", n=i, blob=bytes([i % 256, 0, 255])) for i in range(120)])
    return engine


def _values(engine):
    return {obj.id: obj.n for obj in engine.scan(Tally).consistent}


class Versioned(BaseModel):
    class Meta:
        table_name = "versioned"

    id = Column(String, hash_key=True)
    n = Column(Integer)
    version = Column(Integer, version=True)


@pytest.mark.parametrize("backend", ["moto_server"], indirect=True)
def test_backfill_rereads_an_item_changed_under_it_and_leaves_a_deleted_one_deleted(spec, tmp_path):
    engine, other = spec.engine(), spec.engine()
    engine.bind(Versioned)
    other.bind(Versioned)
    engine.save([Versioned(id=str(i), n=i + 1) for i in range(6)])
    meddled = []

    def double(obj):
        if obj.id not in meddled and obj.id in ("1", "2"):
            meddled.append(obj.id)
            if obj.id == "1":  # another writer moves its version on between the read and the update
                theirs = Versioned(id="1")
                other.load(theirs)
                theirs.n = 100
                other.save(theirs)
            else:  # another writer deletes it
                other.delete(Versioned(id="2"), check_version=False)
        obj.n *= 2

    result = Backfill(Versioned, double, tmp_path / "cp", segments=1).run(engine)
    assert (result.processed, result.changed, result.gone) == (6, 5, 1)
    found = {obj.id: (obj.n, obj.version) for obj in engine.scan(Versioned).consistent}
    assert found["1"] == (200, 3)  # the other writer's value, doubled on a fresh read
    assert "2" not in found  # not recreated
    assert found["5"] == (12, 2)

    # a capacity budget spends what DynamoDB reports consuming (the engine counts capacity)
    counting = spec.engine(capacity=True)
    now, slept = [0.0], []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds
    job = Backfill(Versioned, double, tmp_path / "budget", segments=1, budget=2)
    job.segments()[0].run(counting, clock=lambda: now[0], sleep=sleep)
    reported = counting.capacity.total.total
    assert reported > 0  # a scan and five updates, as the backend reports them
    assert now[0] == pytest.approx(reported / 2)  # at 2 units a second

    # exported and imported into another table: versions as they were (whole items, no condition)
    Export(Versioned, tmp_path / "out", segments=1).run(engine)
    copy = EngineSpec(spec.endpoint_url, "us-east-1", "copy-" + spec.table_name_template).engine()
    copy.bind(Versioned)
    imported = import_items(copy, Versioned, tmp_path / "out", tmp_path / "rejects.jsonl")
    assert (imported.written, imported.rejected) == (5, 0)
    assert {obj.id: (obj.n, obj.version) for obj in copy.scan(Versioned).consistent} == \
        {key: (n * 2, version + 1) for key, (n, version) in found.items()}


class Flaky:
    """The engine's transport, failing after ``scans`` scan requests (an interrupted export),
    or, with ``then``, calling it there instead (e.g. what Ctrl-C does: ask the job to stop)."""

    def __init__(self, inner, scans, then=None):
        self.inner, self.scans, self.then = inner, scans, then

    def send(self, calls):
        for call in calls:
            if call.operation == "scan":
                self.scans -= 1
                if self.scans == -1 and self.then is not None:
                    self.then()
                elif self.scans < 0 and self.then is None:
                    raise Interrupt("connection lost")
        return self.inner.send(calls)


@SERVERS
def test_backfill_and_export_interrupted_resume_exactly_once(tally, spec, tmp_path):
    """One table per backend: a backfill crashes and resumes, then an export of the result
    is cut off, resumed, and imported into another table."""
    job = Backfill(Tally, Bump(fail_after=50), tmp_path / "cp", segments=3, engine=spec)
    with pytest.raises(Interrupt):
        job.run(tally)
    partial = job.status()
    assert 0 < partial.processed < 120 and not partial.complete
    job.function = Bump()  # the same function, now without the crash
    result = job.run(tally)
    assert result.complete and result.processed == 120 and result.changed == 120
    assert _values(tally) == {f"{i:03d}": i + 1 for i in range(120)}  # every item bumped exactly once
    assert job.run(tally).processed == 120  # done: nothing read again

    out = tmp_path / "export"
    job = Export(Tally, out, segments=2, engine=spec, page_size=15)
    real = tally.transport
    tally.transport = Flaky(real, scans=3)
    with pytest.raises(Interrupt):
        job.run(tally)
    first = job.status().items
    assert 0 < first < 120
    tally.transport = Flaky(real, scans=1, then=job.checkpoint.stop)  # Ctrl-C: stop after this page
    with pytest.raises(KeyboardInterrupt, match="stopped, its position recorded"):
        job.run(tally)
    tally.transport = real
    assert first < job.status().items < 120
    with open(job.file(0), "a") as part:  # a process killed while writing a page
        part.write('{"Item": {"id": {"S": "half')
    result = job.run(tally)
    assert result.complete and result.items == 120
    lines = [json.loads(line) for path in result.files for line in path.read_text().splitlines()]
    assert sorted(line["Item"]["id"]["S"] for line in lines) == [f"{i:03d}" for i in range(120)]
    assert {"id": {"S": "005"}, "n": {"N": "6"}, "blob": {"B": "BQD/"}} in [line["Item"] for line in lines]

    # the export imported into another table: every type back exactly
    other = EngineSpec(spec.endpoint_url, "us-east-1", "copy-" + spec.table_name_template).engine()
    other.bind(Tally)
    imported = import_items(other, Tally, out, tmp_path / "rejects.jsonl")
    assert (imported.read, imported.written, imported.rejected) == (120, 120, 0)
    assert not (tmp_path / "rejects.jsonl").exists()
    assert _values(other) == _values(tally)
    assert other.scan(Tally).filter(Tally.id == "005").one().blob == bytes([5, 0, 255])


def test_import_rejects_what_was_not_written(proxy, tmp_path):
    """Lines that cannot be read, items of no use to the model, and items DynamoDB never
    confirmed (left unprocessed past the deadline) all reach the rejects file."""
    prefix = f"imp-{uuid.uuid4().hex[:6]}-"
    engine = Engine(endpoint_url=proxy.url, region_name="us-east-1", table_name_template=prefix + "{table_name}",
                    batch_deadline=0.3)
    engine.bind(Tally)
    source = tmp_path / "in.jsonl"
    good = [{"Item": {"id": {"S": f"g{i}"}, "n": {"N": str(i)}}} for i in range(30)]
    source.write_text("\n".join([json.dumps(line) for line in good] + [
        "{not json",
        json.dumps({"Item": {"n": {"N": "1"}}}),  # no key
        json.dumps({"id": {"S": "bad-b64"}, "blob": {"B": "***"}}),
        json.dumps({"Item": {"id": {"S": "stuck"}, "n": {"N": "7"}}}),
    ]) + "\n")
    proxy.faults.stuck = lambda entry: "stuck" in json.dumps(entry)
    result = import_items(engine, Tally, source, tmp_path / "rejects.jsonl")
    assert (result.read, result.written, result.rejected) == (34, 30, 4)
    rejects = [json.loads(line) for line in (tmp_path / "rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [31, 32, 33, 34]
    assert rejects[0]["text"] == "{not json" and "not JSON" in rejects[0]["reason"]
    assert "MissingKey" in rejects[1]["reason"] and "base64" in rejects[2]["reason"]
    assert "not confirmed written" in rejects[3]["reason"] and rejects[3]["item"]["id"] == {"S": "stuck"}
    assert engine.scan(Tally).count() == 30


# ----------------------------------------------------------------------------- command line
MODELS = '''
import time

from bloop import BaseModel, Column, Integer, String


class Tally(BaseModel):
    class Meta:
        table_name = "tally"

    id = Column(String, hash_key=True)
    n = Column(Integer)


def bump(obj):
    obj.n += 1


def slow_bump(obj):
    time.sleep(0.01)
    obj.n += 1


calls = []


def bump_but_stop_once(obj):
    calls.append(obj.id)
    if len(calls) == 25:
        raise KeyboardInterrupt  # Ctrl-C in the middle of a segment
    obj.n += 1
'''


def bloop(*args, cwd, env=None, module=True):
    """Run the command line as a subprocess (``python -m bloop.cli`` or the console script's
    function), returning (exit code, stdout, stderr)."""
    command = [sys.executable, "-m", "bloop.cli"] if module else \
        [sys.executable, "-c", "from bloop.cli import run; run()"]
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(cwd)]), **(env or {}))
    done = subprocess.run(command + list(args), cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=120)
    return done.returncode, done.stdout, done.stderr


def run_main(*args):
    """The command line in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@SERVERS
def test_command_line_exit_codes_and_output(backend, prefix, tmp_path, monkeypatch):
    name = f"shopmodels_{backend['name']}"  # a module of its own per backend: its state starts afresh
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(MODELS))
    connect = ["--endpoint-url", backend["endpoint_url"], "--region", "us-east-1",
               "--table-name-template", prefix + "{table_name}"]
    engine = Engine(endpoint_url=backend["endpoint_url"], region_name="us-east-1",
                    table_name_template=prefix + "{table_name}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    models = importlib.import_module(name)
    engine.bind(models.Tally)
    engine.save([models.Tally(id=str(i), n=i) for i in range(40)])

    def total():
        return sum(obj.n for obj in engine.scan(models.Tally))

    backfill = ["backfill", f"{name}:bump", "--model", f"{name}:Tally", "--segments", "4", "--checkpoint", "cp"]
    if backend["name"] == "moto_server":  # as subprocesses on one backend (a second each)
        assert bloop("count", name, *connect, cwd=tmp_path) == (EXIT_OK, "Tally\t40\n", "")
        # the console script's function, with 2 worker processes
        code, out, err = bloop(*backfill, "--workers", "2", *connect, cwd=tmp_path, module=False)
        assert "backfill: 40 items (40 changed, 4/4 segments)" in err  # plain progress lines: no terminal
    else:
        code, out, err = run_main(*backfill, *connect)
    assert (code, out) == (EXIT_OK, "backfilled 40 items: 40 changed, 0 gone (checkpoint cp)\n"), err
    assert total() == sum(range(40)) + 40
    code, out, err = run_main(*backfill, *connect)
    assert (code, out) == (EXIT_OK, "backfilled 40 items: 40 changed, 0 gone (checkpoint cp)\n"), err
    assert total() == sum(range(40)) + 40  # done already: nothing bumped twice

    # interrupted (exit 130), then resumed: every item bumped exactly once more
    interrupted = ["backfill", f"{name}:bump_but_stop_once", "--model", f"{name}:Tally", "--segments", "2",
                   "--checkpoint", "cp2"]
    code, out, err = run_main(*interrupted, *connect)
    assert (code, out) == (EXIT_INTERRUPTED, ""), err
    assert "interrupted; run the same command again to continue" in err
    code, out, err = run_main(*interrupted, *connect)
    assert (code, out) == (EXIT_OK, "backfilled 40 items: 40 changed, 0 gone (checkpoint cp2)\n"), err
    assert total() == sum(range(40)) + 80

    code, out, err = run_main("export", f"{name}:Tally", "--out", "dump", "--segments", "2", *connect)
    assert (code, out) == (EXIT_OK, "exported 40 items to dump (2 part files)\n"), err
    with open(tmp_path / "dump" / "part-00000.jsonl", "a") as part:
        part.write("{oops\n")
    code, out, err = run_main("import", f"{name}:Tally", "dump", "--rejects", "rejects.jsonl", *connect)
    assert (code, out) == (EXIT_REJECTS, "read 41 lines: 40 written, 1 rejected (see rejects.jsonl)\n"), err
    code, out, err = run_main("export", prefix + "tally", "--table", "--out", "raw", "--segments", "1", *connect)
    assert (code, out) == (EXIT_OK, "exported 40 items to raw (1 part file)\n"), err
    assert len((tmp_path / "raw" / "part-00000.jsonl").read_text().splitlines()) == 40
    code, out, err = run_main("describe", f"{name}:Tally", *connect)
    assert code == EXIT_OK and json.loads(out)["TableName"] == prefix + "tally"

    # usage errors: exit 2, saying what is wrong, nothing sent
    assert run_main("count", "nosuchmodule", *connect)[0] == EXIT_USAGE
    code, _, err = run_main("backfill", f"{name}:nothing", "--model", f"{name}:Tally", *connect)
    assert code == EXIT_USAGE and "has no 'nothing'" in err
    code, _, err = run_main(*backfill[:5], "3", "--checkpoint", "cp", *connect)
    assert code == EXIT_USAGE and "another job" in err
    assert run_main("export", f"{name}:Tally", *connect)[0] == EXIT_USAGE  # no --out
    # a failed request: exit 1, naming the error
    code, _, err = run_main("count", name, *connect[:-1], "missing-{table_name}")
    assert code == EXIT_ERROR and "TableNotFound" in err


@pytest.mark.parametrize("backend", ["moto_server"], indirect=True)
def test_ctrl_c_stops_worker_processes_cleanly_and_the_run_resumes_exactly_once(backend, prefix, tmp_path):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) while 2 worker processes
    backfill: each stops after recording its position; exit 130; run again: every item once."""
    (tmp_path / "sigmodels.py").write_text(textwrap.dedent(MODELS))
    sys.path.insert(0, str(tmp_path))
    try:
        models = importlib.import_module("sigmodels")
    finally:
        sys.path.remove(str(tmp_path))
    engine = Engine(endpoint_url=backend["endpoint_url"], region_name="us-east-1",
                    table_name_template=prefix + "{table_name}")
    engine.bind(models.Tally)
    engine.save([models.Tally(id=str(i), n=0) for i in range(80)])
    command = [sys.executable, "-m", "bloop.cli", "backfill", "sigmodels:slow_bump", "--model", "sigmodels:Tally",
               "--workers", "2", "--segments", "4", "--checkpoint", "cp", "--endpoint-url", backend["endpoint_url"],
               "--region", "us-east-1", "--table-name-template", prefix + "{table_name}"]
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    job = Backfill(models.Tally, models.slow_bump, tmp_path / "cp", segments=4)
    running = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while job.status().processed < 10 and time.monotonic() < deadline and running.poll() is None:
            time.sleep(0.05)
        os.killpg(running.pid, signal.SIGINT)
        out, err = running.communicate(timeout=60)
    finally:
        if running.poll() is None:
            os.killpg(running.pid, signal.SIGKILL)
    assert running.returncode == EXIT_INTERRUPTED, err
    assert "interrupted; run the same command again to continue" in err and "Traceback" not in err
    stopped = job.status()
    assert 0 < stopped.processed < 80
    assert sum(obj.n for obj in engine.scan(models.Tally)) == stopped.changed  # every change recorded
    done = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == EXIT_OK, done.stderr
    assert {obj.n for obj in engine.scan(models.Tally)} == {1}  # every item bumped exactly once


class Indexed(BaseModel):
    """Tally's table as an earlier release had it: with an index the model no longer declares."""

    class Meta:
        table_name = "tally"

    id = Column(String, hash_key=True)
    n = Column(Integer)
    by_n = GlobalSecondaryIndex(projection="keys", hash_key="n")


@pytest.mark.parametrize("backend", ["moto_server"], indirect=True)
def test_plan_and_apply_exit_codes(backend, prefix, tmp_path, monkeypatch):
    (tmp_path / "planmodels.py").write_text(textwrap.dedent(MODELS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    connect = ["--endpoint-url", backend["endpoint_url"], "--region", "us-east-1",
               "--table-name-template", prefix + "{table_name}"]
    code, out, _ = run_main("plan", "planmodels", *connect)
    assert code == EXIT_CHANGES and "+ table (hash id; on demand)" in out
    code, out, _ = run_main("apply", "planmodels", *connect)  # no --yes, no terminal to ask on
    assert code == EXIT_REFUSED and "+ table" in out
    assert run_main("apply", "planmodels", "--yes", *connect)[0] == EXIT_OK
    assert run_main("plan", "planmodels", *connect)[0] == EXIT_OK

    # the table has an index no model declares: removing it (--prune) is destructive
    Engine(endpoint_url=backend["endpoint_url"], region_name="us-east-1",
           table_name_template=f"{prefix}idx-{{table_name}}").bind(Indexed)
    pruned = ["--prune", "--table-name-template", f"{prefix}idx-{{table_name}}", *connect[:4]]
    code, out, _ = run_main("plan", "planmodels", *pruned)
    assert code == EXIT_CHANGES and "- global index 'by_n'" in out and "destructive" in out
    code, out, err = run_main("apply", "planmodels", "--yes", *pruned)
    assert code == EXIT_REFUSED and "1 destructive change(s) and no --allow-destructive" in err
    code, out, err = run_main("apply", "planmodels", "--yes", "--allow-destructive", *pruned)
    assert (code, out.splitlines()[-1]) == (EXIT_OK, "applied 1 change(s)"), err
    assert run_main("plan", "planmodels", *pruned)[0] == EXIT_OK


def test_help_and_usage_in_process(capsys):
    assert main(["--help"]) == EXIT_OK
    assert "exit codes" in capsys.readouterr().out
    for command in ("plan", "apply", "export", "import", "count", "describe", "backfill"):
        assert main([command, "--help"]) == EXIT_OK
        assert "--endpoint-url" in capsys.readouterr().out
    assert main(["export", "x:Y", "--out", "d", "--segments", "0"]) == EXIT_USAGE
    assert main([]) == EXIT_USAGE
    assert (EXIT_CHANGES, EXIT_INTERRUPTED) == (3, 130)


def test_dask_example_backfills_every_item_once(tmp_path):
    """examples/dask_backfill.py on a local Dask cluster against the moto server."""
    from tests.integ.conftest import _server
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import dask_backfill
    finally:
        sys.path.remove(str(ROOT / "examples"))
    engine, result = dask_backfill.main(_server("moto_server").url, str(tmp_path / "cp"))
    assert (result.processed, result.changed, result.segments_done) == (60, 60, 4)
    domains = {obj.domain for obj in engine.scan(dask_backfill.Account)}
    assert domains == {"example0.com", "example1.com", "example2.com"}

"""The I/O-free parts of backfills, exports and the command line: the capacity budget, the
checkpoint files, picklable segments, DynamoDB JSON, progress, and the command line's
arguments and refusals."""
import io
import json
import pickle
from decimal import Decimal

import pytest

from bloop import BaseModel, Column, Integer, String
from bloop.backfill import Backfill, BackfillResult
from bloop.cli import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, Context, Progress, UsageError, cmd_apply, main, \
    models_of, parser, resolve
from bloop.jobs import Budget, Checkpoint, CheckpointMismatch, EngineSpec
from bloop.transfer import Export, decode_item, encode_item


class Thing(BaseModel):
    class Meta:
        table_name = "things"

    id = Column(String, hash_key=True)
    n = Column(Integer)


def touch(thing):
    thing.n = 1


def test_budget_paces_to_units_per_second():
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds
    budget = Budget(10, clock=lambda: now[0], sleep=sleep)
    for _ in range(30):
        budget.spend(1.0)
    assert now[0] == pytest.approx(3.0)  # 30 units at 10 a second
    assert Budget.write_units(1025) == 2 and Budget.write_units(10) == 1
    assert Budget.read_units(100) == 0.5 and Budget.read_units(8193) == 1.5
    for bad in (0, -1, float("inf"), "10", True):
        with pytest.raises(ValueError, match="capacity budget"):
            Budget(bad)


def test_checkpoint_files_are_replaced_whole_and_belong_to_one_job(tmp_path):
    checkpoint = Checkpoint(tmp_path / "cp")
    checkpoint.open({"kind": "backfill", "segments": 2})
    checkpoint.open({"kind": "backfill", "segments": 2})  # the same job again: fine
    checkpoint.write(1, {"position": "x", "processed": 3})
    assert checkpoint.records(2) == [{}, {"position": "x", "processed": 3}]
    assert sorted(p.name for p in (tmp_path / "cp").iterdir()) == ["job.json", "segment-00001.json"]
    with pytest.raises(CheckpointMismatch, match=r"its segments differ: \{'segments': 2\} there, "
                                                 r"\{'segments': 3\} now\); nothing was read or written"):
        checkpoint.open({"kind": "backfill", "segments": 3})
    assert isinstance(CheckpointMismatch("x"), ValueError)


def test_segments_pickle_without_their_engine(tmp_path):
    spec = EngineSpec("http://h:1", "eu-west-1", "p-{table_name}")
    job = Backfill(Thing, touch, tmp_path / "cp", segments=3, engine=spec, budget=30, workers=2)
    segments = job.segments()
    segments[0].engine = object()  # an engine never crosses processes
    copy = pickle.loads(pickle.dumps(segments[0]))
    assert copy.engine is None and copy.index == 0 and copy.budget == 15
    assert copy.job.function is touch and copy.job.engine_spec.table_name_template == "p-{table_name}"
    assert json.loads((tmp_path / "cp" / "job.json").read_text()) == {
        "kind": "backfill", "model": "tests.unit.test_jobs:Thing", "table": "things",
        "function": "tests.unit.test_jobs:touch", "segments": 3}
    export = pickle.loads(pickle.dumps(Export("raw-table", tmp_path / "out", segments=2).segments()[1]))
    assert export.index == 1 and export.job.describe() == {"kind": "export", "target": "raw-table", "segments": 2}
    assert repr(BackfillResult(3, 2, 1, 1, 2)) == "<BackfillResult processed=3 changed=2 gone=1 segments=1/2>"


def test_bad_jobs_are_refused_before_anything_is_read(tmp_path):
    with pytest.raises(ValueError, match="concrete model"):
        Backfill(object, touch, tmp_path)
    with pytest.raises(ValueError, match="callable"):
        Backfill(Thing, "touch", tmp_path)
    with pytest.raises(ValueError, match="segments"):
        Backfill(Thing, touch, tmp_path, segments=0)
    with pytest.raises(ValueError, match="segments"):
        Export(Thing, tmp_path, segments=True)
    assert not list(tmp_path.iterdir())


def test_dynamodb_json_round_trips_every_type():
    item = {"s": {"S": "é"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xff"}, "t": {"BOOL": True}, "z": {"NULL": True},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": [b"\x01", b"\x02"]},
            "m": {"M": {"inner": {"L": [{"B": b"x"}, {"N": "3"}, {"M": {}}]}}}, "l": {"L": []}}
    text = json.dumps(encode_item(item))
    assert '"b": {"B": "AP8="}' in text
    assert decode_item(json.loads(text)) == item
    for bad, why in [([], "non-empty JSON object"), ({"a": "x"}, "one typed value"), ({"a": {"Q": 1}}, "unknown type"),
                     ({"a": {"B": "!!"}}, "base64"), ({"a": {"M": []}}, "M holds an object"),
                     ({"a": {"L": {}}}, "L holds a list"), ({"a": {"S": "x", "N": "1"}}, "one typed value")]:
        with pytest.raises(ValueError, match=why):
            decode_item(bad)
    assert Decimal(decode_item({"n": {"N": "1.50"}})["n"]["N"]) == Decimal("1.5")


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_is_plain_lines_without_a_terminal():
    stream, clock = io.StringIO(), Clock()
    progress = Progress("export", "items", True, stream, every=2.0, clock=clock)
    assert progress.bar is None
    progress.update(10, "1/4 segments")
    clock.now = 2.5
    progress.update(20, "2/4 segments")
    progress.update(30)  # too soon after the last line
    clock.now = 5.0
    progress.close(40, "4/4 segments")
    assert stream.getvalue() == "export: 20 items (2/4 segments)\nexport: 40 items (4/4 segments)\n"
    quiet = io.StringIO()
    Progress("export", "items", False, quiet).close(40)
    assert quiet.getvalue() == ""


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_tqdm_bar_on_a_terminal():
    stream = Terminal()
    progress = Progress("backfill", "items", True, stream)
    assert type(progress.bar).__module__.startswith("tqdm")
    progress.update(5, "1 changed")
    progress.close(7, "2 changed")
    assert "backfill: " in stream.getvalue() and "7 items" in stream.getvalue() and "2 changed" in stream.getvalue()


def test_models_are_named_by_import_path():
    assert models_of("tests.unit.test_jobs:Thing") == [Thing]
    assert Thing in models_of("tests.unit.test_jobs")
    assert resolve("tests.unit.test_jobs:touch") is touch
    for path, why in [("tests.unit.test_jobs:Nope", "has no 'Nope'"), ("no.such.module", "cannot import"),
                      ("tests.unit.test_jobs:touch", "not a concrete model"), ("json", "no concrete model")]:
        with pytest.raises(UsageError, match=why):
            models_of(path)
    with pytest.raises(UsageError, match="is not module:name"):
        resolve("touch")


class Change:
    def __init__(self, impact):
        self.impact = impact


class FakePlan:
    """A plan as engine.plan returns one: its changes, each with an impact."""

    def __init__(self, *impacts):
        self.changes = [Change(impact) for impact in impacts]

    def __iter__(self):
        return iter(self.changes)

    def __str__(self):
        return "\n".join(f"~ {c.impact}" for c in self.changes)


class PlanningEngine:
    """The two engine methods the command line's plan and apply call; records applies."""

    def __init__(self, plan):
        self._plan, self.applied = plan, []

    def plan(self, *models):
        return self._plan

    def apply(self, plan, allow_destructive=False, progress=None, deadline=None):
        self.applied.append((plan, allow_destructive))
        progress("step 1")
        return list(plan)


def _apply(argv, plan):
    args = parser().parse_args(["apply", "tests.unit.test_jobs:Thing"] + argv)
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(args, out, err)
    ctx._engine = PlanningEngine(plan)
    return cmd_apply(ctx), out.getvalue(), err.getvalue(), ctx._engine.applied


def test_apply_refuses_destructive_changes_and_unconfirmed_plans():
    plan = FakePlan("online", "destructive")
    code, out, err, applied = _apply(["--yes"], plan)
    assert (code, applied) == (EXIT_REFUSED, []) and "1 destructive change(s)" in err and "~ destructive" in out
    code, _, err, applied = _apply(["--allow-destructive"], plan)  # stdin is no terminal here
    assert (code, applied) == (EXIT_REFUSED, []) and "not confirmed" in err
    code, out, err, applied = _apply(["--allow-destructive", "--yes"], plan)
    assert (code, applied) == (EXIT_OK, [(plan, True)]) and out.endswith("applied 2 change(s)\n")
    assert err == "apply: step 1\n"
    code, _, _, applied = _apply([], FakePlan())
    assert (code, applied) == (EXIT_OK, [])
    code, _, err, applied = _apply(["--allow-destructive", "--yes"], FakePlan("impossible"))
    assert (code, applied) == (EXIT_REFUSED, []) and "cannot make in place" in err


def test_usage_errors_exit_2(capsys):
    assert main(["count"]) == EXIT_USAGE
    assert "the following arguments are required" in capsys.readouterr().err
    assert main(["backfill", "m:f", "--model", "m:M", "--workers", "x"]) == EXIT_USAGE
    assert main(["count", "no.such.module"]) == EXIT_USAGE
    assert "bloop count: cannot import 'no.such.module'" in capsys.readouterr().err


def test_ctrl_c_asks_the_job_to_stop_and_a_second_one_raises(tmp_path):
    import os
    import signal
    from bloop.jobs import stop_on_interrupt
    checkpoint = Checkpoint(tmp_path)
    checkpoint.open({"kind": "export"})
    with stop_on_interrupt(checkpoint.stop):
        os.kill(os.getpid(), signal.SIGINT)  # handled at once, in this (the main) thread
        assert checkpoint.stopping()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    checkpoint.open({"kind": "export"})  # a new run: the stop is forgotten
    assert not checkpoint.stopping()


def test_the_console_script_is_declared():
    from pathlib import Path

    from bloop import cli
    setup = (Path(__file__).resolve().parents[2] / "setup.py").read_text()
    assert '"console_scripts": ["bloop = bloop.cli:run"],' in setup
    assert callable(cli.run)

"""The ``bloop`` command line: plan and apply table changes, export, import, count,
describe, and backfill, for models named by import path.

``bloop plan myapp.models`` (every concrete model defined in the module) or
``bloop count myapp.models:User`` (one model).  Every command takes ``--endpoint-url``,
``--region`` and ``--table-name-template``, and otherwise the usual AWS environment
(``AWS_PROFILE``, ``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``, ...).  Progress goes to
stderr: a bar (tqdm) on a terminal, a plain line every few seconds otherwise; results go
to stdout.

Exit codes (``EXIT_*`` below; scripts can rely on them):

====  ==================================================================================
0     done (``plan``: the tables match the models)
1     failed: DynamoDB or bloop refused or failed a request (the message says what was done)
2     usage: bad arguments, a module or name that cannot be imported, no model found,
      a checkpoint of another job
3     ``plan``: there are changes to apply
4     ``import``: finished, and some lines were rejected (see the rejects file)
5     ``apply``: refused: destructive changes without ``--allow-destructive``, or not
      confirmed (no ``--yes`` and no terminal to ask on); nothing was changed
130   interrupted (Ctrl-C); ``export`` and ``backfill`` continue where they stopped when run
      again with the same arguments
====  ==================================================================================
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from typing import Any, Callable, List, Optional, Sequence, TextIO

from .exceptions import BloopException, InvalidConfiguration
from .lifecycle import PlanRefused
from .models import model_meta

__all__ = ["main", "EXIT_OK", "EXIT_ERROR", "EXIT_USAGE", "EXIT_CHANGES", "EXIT_REJECTS", "EXIT_REFUSED",
           "EXIT_INTERRUPTED"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CHANGES = 3
EXIT_REJECTS = 4
EXIT_REFUSED = 5
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad arguments: exit code 2."""


# ------------------------------------------------------------------------------- resolving
def _import(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise UsageError(f"cannot import {module!r}: {error}") from None


def resolve(path: str) -> Any:
    """``module:name`` (dots in the name reach attributes) -> the object."""
    if ":" not in path:
        raise UsageError(f"{path!r} is not module:name")
    module, _, name = path.partition(":")
    obj = _import(module)
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UsageError(f"{module!r} has no {name!r}") from None
    return obj


def models_of(path: str) -> List[Any]:
    """The concrete models ``path`` names: ``module:Model``, or every concrete model defined
    in ``module`` (in the order they are defined)."""
    if ":" in path:
        model = resolve(path)
        if model_meta(model, concrete=True) is None:
            raise UsageError(f"{path} is not a concrete model")
        return [model]
    module = _import(path)
    found = [obj for obj in vars(module).values()
             if isinstance(obj, type) and obj.__module__ == module.__name__
             and model_meta(obj, concrete=True) is not None]
    if not found:
        raise UsageError(f"no concrete model is defined in {path!r}")
    return found


def one_model(path: str) -> Any:
    found = models_of(path)
    if len(found) != 1:
        names = ", ".join(f"{path}:{m.__name__}" for m in found)
        raise UsageError(f"{path} defines several models; name one: {names}")
    return found[0]


# ------------------------------------------------------------------------------- progress
class Progress:
    """A tqdm bar on a terminal, otherwise a plain line on ``stream`` every ``every`` seconds."""

    def __init__(self, label: str, unit: str, enabled: bool, stream: TextIO, every: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.unit, self.stream, self.every, self.clock = label, unit, stream, every, clock
        self.bar: Any = None
        self.enabled = enabled
        self.shown = -1
        self.last = clock()
        if enabled and _isatty(stream):
            try:
                from tqdm import tqdm  # type: ignore[import-untyped]
            except ImportError:  # the cli extra is not installed: plain lines
                pass
            else:
                self.bar = tqdm(desc=label, unit=f" {unit}", file=stream, dynamic_ncols=True)

    def update(self, done: int, detail: str = "") -> None:
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
            if detail:
                self.bar.set_postfix_str(detail, refresh=False)
            return
        if self.enabled and done != self.shown and self.clock() - self.last >= self.every:
            self._line(done, detail)

    def _line(self, done: int, detail: str) -> None:
        self.shown, self.last = done, self.clock()
        print(f"{self.label}: {done} {self.unit}" + (f" ({detail})" if detail else ""), file=self.stream, flush=True)

    def close(self, done: int, detail: str = "") -> None:
        if self.bar is not None:
            self.update(done, detail)
            self.bar.close()
        elif self.enabled and done != self.shown:
            self._line(done, detail)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# ------------------------------------------------------------------------------- commands
class Context:
    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args, self.out, self.err = args, out, err
        self._engine: Any = None

    @property
    def spec(self) -> Any:
        from .jobs import EngineSpec
        return EngineSpec(self.args.endpoint_url, self.args.region, self.args.table_name_template)

    @property
    def engine(self) -> Any:
        if self._engine is None:
            self._engine = self.spec.engine()
        return self._engine

    def progress(self, label: str, unit: str) -> Progress:
        return Progress(label, unit, not self.args.no_progress, self.err)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def _plan(ctx: Context) -> Any:
    models = [m for path in ctx.args.models for m in models_of(path)]
    options = {"prune": True} if ctx.args.prune else {}
    return ctx.engine.plan(*models, **options)


def cmd_plan(ctx: Context) -> int:
    plan = _plan(ctx)
    ctx.say(str(plan))
    return EXIT_CHANGES if list(plan) else EXIT_OK


def _impact(change: Any) -> str:
    return str(getattr(change, "impact", "online"))


def cmd_apply(ctx: Context) -> int:
    args = ctx.args
    plan = _plan(ctx)
    changes = list(plan)
    ctx.say(str(plan))
    if not changes:
        return EXIT_OK
    impossible = [c for c in changes if _impact(c) == "impossible"]
    if impossible:
        print(f"refused: {len(impossible)} change(s) DynamoDB cannot make in place (re-create the table: "
              "export, delete, create, import); nothing was changed", file=ctx.err)
        return EXIT_REFUSED
    destructive = [c for c in changes if _impact(c) == "destructive"]
    if destructive and not args.allow_destructive:
        print(f"refused: {len(destructive)} destructive change(s) and no --allow-destructive; nothing was "
              "changed", file=ctx.err)
        return EXIT_REFUSED
    if not args.yes:
        if not _isatty(sys.stdin):
            print("refused: not confirmed (pass --yes, or run on a terminal to be asked); nothing was changed",
                  file=ctx.err)
            return EXIT_REFUSED
        answer = input(f"apply {len(changes)} change(s)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not applied; nothing was changed", file=ctx.err)
            return EXIT_REFUSED

    def progress(event: Any) -> None:
        print(f"apply: {event}", file=ctx.err, flush=True)

    applied = ctx.engine.apply(plan, allow_destructive=args.allow_destructive, progress=progress,
                               deadline=args.deadline)
    count = len(applied) if isinstance(applied, list) else len(changes)
    ctx.say(f"applied {count} change(s)")
    return EXIT_OK


def cmd_export(ctx: Context) -> int:
    from .transfer import Export
    args = ctx.args
    target = args.target if args.table else one_model(args.target)
    job = Export(target, args.out, segments=args.segments, engine=ctx.spec)
    bar = ctx.progress("export", "items")
    try:
        result = job.run(ctx.engine if args.workers == 1 else None, workers=args.workers,
                         progress=lambda r: bar.update(r.items, f"{r.segments_done}/{r.segments} segments"))
    finally:
        status = job.status()
        bar.close(status.items, f"{status.segments_done}/{status.segments} segments")
    files = f"{result.segments} part file" + ("s" if result.segments != 1 else "")
    ctx.say(f"exported {result.items} items to {args.out} ({files})")
    return EXIT_OK


def cmd_import(ctx: Context) -> int:
    from .transfer import import_items
    args = ctx.args
    model = one_model(args.target)
    rejects = args.rejects or f"{args.source.rstrip('/')}.rejects.jsonl"
    bar = ctx.progress("import", "lines")
    result = None
    try:
        result = import_items(ctx.engine, model, args.source, rejects,
                              progress=lambda r: bar.update(r.read, f"{r.written} written, {r.rejected} rejected"))
    finally:
        if result is not None:
            bar.close(result.read, f"{result.written} written, {result.rejected} rejected")
    ctx.say(f"read {result.read} lines: {result.written} written, {result.rejected} rejected"
            + (f" (see {rejects})" if result.rejected else ""))
    return EXIT_REJECTS if result.rejected else EXIT_OK


def cmd_count(ctx: Context) -> int:
    engine = ctx.engine
    for path in ctx.args.models:
        for model in models_of(path):
            search = engine.scan(model)
            if ctx.args.consistent:
                search = search.consistent
            ctx.say(f"{model.__name__}\t{search.count()}")
    return EXIT_OK


def cmd_describe(ctx: Context) -> int:
    engine = ctx.engine
    if ctx.args.table:
        names = [ctx.args.target]
    else:
        names = [engine._table_name(model) for model in models_of(ctx.args.target)]
    tables = [engine.session.call("describe_table", {"TableName": name})["Table"] for name in names]
    ctx.say(json.dumps(tables[0] if len(tables) == 1 else tables, indent=2, sort_keys=True, default=str))
    return EXIT_OK


def cmd_backfill(ctx: Context) -> int:
    from .backfill import Backfill
    args = ctx.args
    function = resolve(args.function)
    if not callable(function):
        raise UsageError(f"{args.function} is not callable")
    model = one_model(args.model)
    checkpoint = args.checkpoint or f".bloop-backfill-{model.__name__}-{getattr(function, '__name__', 'f')}"
    job = Backfill(model, function, checkpoint, segments=args.segments, budget=args.budget, engine=ctx.spec,
                   workers=args.workers)
    bar = ctx.progress("backfill", "items")

    def shown(r: Any) -> None:
        bar.update(r.processed, f"{r.changed} changed, {r.segments_done}/{r.segments} segments")
    try:
        result = job.run(ctx.engine if args.workers == 1 else None, workers=args.workers, progress=shown)
    finally:
        status = job.status()
        bar.close(status.processed, f"{status.changed} changed, {status.segments_done}/{status.segments} segments")
    ctx.say(f"backfilled {result.processed} items: {result.changed} changed, {result.gone} gone "
            f"(checkpoint {checkpoint})")
    return EXIT_OK


# ------------------------------------------------------------------------------- arguments
def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection")
    group.add_argument("--endpoint-url", default=os.environ.get("BLOOP_ENDPOINT_URL"),
                       help="DynamoDB endpoint (default: $BLOOP_ENDPOINT_URL, else the AWS environment's)")
    group.add_argument("--region", default=None, help="AWS region (default: the AWS environment's)")
    group.add_argument("--table-name-template", default=os.environ.get("BLOOP_TABLE_NAME_TEMPLATE", "{table_name}"),
                       metavar="TEMPLATE", help="the engine's table_name_template, e.g. 'staging-{table_name}' "
                       "(default: $BLOOP_TABLE_NAME_TEMPLATE, else '{table_name}')")
    group.add_argument("--no-progress", action="store_true", help="no progress on stderr")

    top = argparse.ArgumentParser(
        prog="bloop", description="Plan and apply table changes, export, import, count, describe and backfill "
        "bloop models, named by import path (module or module:Model).",
        epilog="exit codes: 0 done, 1 failed, 2 usage, 3 plan has changes, 4 import rejected lines, "
               "5 apply refused, 130 interrupted (export and backfill resume when run again)")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, handler: Any, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=text, description=text)
        sub.set_defaults(handler=handler)
        return sub

    sub = command("plan", cmd_plan, "Show what differs between the models and their tables "
                  "(exit 0: nothing, 3: changes to apply).")
    sub.add_argument("models", nargs="+", metavar="MODELS", help="module or module:Model")
    sub.add_argument("--prune", action="store_true", help="also remove what no model declares")
    sub = command("apply", cmd_apply, "Apply the plan: one change at a time, waiting for each.")
    sub.add_argument("models", nargs="+", metavar="MODELS", help="module or module:Model")
    sub.add_argument("--prune", action="store_true", help="also remove what no model declares")
    sub.add_argument("--allow-destructive", action="store_true",
                     help="also apply changes that drop something (an index, a stream, ...)")
    sub.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    sub.add_argument("--deadline", type=float, default=3600.0, metavar="SECONDS",
                     help="stop waiting for DynamoDB after this long (default 3600; run again to resume)")
    sub = command("export", cmd_export, "Export a model or table to JSON Lines (one part file per segment); "
                  "run again to resume.")
    sub.add_argument("target", metavar="TARGET", help="module:Model, or a table name with --table")
    sub.add_argument("--out", required=True, metavar="DIR", help="the export directory")
    sub.add_argument("--table", action="store_true", help="TARGET is a table name")
    sub.add_argument("--segments", type=_positive, default=4, help="parallel scan segments (default 4)")
    sub.add_argument("--workers", type=_positive, default=1,
                     help="processes (default 1: segments one after another)")
    sub = command("import", cmd_import, "Import JSON Lines (a file or an export directory) into a model; "
                  "lines not written go to the rejects file.")
    sub.add_argument("target", metavar="MODEL", help="module:Model")
    sub.add_argument("source", metavar="SOURCE", help="a .jsonl file or an export directory")
    sub.add_argument("--rejects", metavar="FILE", help="the rejects file (default: SOURCE.rejects.jsonl)")
    sub = command("count", cmd_count, "Count the items of each model (a scan with Select=COUNT).")
    sub.add_argument("models", nargs="+", metavar="MODELS", help="module or module:Model")
    sub.add_argument("--consistent", action="store_true", help="strongly consistent reads")
    sub = command("describe", cmd_describe, "Print DescribeTable of a model's table (or of a table) as JSON "
                  "(a list for a module of several models).")
    sub.add_argument("target", metavar="TARGET", help="module, module:Model, or a table name with --table")
    sub.add_argument("--table", action="store_true", help="TARGET is a table name")
    sub = command("backfill", cmd_backfill, "Apply module:function to every item of a model, saving what "
                  "changed; run again to resume.")
    sub.add_argument("function", metavar="FUNCTION", help="module:function, called with each object")
    sub.add_argument("--model", required=True, help="module:Model")
    sub.add_argument("--checkpoint", metavar="DIR", help="checkpoint directory (default: "
                     ".bloop-backfill-<Model>-<function> here)")
    sub.add_argument("--segments", type=_positive, default=4, help="parallel scan segments (default 4)")
    sub.add_argument("--workers", type=_positive, default=1, help="processes (default 1)")
    sub.add_argument("--budget", type=float, metavar="UNITS",
                     help="capacity units per second for the whole backfill (default: no limit)")
    return top


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def main(argv: Optional[Sequence[str]] = None, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    """Run the command line; returns the exit code (see the module's docstring)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit:  # --help (0) or a usage error (2), already printed by argparse
        return int(exit.code or 0)
    if os.getcwd() not in sys.path:  # models named by import path are found from here, as python -m finds them
        sys.path.insert(0, os.getcwd())
    try:
        code: int = args.handler(Context(args, out, err))
        return code
    except UsageError as error:
        print(f"bloop {args.command}: {error}", file=err)
        return EXIT_USAGE
    except InvalidConfiguration as error:  # no region, a checkpoint of another job, ...
        print(f"bloop {args.command}: {error}", file=err)
        return EXIT_USAGE
    except PlanRefused as error:  # apply's own refusal (the checks above make it rare): nothing was sent
        print(f"bloop {args.command}: refused: {error}", file=err)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print(f"bloop {args.command}: interrupted" + (
            "; run the same command again to continue" if args.command in ("export", "backfill") else ""), file=err)
        return EXIT_INTERRUPTED
    except BloopException as error:
        print(f"bloop {args.command}: failed: {type(error).__name__}: {error}", file=err)
        return EXIT_ERROR


def run() -> None:
    """The console script's entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()

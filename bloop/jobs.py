"""What backfills and exports share: a checkpoint directory, the engine a worker makes, a
capacity budget, and running the segments of a job locally or on any executor.

A job (:class:`bloop.backfill.Backfill`, :class:`bloop.transfer.Export`) is split into the
segments of a parallel scan.  Each segment is a small picklable task that makes its own
engine (a botocore client cannot cross processes) from an :class:`EngineSpec`, and records
its position in its own file of the job's checkpoint directory after its work is confirmed,
so segments never share a file, and a job run again continues where each segment stopped.
The directory must be visible to every worker (a local disk for processes on one machine, a
shared file system across machines).
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import pathlib
import signal
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

from .exceptions import InvalidConfiguration

__all__ = ["EngineSpec", "Checkpoint", "CheckpointMismatch", "Budget", "run_segments", "throttled",
           "stop_on_interrupt", "JOB_FILE", "STOP_FILE"]

#: the file of a checkpoint directory that says which job it belongs to
JOB_FILE = "job.json"
#: the file that asks every segment of the job to stop (after recording its position)
STOP_FILE = "STOP"


class CheckpointMismatch(InvalidConfiguration):
    """A checkpoint directory belongs to another job (another kind, model, table, function
    or number of segments): nothing was read or written.  Use another directory, or delete
    this one to start over."""


class EngineSpec:
    """How a worker makes its engine: picklable, unlike an engine.

    :param endpoint_url: the DynamoDB endpoint (None: AWS's, from the usual environment).
    :param region_name: the region (None: from the usual AWS environment).
    :param table_name_template: the engine's ``table_name_template`` (a string).
    """

    def __init__(self, endpoint_url: Optional[str] = None, region_name: Optional[str] = None,
                 table_name_template: str = "{table_name}") -> None:
        self.endpoint_url = endpoint_url
        self.region_name = region_name
        self.table_name_template = table_name_template

    @classmethod
    def of(cls, engine: Any) -> "EngineSpec":
        """The spec of an existing :class:`~bloop.engine.Engine` (its client's endpoint and region)."""
        template = engine.table_name_template
        if not isinstance(template, str):
            raise InvalidConfiguration("a job's workers make their engines from a table_name_template string; "
                                       f"this engine's is {template!r}: pass an EngineSpec instead")
        client = engine.session.dynamodb
        return cls(client.meta.endpoint_url, client.meta.region_name, template)

    def engine(self, capacity: bool = False) -> Any:
        """A new :class:`~bloop.engine.Engine` (``capacity=True``: one that counts the capacity
        DynamoDB reports, which a capacity budget then spends)."""
        from .engine import Engine
        return Engine(endpoint_url=self.endpoint_url, region_name=self.region_name,
                      table_name_template=self.table_name_template, capacity=capacity)

    def __repr__(self) -> str:
        return f"EngineSpec({self.endpoint_url!r}, {self.region_name!r}, {self.table_name_template!r})"


class Checkpoint:
    """A job's checkpoint directory: ``job.json`` (what the job is) and one
    ``segment-NNNNN.json`` per segment (where it stopped, and its counts).

    Every file is replaced whole (written beside, then renamed), so a process killed while
    writing leaves the previous record, never half of one.
    """

    def __init__(self, directory: Any) -> None:
        self.directory = pathlib.Path(directory)

    def open(self, job: Dict[str, Any]) -> None:
        """Start the job here, or check that the directory holds this same job.

        :raises CheckpointMismatch: the directory holds another job.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / JOB_FILE
        if path.exists():
            found = json.loads(path.read_text(encoding="utf-8"))
            if found != job:
                differs = sorted(k for k in set(found) | set(job) if found.get(k) != job.get(k))
                raise CheckpointMismatch(
                    f"the checkpoint {self.directory} is of another job (its {', '.join(differs)} differ: "
                    f"{ {k: found.get(k) for k in differs} } there, { {k: job.get(k) for k in differs} } now); "
                    "nothing was read or written: use another directory, or delete this one to start over")
        else:
            self._replace(path, job)
        (self.directory / STOP_FILE).unlink(missing_ok=True)  # a new run: a past stop is done

    def stop(self) -> None:
        """Ask every segment of the job, in any process or machine that sees this directory,
        to stop after its current item (with its position recorded): what Ctrl-C does."""
        (self.directory / STOP_FILE).touch()

    def stopping(self) -> bool:
        return (self.directory / STOP_FILE).exists()

    def job(self) -> Optional[Dict[str, Any]]:
        path = self.directory / JOB_FILE
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def read(self, segment: int) -> Dict[str, Any]:
        """A segment's record: ``{"position": ..., "done": bool, ...counts}`` ({} at first)."""
        path = self._segment(segment)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def write(self, segment: int, record: Dict[str, Any]) -> None:
        self._replace(self._segment(segment), record)

    def records(self, segments: int) -> List[Dict[str, Any]]:
        return [self.read(i) for i in range(segments)]

    def _segment(self, segment: int) -> pathlib.Path:
        return self.directory / f"segment-{segment:05d}.json"

    @staticmethod
    def _replace(path: pathlib.Path, data: Dict[str, Any]) -> None:
        temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)


class Budget:
    """Paces one worker to ``units`` capacity units per second (a token bucket that may
    run one request ahead): :meth:`spend` sleeps when more was spent than the time allows.

    What is spent is what DynamoDB reports consuming when the engine counts capacity
    (``Engine(capacity=True)``, see :mod:`bloop.capacity`; the engines a job makes do when it
    has a budget); otherwise it is estimated from item sizes the way DynamoDB charges them: a
    write of an item costs one unit per started KB, a read half a unit per 4 KB (eventually
    consistent).
    """

    def __init__(self, units: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not isinstance(units, (int, float)) or isinstance(units, bool) or not units > 0 or math.isinf(units):
            raise InvalidConfiguration(f"a capacity budget is a positive number of units per second, not {units!r}")
        self.units = float(units)
        self.clock = clock
        self.sleep = sleep
        self.spent = 0.0
        self.slept = 0.0
        self._start: Optional[float] = None

    @staticmethod
    def read_units(size: int) -> float:
        return max(1, math.ceil(size / 4096)) / 2

    @staticmethod
    def write_units(size: int) -> float:
        return float(max(1, math.ceil(size / 1024)))

    def spend(self, units: float) -> None:
        now = self.clock()
        if self._start is None:
            self._start = now
        self.spent += units
        ahead = self.spent / self.units - (now - self._start)
        if ahead > 0:
            self.slept += ahead
            self.sleep(ahead)


def throttled(poll: Optional[Callable[[], None]], every: float = 0.25,
              clock: Callable[[], float] = time.monotonic) -> Optional[Callable[[], None]]:
    """``poll``, called at most once every ``every`` seconds (progress reads every
    segment's record: not after each item)."""
    if poll is None:
        return None
    last = [-every]

    def call() -> None:
        now = clock()
        if now - last[0] >= every:
            last[0] = now
            poll()
    return call


@contextlib.contextmanager
def stop_on_interrupt(stop: Callable[[], None]) -> Iterator[None]:
    """While it lasts, Ctrl-C (SIGINT) calls ``stop`` instead of raising where the code happens
    to be (between a confirmed write and its record, say); a second Ctrl-C raises at once.
    Only in the main thread, where signal handlers live; elsewhere it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def interrupted(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, previous)
        stop()
    signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _ignore_interrupts() -> None:
    """A worker process leaves Ctrl-C to its parent, which stops the job through its checkpoint."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_segments(tasks: Sequence[Any], workers: Optional[int] = None, executor: Optional[Executor] = None,
                 processes: bool = True, poll: Optional[Callable[[], None]] = None,
                 stop: Optional[Callable[[], None]] = None) -> List[Any]:
    """Run each task (``task.run()``) on ``executor``, or on a pool of ``workers`` processes
    (threads with ``processes=False``; in this process with ``workers=1``); ``poll`` is
    called about twice a second while they run (progress).  Returns their results in order;
    the first failure is raised once every task has finished (the others' work is recorded).

    With ``stop`` (the job's :meth:`Checkpoint.stop`), Ctrl-C asks every task to stop after
    its current item, with its position recorded; they raise :class:`KeyboardInterrupt`.
    """
    with stop_on_interrupt(stop) if stop is not None else contextlib.nullcontext():
        return _run_segments(list(tasks), workers, executor, processes, poll)


class Segment:
    """One segment of a job (a backfill's or an export's): picklable, its engine made where it
    runs.  ``engine`` (an engine to run on in this process) and ``recorded`` (called after each
    record of the position, in this process) are not pickled."""

    def __init__(self, job: Any, index: int) -> None:
        self.job = job
        self.index = index
        #: an engine to run on here; made from the job's EngineSpec when None
        self.engine: Any = None
        #: called after each record of the position, in this process
        self.recorded: Optional[Callable[[], None]] = None

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["engine"] = state["recorded"] = None
        return state


def runs_here(engine: Any, workers: Optional[int], executor: Optional[Executor]) -> bool:
    """Whether a job's ``run`` runs its segments in this process, one after another (on
    ``engine``): with ``workers=1``, or given an engine and neither workers nor an executor."""
    return executor is None and (workers == 1 or (workers is None and engine is not None))


def run_job(job: Any, engine: Any, workers: Optional[int], processes: bool, executor: Optional[Executor],
            progress: Optional[Callable[[Any], None]]) -> Any:
    """A job's ``run`` (a backfill's or an export's): its segments here on ``engine`` (see
    :func:`runs_here`), or over workers or ``executor``, each making its engine from the job's
    :class:`EngineSpec` (taken from ``engine`` when the job has none); ``progress`` is called
    with ``job.status()`` about twice a second.  Returns ``job.status()``."""
    tasks = job.segments()
    poll = (lambda: progress(job.status())) if progress is not None else None
    if runs_here(engine, workers, executor):
        for task in tasks:
            task.engine = engine
            task.recorded = throttled(poll)  # progress at each record, not only between segments
        run_segments(tasks, workers=1, poll=poll, stop=job.checkpoint.stop)
    else:
        if job.engine_spec is None and engine is not None:
            job.engine_spec = EngineSpec.of(engine)
        run_segments(tasks, workers=workers, executor=executor, processes=processes, poll=poll,
                     stop=job.checkpoint.stop)
    return job.status()


def _run_segments(tasks: List[Any], workers: Optional[int], executor: Optional[Executor], processes: bool,
                  poll: Optional[Callable[[], None]]) -> List[Any]:
    if executor is None and (workers == 1 or len(tasks) <= 1):
        results = []
        for task in tasks:
            results.append(task.run())
            if poll is not None:
                poll()
        return results
    own = executor is None
    if executor is None:
        count = workers or min(len(tasks), os.cpu_count() or 1)
        executor = ProcessPoolExecutor(count, initializer=_ignore_interrupts) if processes else \
            ThreadPoolExecutor(count)
    try:
        futures = [executor.submit(_run, task) for task in tasks]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.5)
            if poll is not None:
                poll()
        for future in futures:
            error = future.exception()
            if error is not None:
                raise error
        return [f.result() for f in futures]
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)


def _run(task: Any) -> Any:
    return task.run()

"""Backfills: a function applied to every item of a model, saving only what changed, over the
segments of a parallel scan, resumable from a checkpoint directory.

::

    def add_slug(user):                      # a module-level function: workers import it
        if user.slug is None:
            user.slug = user.name.lower()

    job = Backfill(User, add_slug, "checkpoints/slugs", segments=8, engine=EngineSpec(...))
    result = job.run(workers=4)              # processes; run again after a crash to finish
    print(result.processed, result.changed)

Each item is read by a scan of its segment, given to the function (which changes the object
in place), and, when a column changed, updated with only that change (a diff-based
``UpdateItem`` on the condition that the item still exists: an item deleted since it was
read is counted as ``gone``, not recreated).  The segment's position is recorded after each
update DynamoDB confirmed and after each page, so a run after a crash or an interruption
starts after the last confirmed item: every item is changed once.  Ctrl-C asks each segment
to stop after its current item (through the checkpoint's ``STOP`` file, see
:func:`bloop.jobs.stop_on_interrupt`).  The one window left is a process killed outright
between DynamoDB's answer and the rename of the checkpoint file; a function that leaves an
item it already changed as it is (``if user.slug is None``) is safe even then.

The unit of distribution is the picklable :class:`BackfillSegment` (``job.segments()``): run
locally over processes (``job.run()``), or on any executor, e.g. Dask's distributed
scheduler (``client.map(run_segment, job.segments())``, see ``examples/dask_backfill.py``).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from .codec import item_size, to_item
from .exceptions import ConstraintViolation, InvalidConfiguration, ObjectsNotFound, UniqueViolation
from .jobs import Budget, Checkpoint, EngineSpec, Segment, run_job, runs_here
from .models import model_meta
from .tracking import changes

__all__ = ["Backfill", "BackfillSegment", "BackfillResult", "run_segment"]

#: unchanged items read between two records of a segment's position (changed items are
#: recorded one by one, and every page end is recorded)
RECORD_EVERY = 100


class BackfillResult:
    """What a backfill (or one segment of it) did, counted over all its runs."""

    def __init__(self, processed: int = 0, changed: int = 0, gone: int = 0, segments_done: int = 0,
                 segments: int = 0) -> None:
        #: items read and given to the function
        self.processed = processed
        #: items the function changed, updated in DynamoDB
        self.changed = changed
        #: items the function changed that were deleted before the update (not recreated)
        self.gone = gone
        self.segments_done = segments_done
        self.segments = segments

    @property
    def complete(self) -> bool:
        return self.segments_done == self.segments

    @classmethod
    def of(cls, records: List[Dict[str, Any]]) -> "BackfillResult":
        return cls(sum(r.get("processed", 0) for r in records), sum(r.get("changed", 0) for r in records),
                   sum(r.get("gone", 0) for r in records), sum(1 for r in records if r.get("done")), len(records))

    def __repr__(self) -> str:
        return (f"<BackfillResult processed={self.processed} changed={self.changed} gone={self.gone} "
                f"segments={self.segments_done}/{self.segments}>")


class Backfill:
    """A backfill of ``model`` with ``function``, checkpointed in ``checkpoint``.

    :param model: a concrete model; a concrete type of a family reads only its own items.
    :param function: ``function(obj)`` changes ``obj`` in place (its return value is
        ignored).  Workers in other processes import it: a module-level function.
    :param checkpoint: a directory (made if missing) recording each segment's position.
    :param segments: parallel scan segments (the unit of work and of distribution).
    :param budget: capacity units per second for the whole backfill (reads and writes,
        estimated from item sizes), shared evenly by ``workers`` (or by the segments);
        None: as fast as DynamoDB answers.
    :param engine: the :class:`~bloop.jobs.EngineSpec` workers make their engine from (or an
        :class:`~bloop.engine.Engine`, whose spec is taken).
    :raises CheckpointMismatch: the directory holds another job (when the job runs).
    """

    kind = "backfill"

    def __init__(self, model: Any, function: Callable[[Any], Any], checkpoint: Any, *, segments: int = 4,
                 budget: Optional[float] = None, engine: Any = None, workers: Optional[int] = None) -> None:
        if model_meta(model, concrete=True) is None:
            raise InvalidConfiguration(f"a backfill needs a concrete model, not {model!r}")
        if not callable(function):
            raise InvalidConfiguration(f"a backfill's function must be callable, not {function!r}")
        if not isinstance(segments, int) or isinstance(segments, bool) or not 1 <= segments <= 1_000_000:
            raise InvalidConfiguration(f"segments must be an int from 1 to 1,000,000, not {segments!r}")
        if budget is not None:
            Budget(budget)  # checks it
        self.model = model
        self.function = function
        self.checkpoint = Checkpoint(checkpoint)
        self.segment_count = segments
        self.budget = budget
        self.workers = workers
        self.engine_spec = engine if isinstance(engine, EngineSpec) or engine is None else EngineSpec.of(engine)

    def describe(self) -> Dict[str, Any]:
        """What ``job.json`` holds: a run with another model, function or segment count is refused."""
        named = self.function if hasattr(self.function, "__qualname__") else type(self.function)  # a callable object
        name = f"{named.__module__}:{named.__qualname__}"
        return {"kind": self.kind, "model": f"{self.model.__module__}:{self.model.__qualname__}",
                "table": self.model.Meta.table_name, "function": name, "segments": self.segment_count}

    def segments(self) -> List["BackfillSegment"]:
        """The picklable tasks, one per segment (the checkpoint directory is opened first)."""
        self.checkpoint.open(self.describe())
        share = None
        if self.budget is not None:
            share = self.budget / min(self.workers or self.segment_count, self.segment_count)
        return [BackfillSegment(self, i, share) for i in range(self.segment_count)]

    def status(self) -> BackfillResult:
        """The counts recorded so far (any process may ask, e.g. for progress)."""
        return BackfillResult.of(self.checkpoint.records(self.segment_count))

    def run(self, engine: Any = None, *, workers: Optional[int] = None, processes: bool = True,
            executor: Any = None, progress: Optional[Callable[[BackfillResult], None]] = None) -> BackfillResult:
        """Run every segment not yet done; returns the counts over every run.

        :param engine: an :class:`~bloop.engine.Engine` for ``workers=1`` (in this process).
        :param workers: processes (threads with ``processes=False``); 1 runs here.
        :param executor: any :class:`concurrent.futures.Executor` instead.
        :param progress: called with the counts so far, about twice a second.
        """
        if workers is not None:
            self.workers = workers
        if runs_here(engine, workers, executor):
            engine = engine or _engine(self, capacity=self.budget is not None)
        result: BackfillResult = run_job(self, engine, workers, processes, executor, progress)
        return result


class BackfillSegment(Segment):
    """One segment of a backfill: picklable (its engine is made where it runs)."""

    def __init__(self, job: Backfill, index: int, budget: Optional[float]) -> None:
        super().__init__(job, index)
        self.job: Backfill = job
        self.budget = budget

    def run(self, engine: Any = None, *, clock: Any = None, sleep: Any = None) -> BackfillResult:
        """Run (or continue) this segment; returns its counts over every run.

        An error (of the function, of DynamoDB, an interruption) propagates with the
        position of the last confirmed change recorded: run again to continue.
        """
        engine = engine or self.engine or _engine(self.job, capacity=self.budget is not None)
        job, checkpoint = self.job, self.job.checkpoint
        record = checkpoint.read(self.index)
        if record.get("done"):
            return BackfillResult.of([record])
        record.setdefault("processed", 0)
        record.setdefault("changed", 0)
        record.setdefault("gone", 0)
        meta = job.model.Meta
        columns = [c for c in meta.columns if not any(c is k for k in meta.keys)]
        exists = meta.hash_key.is_not(None)
        budget = None
        if self.budget is not None:
            budget = Budget(self.budget, **{k: v for k, v in (("clock", clock), ("sleep", sleep)) if v is not None})
        search = engine.scan(job.model).segments(job.segment_count)[self.index]
        if record.get("position"):
            search = search.start_from(record["position"])
        iterator = iter(search)
        cursor = iterator.cursor
        unrecorded = 0
        counted = getattr(engine, "capacity", None)  # what DynamoDB reports, when the engine counts it
        reported = counted.total.total if counted is not None else 0.0
        for obj in iterator:
            if budget is not None and counted is None:
                budget.spend(Budget.read_units(item_size(to_item(obj, validate=False))))
            job.function(obj)
            record["processed"] += 1
            unrecorded += 1
            if len(changes(obj, columns)):
                outcome, written = _save(engine, job, obj, columns, exists)
                if outcome is not None:
                    record[outcome] += 1
                if budget is not None and written is not None and counted is None:
                    budget.spend(Budget.write_units(item_size(to_item(written, validate=False))))
                unrecorded = RECORD_EVERY  # a confirmed write is recorded at once
            if budget is not None and counted is not None:
                now = counted.total.total
                budget.spend(now - reported)
                reported = now
            stopping = checkpoint.stopping()
            if unrecorded >= RECORD_EVERY or cursor.needs_page or stopping:
                record["position"] = iterator.token
                checkpoint.write(self.index, record)
                unrecorded = 0
                if self.recorded is not None:
                    self.recorded()
            if stopping:
                raise KeyboardInterrupt(f"segment {self.index} of the backfill stopped, its position recorded")
        record["position"] = iterator.token
        record["done"] = True
        checkpoint.write(self.index, record)
        return BackfillResult.of([record])

    def __repr__(self) -> str:
        return f"<BackfillSegment {self.index + 1}/{self.job.segment_count} of {self.job.model.__name__}>"


#: how many times an item changed by another writer between the read and the update is read
#: again and given to the function again (a versioned model's update then fails its condition)
RETRIES = 3


def _save(engine: Any, job: Backfill, obj: Any, columns: List[Any], exists: Any) -> Tuple[Optional[str], Any]:
    """Update ``obj``; returns ``("changed", obj)``, ``("gone", None)`` (deleted since it was
    read: not recreated) or ``(None, None)`` when a fresh read leaves the function nothing to change."""
    for _ in range(RETRIES):
        try:
            engine.save(obj, condition=exists)
            return "changed", obj
        except UniqueViolation:
            raise  # the function made a value another item holds: not the backfill's to decide
        except ConstraintViolation as error:
            meta = job.model.Meta
            fresh = type(obj)(**{key.name: getattr(obj, key.name) for key in meta.keys})
            try:
                engine.load(fresh, consistent=True)
            except ObjectsNotFound:
                return "gone", None
            job.function(fresh)  # another writer changed it (a version moved on): its current state
            if not len(changes(fresh, columns)):
                return None, None
            obj, last = fresh, error
    raise ConstraintViolation(f"{job.model.__name__} item {obj!r} kept changing under the backfill "
                              f"({RETRIES} tries); its segment stopped before it: run again") from last


def run_segment(segment: BackfillSegment) -> BackfillResult:
    """Run one segment where this is called (for executors: ``client.map(run_segment, job.segments())``)."""
    return segment.run()


def _engine(job: Backfill, capacity: bool = False) -> Any:
    spec = job.engine_spec or EngineSpec()
    return spec.engine(capacity=capacity)

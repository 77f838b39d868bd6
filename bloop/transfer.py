"""Export a model or a table to JSON Lines, and import JSON Lines into a model.

An export is a directory: one ``part-NNNNN.jsonl`` per parallel scan segment, each line one
item as ``{"Item": {...}}`` in DynamoDB's JSON (the wire format, binary values in base64, as
DynamoDB's own exports write it), so every type round-trips exactly, attributes no model
declares included; and ``_checkpoint/``, where each segment records, after each page, the
scan's position and the length of its part file.  An export run again after an
interruption cuts each part file back to its recorded length and continues from the
recorded position: every item is written once.

An import reads such lines (``{"Item": ...}`` or a bare item; a file or an export
directory) into a model through batch writes.  Nothing is lost: a line that cannot be read
or is no item of the model, and an item DynamoDB did not confirm written, goes to the
rejects file as ``{"line": ..., "source": ..., "reason": ..., "item" or "text": ...}``, and
the counts say how many went where.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import pathlib
from typing import IO, Any, Callable, Dict, Iterator, List, Optional, Tuple

from .codec import from_item, to_item
from .exceptions import BatchIncomplete, BloopException, InvalidConfiguration
from .jobs import Checkpoint, EngineSpec, Segment, run_job
from .models import model_meta
from .operations import batch_write, call, keyed

__all__ = ["Export", "ExportSegment", "ExportResult", "ImportResult", "import_items", "encode_item",
           "decode_item", "read_lines"]

_BINARY = ("B", "BS")


def encode_item(item: Dict[str, Any]) -> Dict[str, Any]:
    """A wire item as JSON-ready DynamoDB JSON (binary values in base64)."""
    return {name: _encode(value) for name, value in item.items()}


def _encode(value: Dict[str, Any]) -> Dict[str, Any]:
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(v).decode() for v in inner]}
    if kind == "M":
        return {"M": {k: _encode(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_encode(v) for v in inner]}
    return {kind: inner}


def decode_item(data: Any) -> Dict[str, Any]:
    """DynamoDB JSON back to a wire item.

    :raises ValueError: it is not an object of typed values.
    """
    if not isinstance(data, dict) or not data:
        raise ValueError("an item is a non-empty JSON object of attributes")
    return {name: _decode(value, name) for name, value in data.items()}


_KINDS = {"S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "M", "L"}


def _decode(value: Any, name: str) -> Dict[str, Any]:
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"attribute {name!r} is not one typed value like {{\"S\": \"...\"}}")
    (kind, inner), = value.items()
    if kind not in _KINDS:
        raise ValueError(f"attribute {name!r} has the unknown type {kind!r}")
    try:
        if kind == "B":
            return {"B": base64.b64decode(inner, validate=True)}
        if kind == "BS":
            return {"BS": [base64.b64decode(v, validate=True) for v in inner]}
    except (binascii.Error, TypeError) as error:
        raise ValueError(f"attribute {name!r} is not base64: {error}") from None
    if kind == "M":
        if not isinstance(inner, dict):
            raise ValueError(f"attribute {name!r}: M holds an object")
        return {"M": {k: _decode(v, f"{name}.{k}") for k, v in inner.items()}}
    if kind == "L":
        if not isinstance(inner, list):
            raise ValueError(f"attribute {name!r}: L holds a list")
        return {"L": [_decode(v, f"{name}[{i}]") for i, v in enumerate(inner)]}
    return {kind: inner}


class ExportResult:
    """What an export wrote, counted over all its runs."""

    def __init__(self, items: int, segments_done: int, segments: int, files: List[pathlib.Path]) -> None:
        self.items = items
        self.segments_done = segments_done
        self.segments = segments
        #: the part files, in segment order
        self.files = files

    @property
    def complete(self) -> bool:
        return self.segments_done == self.segments

    def __repr__(self) -> str:
        return f"<ExportResult items={self.items} segments={self.segments_done}/{self.segments}>"


class Export:
    """An export of a model (its table; a concrete type of a family: only its items) or of a
    table by name, into ``directory``.

    :param target: a concrete model, or a table name (str, the engine's template not applied).
    :param directory: where the part files and ``_checkpoint/`` go (made if missing).
    :param segments: parallel scan segments, one part file each.
    :param engine: the :class:`~bloop.jobs.EngineSpec` workers make their engine from (or
        an :class:`~bloop.engine.Engine`).
    """

    kind = "export"

    def __init__(self, target: Any, directory: Any, *, segments: int = 4, engine: Any = None,
                 page_size: Optional[int] = None) -> None:
        if not isinstance(target, str) and model_meta(target, concrete=True) is None:
            raise InvalidConfiguration(f"an export takes a concrete model or a table name, not {target!r}")
        if not isinstance(segments, int) or isinstance(segments, bool) or not 1 <= segments <= 1_000_000:
            raise InvalidConfiguration(f"segments must be an int from 1 to 1,000,000, not {segments!r}")
        self.target = target
        self.directory = pathlib.Path(directory)
        self.checkpoint = Checkpoint(self.directory / "_checkpoint")
        self.segment_count = segments
        self.page_size = page_size
        self.engine_spec = engine if isinstance(engine, EngineSpec) or engine is None else EngineSpec.of(engine)

    def describe(self) -> Dict[str, Any]:
        target = self.target
        what = target if isinstance(target, str) else f"{target.__module__}:{target.__qualname__}"
        return {"kind": self.kind, "target": what, "segments": self.segment_count}

    def file(self, segment: int) -> pathlib.Path:
        return self.directory / f"part-{segment:05d}.jsonl"

    def segments(self) -> List["ExportSegment"]:
        self.checkpoint.open(self.describe())
        return [ExportSegment(self, i) for i in range(self.segment_count)]

    def status(self) -> ExportResult:
        records = self.checkpoint.records(self.segment_count)
        return ExportResult(sum(r.get("items", 0) for r in records), sum(1 for r in records if r.get("done")),
                            self.segment_count, [self.file(i) for i in range(self.segment_count)])

    def run(self, engine: Any = None, *, workers: Optional[int] = None, processes: bool = True,
            executor: Any = None, progress: Optional[Callable[[ExportResult], None]] = None) -> ExportResult:
        """Export every segment not yet done (see :meth:`bloop.backfill.Backfill.run`)."""
        result: ExportResult = run_job(self, engine, workers, processes, executor, progress)
        return result


class ExportSegment(Segment):
    """One segment of an export: picklable (its engine is made where it runs)."""

    job: Export

    def _request(self, engine: Any) -> Dict[str, Any]:
        job = self.job
        if isinstance(job.target, str):
            request: Dict[str, Any] = {"TableName": job.target}
            if job.segment_count > 1:
                request.update(Segment=self.index, TotalSegments=job.segment_count)
        else:
            search = engine.scan(job.target)
            search = search.segments(job.segment_count)[self.index] if job.segment_count > 1 else search
            request = dict(search.prepare().page_request(None))
            request.pop("Select", None)  # every attribute, declared or not
        if job.page_size is not None:
            request["Limit"] = job.page_size
        return request

    def run(self, engine: Any = None) -> ExportResult:
        """Export (or continue) this segment; an error propagates with the last page recorded."""
        job, checkpoint = self.job, self.job.checkpoint
        record = checkpoint.read(self.index)
        path = job.file(self.index)
        if record.get("done"):
            if path.exists() and path.stat().st_size > record.get("offset", 0):
                os.truncate(path, record.get("offset", 0))  # whatever follows the last record is not the export's
        else:
            engine = engine or self.engine or (job.engine_spec or EngineSpec()).engine()
            request = self._request(engine)
            offset = record.get("offset", 0)
            start = record.get("position")
            if start is not None:
                request["ExclusiveStartKey"] = decode_item(start)
            with open(path, "ab") as out:
                out.truncate(offset)  # lines written after the last record: written again below
                out.seek(offset)
                while True:
                    response = engine._run(call("scan", request))
                    items = response.get("Items") or []
                    if items:
                        out.write(b"".join(json.dumps({"Item": encode_item(item)}, separators=(",", ":"))
                                           .encode() + b"\n" for item in items))
                        out.flush()
                        os.fsync(out.fileno())
                    start = response.get("LastEvaluatedKey")
                    record["items"] = record.get("items", 0) + len(items)
                    record["offset"] = out.tell()
                    record["position"] = encode_item(start) if start else None
                    record["done"] = not start
                    checkpoint.write(self.index, record)
                    if self.recorded is not None:
                        self.recorded()
                    if not start:
                        break
                    if checkpoint.stopping():
                        raise KeyboardInterrupt(f"segment {self.index} of the export stopped, its position recorded")
                    request["ExclusiveStartKey"] = start
        return ExportResult(record.get("items", 0), 1, 1, [path])

    def __repr__(self) -> str:
        return f"<ExportSegment {self.index + 1}/{self.job.segment_count} of {self.job.describe()['target']}>"


class ImportResult:
    """What an import did: lines read, items written, lines rejected (in the rejects file)."""

    def __init__(self) -> None:
        self.read = 0
        self.written = 0
        self.rejected = 0

    def __repr__(self) -> str:
        return f"<ImportResult read={self.read} written={self.written} rejected={self.rejected}>"


def read_lines(source: Any) -> Iterator[Tuple[str, int, str]]:
    """``(file name, line number, text)`` of every non-blank line of a file, or of an
    export directory's part files in order."""
    path = pathlib.Path(source)
    files = sorted(path.glob("part-*.jsonl")) if path.is_dir() else [path]
    for file in files:
        with open(file, encoding="utf-8") as lines:
            for number, text in enumerate(lines, 1):
                if text.strip():
                    yield str(file), number, text.rstrip("\n")


def import_items(engine: Any, model: Any, source: Any, rejects: Any, *, batch: int = 25,
                 progress: Optional[Callable[[ImportResult], None]] = None) -> ImportResult:
    """Write every item of ``source`` (JSON Lines: a file or an export directory) into
    ``model``'s table through batch writes of whole items (what the model declares, a version
    column's value as the file holds it; a model with unique constraints through
    ``engine.save``, which keeps its guard items).

    :param rejects: the path of the rejects file (written only when something is rejected;
        an existing file is replaced).
    :returns: the counts; ``read == written + rejected``.
    """
    if model_meta(model, concrete=True) is None:
        raise InvalidConfiguration(f"an import needs a concrete model, not {model!r}")
    result = ImportResult()
    rejects_path = pathlib.Path(rejects)
    rejects_path.unlink(missing_ok=True)
    out: List[Optional[IO[str]]] = [None]

    def reject(where: Tuple[str, int], reason: str, item: Any = None, text: Optional[str] = None) -> None:
        stream = out[0]
        if stream is None:
            stream = out[0] = open(rejects_path, "w", encoding="utf-8")
        entry: Dict[str, Any] = {"source": where[0], "line": where[1], "reason": reason}
        if item is not None:
            entry["item"] = item
        else:
            entry["text"] = text
        stream.write(json.dumps(entry, separators=(",", ":")) + "\n")
        stream.flush()
        result.rejected += 1

    pending: List[Tuple[Any, Tuple[str, int], Dict[str, Any]]] = []
    guarded = bool(model.Meta.uniques)

    def write(objs: List[Any]) -> None:
        """Whole items, as the file holds them (a version column's value too); a model with
        unique constraints through ``engine.save``, which keeps its guard items."""
        if guarded:
            engine.save(objs)
            return
        policy = engine.policy
        entries = keyed(policy, objs)
        engine._run(batch_write(policy, [(e, {"PutRequest": {"Item": to_item(e.obj)}}) for e in entries], "save",
                                lambda entry, request: None))

    def flush() -> None:
        if not pending:
            return
        objs = [obj for obj, _, _ in pending]
        alone: List[Tuple[Any, Tuple[str, int], Dict[str, Any]]] = []
        try:
            write(objs)
        except BatchIncomplete as error:
            failed = {id(obj) for obj in error.unprocessed}
            unsent = {id(obj) for obj in error.unsent}
            result.written += len(objs) - len(failed)
            for entry in pending:
                if id(entry[0]) in unsent:
                    reject(entry[1], f"never sent (the batch deadline passed first): {error}", item=entry[2])
                elif id(entry[0]) in failed:
                    alone.append(entry)
        except BloopException:  # refused before sending (duplicate keys, ...): each alone says which
            alone = list(pending)
        else:
            result.written += len(objs)
        for obj, where, data in alone:  # once more each on its own: one bad item fails its whole batch
            try:
                write([obj])
            except BatchIncomplete as error:
                reject(where, f"not confirmed written: {error}", item=data)
            except BloopException as error:
                reject(where, f"{type(error).__name__}: {error}", item=data)
            else:
                result.written += 1
        pending.clear()
        if progress is not None:
            progress(result)

    try:
        for name, number, text in read_lines(source):
            result.read += 1
            where = (name, number)
            try:
                data = json.loads(text)
            except ValueError as error:
                reject(where, f"not JSON: {error}", text=text)
                continue
            raw = data.get("Item", data) if isinstance(data, dict) and set(data) == {"Item"} else data
            try:
                obj = from_item(model, decode_item(raw))
                if obj is None or not isinstance(obj, model):
                    raise ValueError(f"not an item of {model.__name__}")
                to_item(obj)  # keys present, values DynamoDB takes: refused here, not by the batch
            except (ValueError, TypeError, BloopException) as error:
                reject(where, f"{type(error).__name__}: {error}", item=raw)
                continue
            pending.append((obj, where, raw))
            if len(pending) >= batch:
                flush()
        flush()
    finally:
        if out[0] is not None:
            out[0].close()
    return result

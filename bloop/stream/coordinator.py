"""Reading a table's DynamoDB Stream across its shards, without doing I/O.

A stream is a tree of shards: DynamoDB closes a shard after a while (or when it
splits) and opens child shards that carry on.  The records of one item are in
order within a shard, and a child's records come after its parent's, so the
:class:`Coordinator` reads a shard only once its parent is done:

- ``"trim_horizon"`` starts every shard whose parent is gone (trimmed after 24
  hours) at its oldest record, and each child once its parent is exhausted;
- ``"latest"`` starts every open shard after its newest record;
- a datetime starts like ``"trim_horizon"`` and skips records made before it
  (DynamoDB Streams cannot start at a time);
- a token (:attr:`Coordinator.token`) starts each shard after the last record
  that was taken from it.

:meth:`Coordinator.move_to` and :meth:`Coordinator.poll` are I/O-free generators
like :mod:`bloop.operations` (they yield ``[Call(...)]``), so the synchronous
:class:`~bloop.stream.Stream` and an asynchronous one drive the same code.
"""
from __future__ import annotations

import collections
import datetime
import json
from typing import Any, Deque, Dict, List, Optional, Tuple

from ..exceptions import InvalidStream, TableNotFound
from ..operations import Call, Op, call
from .records import Record, created_at, from_stream

__all__ = ["Coordinator", "Shard", "TRIM_HORIZON", "LATEST"]

TRIM_HORIZON = "TRIM_HORIZON"
LATEST = "LATEST"
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class Shard:
    """What the coordinator knows about one shard it reads.

    :ivar start: where to begin when no record was taken yet: ``TRIM_HORIZON`` or ``LATEST``.
    :ivar sequence: the sequence number of the last record taken from this shard.
    :ivar iterator: the shard iterator for the next ``GetRecords``, or None to get one.
    :ivar buffer: records fetched and not taken yet.
    :ivar exhausted: the shard is closed and every record was fetched.
    """

    __slots__ = ("id", "parent", "start", "sequence", "iterator", "buffer", "exhausted")

    def __init__(self, shard_id: str, parent: Optional[str], start: str, sequence: Optional[str] = None) -> None:
        self.id = shard_id
        self.parent = parent
        self.start = start
        self.sequence = sequence
        self.iterator: Optional[str] = None
        self.buffer: Deque[Dict[str, Any]] = collections.deque()
        self.exhausted = False

    def iterator_request(self, arn: str) -> Dict[str, Any]:
        request = {"StreamArn": arn, "ShardId": self.id}
        if self.sequence is not None:
            request.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=self.sequence)
        else:
            request["ShardIteratorType"] = self.start
        return request

    def __repr__(self) -> str:
        return f"<Shard {self.id} after={self.sequence or self.start} buffered={len(self.buffer)}>"


class Coordinator:
    """The position in one table's stream, and the requests that move it.

    :param model: the model records are loaded into.
    :param table_name: the table's name (for its ``LatestStreamArn``).
    """

    def __init__(self, model: Any, table_name: str) -> None:
        self.model = model
        self.table_name = table_name
        self.arn: Optional[str] = None
        #: records made before this are skipped (a datetime start)
        self.since: Optional[datetime.datetime] = None
        self.shards: List[Shard] = []

    # positions ------------------------------------------------------------------------
    def move_to(self, position: Any) -> Op:
        """Start reading at ``position``: ``"trim_horizon"``, ``"latest"``, an aware
        datetime, or a token from :attr:`token`.

        :raises InvalidStream: an unknown position, a naive datetime, or a token that is
            not a stream token of this table; the table has no stream.
        """
        if isinstance(position, str) and position.lstrip().startswith("{"):
            arn, since, shards = self._decode(position)
            self.arn, self.since, self.shards = arn, since, shards
        else:
            start = _start(position)
            table = (yield from call("describe_table", {"TableName": self.table_name}))["Table"]
            arn = table.get("LatestStreamArn")
            if not arn:
                raise InvalidStream(f"table {self.table_name!r} has no stream: declare Meta.stream on "
                                    f"{self.model.__name__} and bind it")
            self.arn = arn
            described = yield from self._describe()
            if start == LATEST:
                self.since = None
                self.shards = [Shard(s["ShardId"], s.get("ParentShardId"), LATEST) for s in described
                               if not s.get("SequenceNumberRange", {}).get("EndingSequenceNumber")]
            else:
                self.since = position if isinstance(position, datetime.datetime) else None
                ids = {s["ShardId"] for s in described}
                self.shards = [Shard(s["ShardId"], s.get("ParentShardId"), TRIM_HORIZON) for s in described
                               if s.get("ParentShardId") not in ids]
        yield from self._open()

    @property
    def token(self) -> str:
        """The position after the last record taken, as a JSON string for :meth:`move_to`."""
        return json.dumps({
            "v": 1, "stream": self.arn,
            "since": self.since.isoformat() if self.since is not None else None,
            "shards": [{"id": s.id, "parent": s.parent, "start": s.start, "after": s.sequence}
                       for s in self.shards],
        }, separators=(",", ":"), sort_keys=True)

    def _decode(self, token: str) -> Any:
        try:
            data = json.loads(token)
            if data.get("v") != 1:
                raise ValueError("unknown token version")
            arn = data["stream"]
            if not isinstance(arn, str):
                raise ValueError("no stream")
            since = datetime.datetime.fromisoformat(data["since"]) if data["since"] else None
            shards = []
            for s in data["shards"]:
                if s["start"] not in (TRIM_HORIZON, LATEST) or not isinstance(s["id"], str):
                    raise ValueError(f"bad shard {s!r}")
                shards.append(Shard(s["id"], s["parent"], s["start"], s["after"]))
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            raise InvalidStream(f"not a stream token: {token!r:.80} ({error})") from None
        if f":table/{self.table_name}/stream/" not in arn:
            raise InvalidStream(f"this token is for another table's stream ({arn}), not {self.table_name!r}")
        return arn, since, shards

    # reading --------------------------------------------------------------------------
    def poll(self) -> Op:
        """Fetch the next records of every shard that has none waiting, and follow finished
        shards to their children.  Returns True when the position moved (records were
        read or shards changed), False when every shard is caught up."""
        yield from self._open()
        readers = [s for s in self.shards if not s.buffer and s.iterator and not s.exhausted]
        moved = yield from self._read(readers)
        followed = yield from self._follow_lineage()
        return moved or followed

    def heartbeat(self) -> Op:
        """Read once from every shard that has yielded no record yet, so that its place is
        not lost: such a shard is positioned only by its shard iterator, which expires
        after 15 minutes, and a new one at ``"latest"`` would skip what came in between.
        The records read are kept for the next :meth:`take`.  Iterating the stream does
        the same for every shard; call this (bloop 3's ``stream.heartbeat()``) at least
        every 14 minutes while not iterating."""
        yield from self._open()
        readers = [s for s in self.shards
                   if s.sequence is None and not s.buffer and s.iterator and not s.exhausted]
        yield from self._read(readers)

    def _read(self, readers: List[Shard]) -> Op:
        """One ``GetRecords`` for each of ``readers``, concurrently; True when anything moved."""
        moved = False
        if readers:
            outcomes = yield [Call("get_records", {"ShardIterator": s.iterator}) for s in readers]
            for shard, outcome in zip(readers, outcomes):
                if isinstance(outcome, BaseException):
                    code = getattr(outcome, "code", "")
                    if code == "ExpiredIteratorException":
                        shard.iterator = None  # iterators last 15 minutes: get one after the last record
                        moved = True
                        continue
                    if code == "TrimmedDataAccessException":
                        _restart(shard)
                        moved = True
                        continue
                    raise outcome
                records = outcome.get("Records") or []
                moved = moved or bool(records)
                since = self.since
                shard.buffer.extend(r for r in records if since is None or _created(r) >= since)
                shard.iterator = outcome.get("NextShardIterator")
                if not shard.iterator:
                    shard.exhausted = True
        return moved

    def take(self) -> Optional[Record]:
        """The next record fetched (the oldest at the head of any shard), or None.  A record
        the model does not read (through a family: another type, a guard item) is passed."""
        while True:
            record, more = self._take()
            if record is not None or not more:
                return record

    def _take(self) -> Tuple[Optional[Record], bool]:
        best: Optional[Shard] = None
        best_when = _EPOCH
        for shard in self.shards:
            if shard.buffer:
                when = _created(shard.buffer[0])
                if best is None or when < best_when:
                    best, best_when = shard, when
        if best is None:
            return None, False
        raw = best.buffer.popleft()
        best.sequence = (raw.get("dynamodb") or {}).get("SequenceNumber", best.sequence)
        return from_stream(self.model, raw, best.id), True

    # requests -------------------------------------------------------------------------
    def _describe(self) -> Op:
        """Every shard of the stream (DescribeStream, page by page)."""
        shards: List[Dict[str, Any]] = []
        request: Dict[str, Any] = {"StreamArn": self.arn}
        while True:
            description = (yield from call("describe_stream", request))["StreamDescription"]
            shards.extend(description.get("Shards") or [])
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            request = {"StreamArn": self.arn, "ExclusiveStartShardId": last}

    def _open(self) -> Op:
        """Get an iterator for every shard that needs one (concurrently)."""
        pending = [s for s in self.shards if s.iterator is None and not s.exhausted]
        while pending:
            outcomes = yield [Call("get_shard_iterator", s.iterator_request(self.arn or "")) for s in pending]
            retry = []
            for shard, outcome in zip(pending, outcomes):
                if isinstance(outcome, BaseException):
                    if getattr(outcome, "code", "") == "TrimmedDataAccessException" and shard.sequence is not None:
                        _restart(shard)
                        retry.append(shard)
                        continue
                    if isinstance(outcome, TableNotFound):
                        # The shard is past the stream's 24-hour retention; _follow_lineage moves
                        # on to its children (and fails if the stream itself is gone).
                        shard.exhausted = True
                        continue
                    raise outcome
                shard.iterator = outcome.get("ShardIterator")
                if not shard.iterator:
                    shard.exhausted = True
            pending = retry

    def _follow_lineage(self) -> Op:
        """Replace each exhausted shard with nothing left to take by its children."""
        done = {s.id for s in self.shards if s.exhausted and not s.buffer}
        if not done:
            return False
        described = yield from self._describe()
        tracked = {s.id for s in self.shards}
        children = [Shard(s["ShardId"], s.get("ParentShardId"), TRIM_HORIZON) for s in described
                    if s.get("ParentShardId") in done and s["ShardId"] not in tracked]
        self.shards = [s for s in self.shards if s.id not in done] + children
        yield from self._open()
        return True

    def __repr__(self) -> str:
        return f"<Coordinator {self.table_name} shards={self.shards}>"


def _start(position: Any) -> str:
    if isinstance(position, dict) and "stream_arn" in position:
        raise InvalidStream("this is a bloop 3 stream token (a dict); bloop 4's tokens are the strings of "
                            "stream.token, and a bloop 3 token cannot be resumed: start from 'trim_horizon' "
                            "or a datetime")
    if isinstance(position, datetime.datetime):
        if position.tzinfo is None or position.utcoffset() is None:
            raise InvalidStream("a stream position datetime must be timezone-aware")
        return TRIM_HORIZON
    if isinstance(position, str) and position.lower() in ("trim_horizon", "latest"):
        return position.upper()
    raise InvalidStream(f"a stream position is 'trim_horizon', 'latest', an aware datetime or a token, "
                        f"not {position!r:.80}")


def _restart(shard: Shard) -> None:
    """The records after the last one taken are past the 24-hour retention: carry on
    with the oldest that remain."""
    shard.sequence = None
    shard.start = TRIM_HORIZON
    shard.iterator = None


def _created(raw: Dict[str, Any]) -> datetime.datetime:
    return created_at((raw.get("dynamodb") or {}).get("ApproximateCreationDateTime")) or _EPOCH

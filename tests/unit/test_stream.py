"""bloop.stream: shard lineage, positions, tokens and records, with no backend.

Streams with several shards (splits, closed shards) are played back through
botocore's Stubber, which checks every request and every canned response
against the real DynamoDB and DynamoDB Streams service models.
"""
import base64
import datetime
import functools
import json

import botocore.session
import pytest
from botocore.stub import Stubber

from bloop import BaseModel, Binary, Column, Engine, Integer, Set, String
from bloop.exceptions import InvalidStream, ServiceError
from bloop.stream import Record, from_lambda
from bloop.stream.coordinator import Coordinator
from bloop.tracking import snapshot


class Event(BaseModel):
    class Meta:
        table_name = "events"
        stream = {"include": ["new", "old"]}

    id = Column(String, hash_key=True)
    value = Column(Integer)
    blob = Column(Binary)
    blobs = Column(Set(Binary))


class Quiet(BaseModel):
    id = Column(String, hash_key=True)


ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/s-events/stream/2024-01-01T00:00:00.000"
T0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def sid(name):
    """A shard id as DynamoDB spells them (the service model wants 28 characters or more)."""
    return "shardId-" + name * 20


def seq(n):
    """A sequence number (21 digits or more)."""
    return str(10 ** 20 + n)


def shard(name, parent=None, start=100, end=None):
    out = {"ShardId": sid(name), "SequenceNumberRange": {"StartingSequenceNumber": seq(start)}}
    if end:
        out["SequenceNumberRange"]["EndingSequenceNumber"] = seq(end)
    if parent:
        out["ParentShardId"] = sid(parent)
    return out


def record(number, key, when, event="INSERT", value=None, old_value=None):
    body = {"ApproximateCreationDateTime": at(when), "Keys": {"id": {"S": key}}, "SequenceNumber": seq(number),
            "SizeBytes": 10, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if value is not None:
        body["NewImage"] = {"id": {"S": key}, "value": {"N": str(value)}}
    if old_value is not None:
        body["OldImage"] = {"id": {"S": key}, "value": {"N": str(old_value)}}
    return {"eventID": f"e{number}", "eventName": event, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "dynamodb": body}


@functools.lru_cache(maxsize=None)
def _session():
    return botocore.session.get_session()  # loading the service models once keeps the tests fast


class Streams:
    """An engine whose two clients are stubbed; ``max_concurrency=1`` keeps calls in order."""

    def __init__(self):
        session = _session()
        creds = {"region_name": "us-east-1", "aws_access_key_id": "k", "aws_secret_access_key": "s"}
        self.dynamodb = session.create_client("dynamodb", **creds)
        self.streams = session.create_client("dynamodbstreams", **creds)
        self.engine = Engine(self.dynamodb, self.streams, table_name_template="s-{table_name}", max_concurrency=1)
        self.db_stub = Stubber(self.dynamodb)
        self.stub = Stubber(self.streams)

    def __enter__(self):
        self.db_stub.activate()
        self.stub.activate()
        return self

    def __exit__(self, *exc):
        self.db_stub.deactivate()
        self.stub.deactivate()

    def done(self):
        self.db_stub.assert_no_pending_responses()
        self.stub.assert_no_pending_responses()

    def table(self, arn=ARN):
        table = {"TableName": "s-events"}
        if arn:
            table["LatestStreamArn"] = arn
        self.db_stub.add_response("describe_table", {"Table": table}, {"TableName": "s-events"})

    def describe(self, shards, start=None, last=None):
        params = {"StreamArn": ARN}
        if start:
            params["ExclusiveStartShardId"] = sid(start)
        description = {"StreamArn": ARN, "StreamStatus": "ENABLED", "Shards": shards}
        if last:
            description["LastEvaluatedShardId"] = sid(last)
        self.stub.add_response("describe_stream", {"StreamDescription": description}, params)

    def iterator(self, name, iterator, kind="TRIM_HORIZON", after=None):
        params = {"StreamArn": ARN, "ShardId": sid(name), "ShardIteratorType": kind}
        if after:
            params["SequenceNumber"] = seq(after)
        self.stub.add_response("get_shard_iterator", {"ShardIterator": iterator}, params)

    def records(self, iterator, records, next_iterator=None):
        response = {"Records": records}
        if next_iterator:
            response["NextShardIterator"] = next_iterator
        self.stub.add_response("get_records", response, {"ShardIterator": iterator})


# A closed root shard A split into B (closed, split again into D) and C (open):
#
#     A ── B ── D
#      └── C
A = shard("A", start=100, end=199)
B = shard("B", parent="A", start=200, end=299)
C = shard("C", parent="A", start=300)
D = shard("D", parent="B", start=400)


def test_trim_horizon_follows_shard_lineage_and_resumes_from_a_token():
    with Streams() as s:
        s.table()
        s.describe([A, B], last="B")  # DescribeStream is paged
        s.describe([C, D], start="B")
        s.iterator("A", "itA1")
        s.records("itA1", [record(101, "a1", 1, value=1), record(102, "a1", 2, "MODIFY", 2, 1)], "itA2")
        s.records("itA2", [])  # A is closed and read: on to its children
        s.describe([A, B, C, D])
        s.iterator("B", "itB1")
        s.iterator("C", "itC1")
        s.records("itB1", [record(201, "b1", 3, value=3)])  # closed as well
        s.records("itC1", [record(301, "c1", 4, value=4)], "itC2")

        stream = s.engine.stream(Event, "trim_horizon")
        iterator = iter(stream)
        taken = [next(iterator) for _ in range(3)]
        token = stream.token

        s.records("itC2", [], "itC3")
        s.describe([A, B, C, D])  # B is done: its child D comes next
        s.iterator("D", "itD1")
        s.records("itC3", [], "itC4")
        s.records("itD1", [record(401, "d1", 5, "REMOVE", old_value=5)], "itD2")
        s.records("itC4", [], "itC5")
        s.records("itD2", [], "itD3")
        rest = list(iterator)
        s.done()

    assert [(r.event_name, r.key.id, r.shard_id) for r in taken] == [
        ("INSERT", "a1", sid("A")), ("MODIFY", "a1", sid("A")), ("INSERT", "b1", sid("B"))]
    assert [(r.event_name, r.key.id, r.shard_id) for r in rest] == [
        ("INSERT", "c1", sid("C")), ("REMOVE", "d1", sid("D"))]
    first, modify = taken[0], taken[1]
    assert isinstance(first, Record) and first.old is None and first.new.value == 1
    assert (modify.old.value, modify.new.value) == (1, 2)
    assert modify.created_at == at(2) and modify.sequence_number == seq(102) and modify.event_id == "e102"
    assert rest[1].new is None and rest[1].old.value == 5 and not rest[1].expired
    # only the key columns of the key object are known
    assert snapshot(first.key) == {"id": "a1"}

    assert json.loads(token)["shards"] == [
        {"id": sid("B"), "parent": sid("A"), "start": "TRIM_HORIZON", "after": seq(201)},
        {"id": sid("C"), "parent": sid("A"), "start": "TRIM_HORIZON", "after": None}]

    # resume elsewhere: exactly the records after the token
    with Streams() as s:
        s.iterator("B", "itB9", "AFTER_SEQUENCE_NUMBER", after=201)
        s.iterator("C", "itC9")
        s.records("itB9", [])
        s.records("itC9", [record(301, "c1", 4, value=4)], "itC10")
        s.describe([A, B, C, D])
        s.iterator("D", "itD9")
        s.records("itC10", [], "itC11")
        s.records("itD9", [record(401, "d1", 5, "REMOVE", old_value=5)], "itD10")
        s.records("itC11", [], "itC12")
        s.records("itD10", [], "itD11")
        resumed = list(s.engine.stream(Event, token))
        s.done()
    assert [(r.key.id, r.sequence_number) for r in resumed] == [("c1", seq(301)), ("d1", seq(401))]


def test_records_of_several_shards_come_oldest_first():
    with Streams() as s:
        s.table()
        s.describe([shard("X"), shard("Y")])
        s.iterator("X", "itX")
        s.iterator("Y", "itY")
        s.records("itX", [record(1, "x1", 1), record(2, "x2", 5)], "itX2")
        s.records("itY", [record(1, "y1", 3)], "itY2")
        s.records("itX2", [], "itX3")
        s.records("itY2", [], "itY3")
        keys = [r.key.id for r in s.engine.stream(Event, "trim_horizon")]
        s.done()
    assert keys == ["x1", "y1", "x2"]


def test_latest_starts_after_the_newest_record_of_open_shards():
    with Streams() as s:
        s.table()
        s.describe([A, B, C, D])
        s.iterator("C", "itC", "LATEST")
        s.iterator("D", "itD", "LATEST")
        stream = s.engine.stream(Event, "LATEST")
        token = json.loads(stream.token)
        s.records("itC", [], "itC2")
        s.records("itD", [record(401, "d1", 9, value=1)], "itD2")
        s.records("itC2", [], "itC3")
        s.records("itD2", [], "itD3")
        assert [r.key.id for r in stream] == ["d1"]
        s.done()
    assert [(x["id"], x["start"], x["after"]) for x in token["shards"]] == [
        (sid("C"), "LATEST", None), (sid("D"), "LATEST", None)]


def test_a_datetime_skips_older_records():
    with Streams() as s:
        s.table()
        s.describe([shard("X")])
        s.iterator("X", "itX")
        s.records("itX", [record(1, "old", 1), record(2, "new", 10)], "itX2")
        s.records("itX2", [], "itX3")
        stream = s.engine.stream(Event, at(5))
        assert [r.key.id for r in stream] == ["new"]
        s.done()
    assert json.loads(stream.token)["since"] == at(5).isoformat()


def test_an_expired_iterator_is_replaced_after_the_last_record():
    with Streams() as s:
        s.table()
        s.describe([shard("X")])
        s.iterator("X", "it1")
        s.records("it1", [record(1, "a", 1)], "it2")
        stream = s.engine.stream(Event, "trim_horizon")
        iterator = iter(stream)
        assert next(iterator).key.id == "a"
        s.stub.add_client_error("get_records", "ExpiredIteratorException", "expired",
                                expected_params={"ShardIterator": "it2"})
        s.iterator("X", "it3", "AFTER_SEQUENCE_NUMBER", after=1)
        s.records("it3", [record(2, "b", 2)], "it4")
        s.records("it4", [], "it5")
        assert [r.key.id for r in iterator] == ["b"]
        s.done()


def test_trimmed_records_restart_at_the_oldest_that_remain():
    token = json.dumps({"v": 1, "stream": ARN, "since": None,
                        "shards": [{"id": sid("X"), "parent": None, "start": "TRIM_HORIZON", "after": seq(5)}]})
    with Streams() as s:
        s.stub.add_client_error("get_shard_iterator", "TrimmedDataAccessException", "trimmed", expected_params={
            "StreamArn": ARN, "ShardId": sid("X"), "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
            "SequenceNumber": seq(5)})
        s.iterator("X", "it1")
        s.records("it1", [record(9, "a", 1)], "it2")
        s.records("it2", [], "it3")
        assert [r.key.id for r in s.engine.stream(Event, token)] == ["a"]
        s.done()


def test_a_shard_past_retention_is_skipped_for_its_children():
    token = json.dumps({"v": 1, "stream": ARN, "since": None,
                        "shards": [{"id": sid("A"), "parent": None, "start": "TRIM_HORIZON", "after": seq(150)}]})
    with Streams() as s:
        s.stub.add_client_error("get_shard_iterator", "ResourceNotFoundException", "gone")
        s.describe([C])
        s.iterator("C", "itC")
        stream = s.engine.stream(Event, token)
        s.records("itC", [record(301, "c", 1)], "itC2")
        s.records("itC2", [], "itC3")
        assert [r.key.id for r in stream] == ["c"]
        s.done()


def test_other_errors_propagate():
    with Streams() as s:
        s.table()
        s.describe([shard("X")])
        s.iterator("X", "it1")
        stream = s.engine.stream(Event, "trim_horizon")
        s.stub.add_client_error("get_records", "InternalServerError", "boom", http_status_code=500)
        with pytest.raises(ServiceError):
            list(stream)


def test_positions_and_tokens_are_checked():
    with pytest.raises(InvalidStream, match="declares no stream"):
        Engine(Streams().dynamodb).stream(Quiet, "latest")
    with pytest.raises(InvalidStream, match="concrete model"):
        Engine(Streams().dynamodb).stream(BaseModel, "latest")
    with Streams() as s:
        for position in ("yesterday", None, 3, datetime.datetime(2024, 1, 1), '{"v": 2}', "{not json",
                         json.dumps({"v": 1, "stream": ARN, "since": None, "shards": [{"id": "X"}]})):
            with pytest.raises(InvalidStream):
                s.engine.stream(Event, position)
        other = ARN.replace("s-events", "s-other")
        with pytest.raises(InvalidStream, match="another table"):
            s.engine.stream(Event, json.dumps({"v": 1, "stream": other, "since": None, "shards": []}))
        s.table(arn=None)
        with pytest.raises(InvalidStream, match="has no stream"):
            s.engine.stream(Event, "trim_horizon")
        s.done()


def test_coordinator_is_io_free():
    coordinator = Coordinator(Event, "s-events")
    op = coordinator.move_to("trim_horizon")
    (call,) = next(op)
    assert (call.operation, call.request) == ("describe_table", {"TableName": "s-events"})
    assert coordinator.take() is None


# ---------------------------------------------------------------------------------------
# Lambda events: plain JSON, as AWS Lambda hands it to a function

LAMBDA_EVENT = """
{
  "Records": [
    {
      "eventID": "c4ca4238a0b923820dcc509a6f75849b",
      "eventName": "MODIFY",
      "eventVersion": "1.1",
      "eventSource": "aws:dynamodb",
      "awsRegion": "us-east-1",
      "dynamodb": {
        "ApproximateCreationDateTime": 1704067200,
        "Keys": {"id": {"S": "e1"}},
        "NewImage": {"id": {"S": "e1"}, "value": {"N": "2"}, "blob": {"B": "AAEC"},
                     "blobs": {"BS": ["AQ==", "Ag=="]}, "extra": {"M": {"b": {"B": "/w=="}}}},
        "OldImage": {"id": {"S": "e1"}, "value": {"N": "1"}},
        "SequenceNumber": "111",
        "SizeBytes": 26,
        "StreamViewType": "NEW_AND_OLD_IMAGES"
      },
      "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/events/stream/2024-01-01T00:00:00.000"
    },
    {
      "eventID": "c81e728d9d4c2f636f067f89cc14862c",
      "eventName": "REMOVE",
      "eventVersion": "1.1",
      "eventSource": "aws:dynamodb",
      "awsRegion": "us-east-1",
      "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
      "dynamodb": {
        "ApproximateCreationDateTime": 1704067260.5,
        "Keys": {"id": {"S": "e2"}},
        "OldImage": {"id": {"S": "e2"}, "value": {"N": "7"}},
        "SequenceNumber": "222",
        "SizeBytes": 12,
        "StreamViewType": "NEW_AND_OLD_IMAGES"
      },
      "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/events/stream/2024-01-01T00:00:00.000"
    }
  ]
}
"""


def test_lambda_event_records():
    event = json.loads(LAMBDA_EVENT)
    modify, expired = [from_lambda(Event, raw) for raw in event["Records"]]
    assert (modify.event_name, modify.key.id, modify.sequence_number) == ("MODIFY", "e1", "111")
    assert modify.created_at == T0 and modify.shard_id is None and not modify.expired
    assert (modify.old.value, modify.new.value) == (1, 2)
    assert modify.new.blob == b"\x00\x01\x02" and modify.new.blobs == {b"\x01", b"\x02"}
    assert expired.event_name == "REMOVE" and expired.expired and expired.new is None
    assert expired.old.value == 7 and expired.created_at == at(60.5)
    assert expired.raw is event["Records"][1]
    # the same through the model
    again = Event.from_stream_record(event["Records"][0])
    assert again.new.blob == modify.new.blob and repr(again) == "<Record MODIFY Event(id='e1') seq=111>"


def test_lambda_records_are_checked():
    good = json.loads(LAMBDA_EVENT)["Records"][0]
    with pytest.raises(InvalidStream, match="not a DynamoDB stream record"):
        from_lambda(Event, {"eventSource": "aws:sqs", "body": "{}"})
    with pytest.raises(InvalidStream, match="not a DynamoDB stream record"):
        from_lambda(Event, "a string")
    with pytest.raises(InvalidStream, match="unknown stream event"):
        from_lambda(Event, dict(good, eventName="UPSERT"))
    with pytest.raises(InvalidStream, match="concrete model"):
        from_lambda(BaseModel, good)
    bad = json.loads(LAMBDA_EVENT)["Records"][0]
    bad["dynamodb"]["NewImage"]["blob"] = {"B": "not base64!"}
    with pytest.raises(InvalidStream, match="base64"):
        from_lambda(Event, bad)
    bad = json.loads(LAMBDA_EVENT)["Records"][0]
    bad["dynamodb"]["ApproximateCreationDateTime"] = "yesterday"
    with pytest.raises(InvalidStream, match="epoch seconds"):
        from_lambda(Event, bad)
    assert base64.b64decode("AAEC") == b"\x00\x01\x02"

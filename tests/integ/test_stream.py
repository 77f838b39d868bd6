"""Streams against moto (in-process and server), which keep one shard per table.

dynalite does not implement DynamoDB Streams, so every test here skips it.  Shard
splits, closed shards and expired iterators are played back through botocore's
Stubber in tests/unit/test_stream.py.

moto emits two INSERT records when UpdateItem creates an item (the key alone, then
the whole item); DynamoDB emits one.  The tests below look at the last image of
each event rather than counting INSERTs.
"""
import datetime

import boto3
import pytest

import bloop
from bloop import BaseModel, Column, Integer, String


@pytest.fixture(autouse=True)
def _streams_backend(backend_name):
    if backend_name == "dynalite":
        pytest.skip("dynalite does not implement DynamoDB Streams")


@pytest.fixture
def streams_engine(backend, client, prefix):
    """An engine with a DynamoDB Streams client on the backend's endpoint."""
    streams = boto3.client("dynamodbstreams", endpoint_url=backend["endpoint_url"], region_name="us-east-1")
    engine = bloop.Engine(client, streams, table_name_template=prefix + "{table_name}")
    engine.bind(Note)
    return engine


class Note(BaseModel):
    class Meta:
        table_name = "notes"
        stream = {"include": ["new", "old"]}

    id = Column(String, hash_key=True)
    text = Column(String)
    stars = Column(Integer)


def changes(records):
    """(event, key, new text, old text) per record, with moto's extra key-only INSERTs left out."""
    return [(r.event_name, r.key.id, r.new and r.new.text, r.old and r.old.text) for r in records
            if not (r.event_name == "INSERT" and r.new is not None and r.new.text is None)]


def test_records_hold_model_objects_and_resume_from_a_token(streams_engine):
    engine = streams_engine
    stream = engine.stream(Note, "trim_horizon")
    assert list(stream) == []
    note = Note(id="n1", text="first", stars=1)
    engine.save(note)
    note.text = "second"
    engine.save(note)
    records = list(stream)
    assert changes(records) == [("INSERT", "n1", "first", None), ("MODIFY", "n1", "second", "first")]
    modify = records[-1]
    assert isinstance(modify.new, Note) and modify.new.stars == 1 and modify.key.id == "n1"
    assert modify.created_at.tzinfo is datetime.timezone.utc
    token = stream.token

    engine.delete(note)
    engine.save(Note(id="n2", text="other"))
    rest = list(stream)
    assert changes(rest) == [("REMOVE", "n1", None, "second"), ("INSERT", "n2", "other", None)]

    # elsewhere, from the token: exactly what came after it
    again = engine.stream(Note, token)
    assert [r.sequence_number for r in again] == [r.sequence_number for r in rest]
    # and the first stream can go back to it
    assert [r.sequence_number for r in stream.move_to(token)] == [r.sequence_number for r in rest]
    assert list(stream) == []


def test_latest_and_datetime_positions(streams_engine):
    engine = streams_engine
    engine.save(Note(id="before", text="old news"))
    latest = engine.stream(Note, "latest")
    future = engine.stream(Note, datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
    past = engine.stream(Note, datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1))
    engine.save(Note(id="after", text="news"))
    assert changes(latest) == [("INSERT", "after", "news", None)]
    assert list(future) == []
    assert [c[1] for c in changes(past)] == ["before", "after"]


def test_a_model_without_a_stream_is_refused(streams_engine):
    class Plain(BaseModel):
        id = Column(String, hash_key=True)

    with pytest.raises(bloop.InvalidStream, match="declares no stream"):
        streams_engine.stream(Plain, "latest")


def test_the_default_streams_client(engine, backend_name):
    """With no streams client given, the engine makes one at the right endpoint: AWS's
    (which moto in-process intercepts) for an AWS client, the same local one otherwise."""
    if backend_name == "dynalite":
        pytest.skip("dynalite does not implement DynamoDB Streams")
    engine.bind(Note)
    engine.save(Note(id="n", text="t"))
    assert changes(engine.stream(Note, "trim_horizon"))

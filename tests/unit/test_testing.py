"""bloop.testing without a backend: the Lambda event builder and the faults' checks.

Each built record is read back with :func:`bloop.stream.from_lambda`, the reader of
the events Lambda really sends, and its shape is compared with the documented one.
"""
import base64
import datetime
import json

import pytest

from bloop import BaseModel, Binary, Column, DateTime, Integer, InvalidConfiguration, InvalidStream, Set, String
from bloop.stream import from_lambda
from bloop.testing import Faults, stream_event, stream_record

AT = datetime.datetime(2026, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)


class Doc(BaseModel):
    class Meta:
        table_name = "docs"
        stream = {"include": ["new", "old"]}

    id = Column(String, hash_key=True)
    v = Column(Integer, range_key=True)
    blob = Column(Binary)
    blobs = Column(Set(Binary))
    tags = Column(Set(String))
    at = Column(DateTime)


class KeysOnly(BaseModel):
    class Meta:
        stream = {"include": ["keys"]}

    id = Column(String, hash_key=True)
    name = Column(String)


def doc(**values):
    return Doc(**{"id": "d1", "v": 1, **values})


def test_an_event_reads_back_into_the_objects_it_was_made_from():
    old = doc(blob=b"\x00\x01", tags={"a"}, at=AT)
    new = doc(blob=b"\xff", blobs={b"x", b"y"}, tags={"a", "b"}, at=AT)
    event = stream_event(inserted=[new], modified=[(old, new)], removed=[old], expired=[old], created_at=AT)
    event = json.loads(json.dumps(event))  # plain JSON, as Lambda hands it over
    records = [from_lambda(Doc, raw) for raw in event["Records"]]
    assert [r.event_name for r in records] == ["INSERT", "MODIFY", "REMOVE", "REMOVE"]
    assert [r.expired for r in records] == [False, False, False, True]
    inserted, modified, removed, _ = records
    assert (inserted.old, inserted.new.blob, inserted.new.blobs) == (None, b"\xff", {b"x", b"y"})
    assert (modified.old.tags, modified.new.tags, modified.new.at) == ({"a"}, {"a", "b"}, AT)
    assert (removed.new, removed.old.blob, removed.key.id, removed.key.v) == (None, b"\x00\x01", "d1", 1)
    assert all(r.created_at == AT for r in records)
    numbers = [r.sequence_number for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4


def test_the_shape_is_lambdas():
    raw, = stream_event(inserted=[doc(blob=b"\xff")], created_at=AT, region="eu-west-1")["Records"]
    assert set(raw) == {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
                        "eventSourceARN"}
    assert (raw["eventSource"], raw["awsRegion"], raw["eventVersion"]) == ("aws:dynamodb", "eu-west-1", "1.1")
    assert raw["eventSourceARN"].startswith("arn:aws:dynamodb:eu-west-1:") and ":table/docs/stream/" in raw[
        "eventSourceARN"]
    body = raw["dynamodb"]
    assert set(body) == {"ApproximateCreationDateTime", "Keys", "NewImage", "SequenceNumber", "SizeBytes",
                         "StreamViewType"}
    assert body["ApproximateCreationDateTime"] == int(AT.timestamp()) and body["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert body["Keys"] == {"id": {"S": "d1"}, "v": {"N": "1"}}
    assert body["NewImage"]["blob"] == {"B": base64.b64encode(b"\xff").decode()}  # base64 text, as Lambda's
    assert isinstance(body["SizeBytes"], int) and body["SequenceNumber"].isdigit()


@pytest.mark.parametrize("view, old, new", [("KEYS_ONLY", False, False), ("NEW_IMAGE", False, True),
                                            ("OLD_IMAGE", True, False), ("NEW_AND_OLD_IMAGES", True, True)])
def test_views(view, old, new):
    raw = stream_record("MODIFY", doc(tags={"a"}), doc(tags={"b"}), view=view)
    assert ("OldImage" in raw["dynamodb"], "NewImage" in raw["dynamodb"]) == (old, new)
    record = from_lambda(Doc, raw)
    assert record.key.id == "d1" and (record.old is not None, record.new is not None) == (old, new)


def test_the_view_defaults_to_the_models_stream():
    raw, = stream_event(removed=[KeysOnly(id="k", name="n")])["Records"]
    assert raw["dynamodb"]["StreamViewType"] == "KEYS_ONLY" and "OldImage" not in raw["dynamodb"]
    assert from_lambda(KeysOnly, raw).key.id == "k"


@pytest.mark.parametrize("make, message", [
    (lambda: stream_record("UPSERT", new=doc()), "event name"),
    (lambda: stream_record("INSERT"), "needs the new object"),
    (lambda: stream_record("INSERT", old=doc(), new=doc()), "no old image"),
    (lambda: stream_record("REMOVE", new=doc()), "needs the old object"),
    (lambda: stream_record("MODIFY", doc(v=1), doc(v=2)), "differ"),
    (lambda: stream_record("INSERT", new=doc(), expired=True), "time to live"),
    (lambda: stream_record("INSERT", new=doc(), view="ALL"), "view"),
    (lambda: stream_record("INSERT", new=object()), "concrete model"),
    (lambda: stream_record("INSERT", new=doc(), created_at=datetime.datetime(2026, 1, 1)), "aware"),
    (lambda: stream_event(modified=[doc()]), "pairs"),
])
def test_bad_input_is_refused(make, message):
    with pytest.raises(InvalidStream, match=message) as excinfo:
        make()
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize("make, message", [
    (lambda f: f.throttle(times=0), "positive int"),
    (lambda f: f.unprocessed(share=0), "fraction"),
    (lambda f: f.unprocessed(operations=["PutItem"]), "batch operations"),
    (lambda f: f.lose_answers(times=True), "positive int"),
    (lambda f: f.attach(object()), "botocore client"),
])
def test_faults_refuse_bad_settings(make, message):
    with pytest.raises(InvalidConfiguration, match=message):
        make(Faults())


def test_the_plugins_fixtures_are_namespaced_and_clash_with_none_of_the_suites():
    import ast
    import pathlib

    import bloop.testing.plugin as plugin

    def fixtures(source):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and any(
                    "fixture" in ast.unparse(decorator) for decorator in node.decorator_list):
                yield node.name

    ours = set(fixtures(pathlib.Path(plugin.__file__).read_text()))
    assert {"bloop_engine", "bloop_async_engine", "bloop_faults", "bloop_stream_event", "bloop_table_prefix",
            "bloop_models", "bloop_engine_options", "bloop_client"} == ours
    root = pathlib.Path(__file__).resolve().parents[1]
    suites = {name for path in root.rglob("*.py") for name in fixtures(path.read_text())}
    assert not ours & suites

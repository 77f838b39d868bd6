"""OpenTelemetry spans of an engine's operations (bloop.telemetry), read with the SDK's
in-memory exporter; the engine sends through a fake transport that checks each request
against botocore's service model.  The otel extra is installed by make: an import error
here is a failure, not a skip."""
import asyncio

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from bloop import BaseModel, Column, Integer, String, telemetry
from bloop.aio import AsyncEngine
from bloop.exceptions import InvalidType, ServiceError
from tests.unit.fakes import AsyncFakeTransport, fake_engine
from tests.unit.helpers import dynamodb_client


class Track(BaseModel):
    class Meta:
        table_name = "tracks"

    id = Column(String, hash_key=True)
    plays = Column(Integer)


@pytest.fixture
def exporter():
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter):
    made = TracerProvider()
    made.add_span_processor(SimpleSpanProcessor(exporter))
    return made


def spans(exporter):
    return [(span.name, dict(span.attributes)) for span in exporter.get_finished_spans()]


def test_one_span_per_operation_with_model_table_operation_items_and_capacity(exporter, provider):
    seen = []

    def respond(call):
        seen.append(getattr(trace.get_current_span(), "name", None))  # what is current while the request is sent
        if call.operation == "batch_write_item":
            return {"UnprocessedItems": {}, "ConsumedCapacity": [{"TableName": "prefix-tracks", "CapacityUnits": 3.0}]}
        return {"Items": [{"id": {"S": "a"}}, {"id": {"S": "b"}}], "Count": 2,
                "ConsumedCapacity": {"TableName": "prefix-tracks", "CapacityUnits": 0.5}}

    engine = fake_engine(respond=respond, capacity=True)
    engine.bind(Track, skip_table_setup=True)
    assert telemetry.instrument(engine, tracer_provider=provider) is engine
    engine.save([Track(id="a"), Track(id="b"), Track(id="c")])
    assert len(engine.scan(Track).all()) == 2
    assert seen == ["bloop.save", "bloop.search"]  # a search's span is named query or scan when it ends
    (save_name, save), (scan_name, scan) = spans(exporter)
    assert save_name == "bloop.save" and scan_name == "bloop.scan"
    assert save == {
        "db.system": "dynamodb", "bloop.operation": "save", "bloop.table": "prefix-tracks",
        "aws.dynamodb.table_names": ("prefix-tracks",), "bloop.model": "Track",
        "bloop.dynamodb.operations": ("batch_write_item",), "bloop.requests": 1, "bloop.item_count": 3,
        "bloop.capacity.read": 0.0, "bloop.capacity.write": 3.0, "bloop.capacity.total": 3.0,
    }
    assert scan["bloop.operation"] == "scan" and scan["bloop.search"] == "all"
    assert scan["bloop.item_count"] == 2 and scan["bloop.capacity.read"] == 0.5


def test_pages_binds_and_transactions_have_their_spans_and_no_capacity_unless_counted(exporter, provider):
    engine = fake_engine([{"Items": [{"id": {"S": "a"}}], "Count": 1}, {}])
    telemetry.instrument(engine, tracer_provider=provider)
    engine.bind(Track, skip_table_setup=True)  # nothing sent: no span
    assert [t.id for t in engine.query(Track, key=Track.id == "a")] == ["a"]
    with engine.transaction() as tx:
        tx.save(Track(id="a", plays=1))
    (query_name, query), (tx_name, tx) = spans(exporter)
    assert (query_name, query["bloop.search"], query["bloop.item_count"]) == ("bloop.query", "page", 1)
    assert "bloop.capacity.total" not in query
    assert (tx_name, tx["bloop.dynamodb.operations"], tx["bloop.item_count"]) == \
        ("bloop.transaction", ("transact_write_items",), 1)
    telemetry.uninstrument(engine)
    engine.transport.answers.append({})
    engine.delete(Track(id="a"))
    assert len(exporter.get_finished_spans()) == 2


def test_a_failed_operation_ends_its_span_with_the_error(exporter, provider):
    engine = fake_engine([ServiceError("boom", code="InternalServerError")])
    telemetry.instrument(engine, tracer_provider=provider)
    with pytest.raises(ServiceError):
        engine.delete(Track(id="a"))
    span, = exporter.get_finished_spans()
    assert span.name == "bloop.delete" and span.status.status_code is StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]
    assert span.attributes["bloop.requests"] == 0 and span.attributes["bloop.table"] == "prefix-tracks"


def test_the_async_engine_makes_the_same_spans_current_in_its_task(exporter, provider):
    seen = []

    def respond(call):
        seen.append(getattr(trace.get_current_span(), "name", None))
        return {"Item": {"id": {"S": "a"}}} if call.operation == "get_item" else \
            {"Responses": {"prefix-tracks": [{"id": {"S": "a"}, "plays": {"N": "2"}}]}}

    engine = AsyncEngine(dynamodb_client(), table_name_template="prefix-{table_name}")
    engine.transport = AsyncFakeTransport(respond=respond)
    telemetry.instrument(engine, tracer_provider=provider)
    track = Track(id="a")
    asyncio.run(engine.load(track))
    assert track.plays == 2 and seen == ["bloop.load"]
    (name, attributes), = spans(exporter)
    assert name == "bloop.load" and attributes["bloop.item_count"] == 1 and attributes["bloop.model"] == "Track"


def test_instrument_refuses_what_is_not_an_engine():
    with pytest.raises(InvalidType, match="Engine or AsyncEngine"):
        telemetry.instrument(object())

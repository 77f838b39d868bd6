"""bloop's spans around botocore's own: with opentelemetry-instrumentation-botocore on (as a
service using OpenTelemetry has it), each request's span is a child of the span of the bloop
operation that sent it, on the sync engine's worker threads too.  On moto in-process: the
instrumentation wraps botocore's API call, which moto answers below it."""
import boto3
from moto import mock_aws
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bloop import BaseModel, Column, Engine, Integer, String, telemetry


class Play(BaseModel):
    class Meta:
        table_name = "plays"

    id = Column(String, hash_key=True)
    count = Column(Integer)


def test_botocores_spans_nest_inside_bloops():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = BotocoreInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        with mock_aws():
            engine = Engine(dynamodb=boto3.client("dynamodb", region_name="us-east-1"), max_concurrency=4)
            telemetry.instrument(engine, tracer_provider=provider)
            engine.bind(Play)
            engine.save([Play(id=f"p{n}", count=n) for n in range(60)])  # 3 BatchWriteItem chunks, on threads
            assert len(engine.scan(Play).all()) == 60
            engine.save(Play(id="p0", count=100))  # one UpdateItem
    finally:
        instrumentor.uninstrument()
    spans = exporter.get_finished_spans()
    ours = {span.context.span_id: span for span in spans if span.name.startswith("bloop.")}
    requests = [span for span in spans if span.name.startswith("DynamoDB.")]
    parents = {}
    for span in requests:
        parent = ours.get(span.parent.span_id) if span.parent is not None else None
        assert parent is not None, f"{span.name} is not inside a bloop span"
        parents.setdefault(parent.name, []).append(span.name)
    assert parents["bloop.save"].count("DynamoDB.BatchWriteItem") == 3
    assert parents["bloop.save"].count("DynamoDB.UpdateItem") == 1
    assert set(parents["bloop.scan"]) == {"DynamoDB.Scan"}
    assert "DynamoDB.CreateTable" in parents["bloop.bind"]

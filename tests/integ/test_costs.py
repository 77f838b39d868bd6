"""What each request costs, on every backend with both engines: consumed capacity totalled
on the engine, progress of a bulk save, load and delete, and OpenTelemetry spans that are
current while the client sends (so botocore's own spans would nest in them).

One table per run: everything is checked in one scenario (dynalite takes a second to
create a table)."""
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bloop import telemetry

from .models import User

pytestmark = pytest.mark.engines("sync", "async")


def test_capacity_progress_and_spans(make_engine, engine_client, backend_name):
    engine = make_engine(capacity=True, max_concurrency=4)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.instrument(engine, tracer_provider=provider)
    current = []

    def sending(model, params, **kwargs):  # where botocore's instrumentation starts its span
        current.append((model.name, getattr(trace.get_current_span(), "name", None)))

    engine_client.meta.events.register("provide-client-params.dynamodb", sending)
    engine.bind(User)
    current.clear()

    users = [User(id=f"u{i}", email=f"{i % 3}@example.com", age=i) for i in range(60)]
    reports = []
    engine.save(users, progress=reports.append)
    assert [(r.operation, r.total) for r in reports] == [("save", 60)] * len(reports)
    assert sorted(r.done for r in reports) == [r.done for r in reports] and reports[-1].done == 60
    assert sorted(u.id for r in reports for u in r.objects) == sorted(u.id for u in users)
    # three chunks in one step, sent on the sync engine's worker threads: the span is current there too
    assert current == [("BatchWriteItem", "bloop.save")] * 3

    loaded = [User(id=u.id) for u in users]
    reports.clear()
    engine.load(loaded, progress=reports.append)
    assert reports[-1].done == 60 and sorted(u.age for u in loaded) == list(range(60))
    found = engine.query(User.by_email, key=User.email == "1@example.com").all()
    assert len(found) == 20
    reports.clear()
    engine.delete(users, progress=reports.append)
    assert reports[-1].done == 60 and reports[-1].operation == "delete"

    names = [span.name for span in exporter.get_finished_spans()]
    assert names == ["bloop.bind", "bloop.save", "bloop.load", "bloop.query", "bloop.delete"]
    assert exporter.get_finished_spans()[0].attributes["bloop.table"].endswith("users")
    save, load, query, delete = exporter.get_finished_spans()[-4:]
    assert save.attributes["bloop.item_count"] == 60 and save.attributes["bloop.model"] == "User"
    assert load.attributes["bloop.item_count"] == 60
    assert query.attributes["bloop.item_count"] == 20 and query.attributes["bloop.search"] == "all"

    capacity = engine.capacity
    operations = capacity.by_operation()
    # every backend reports what the writes and reads consumed (moto and dynalite estimate it)
    assert operations["batch_write_item"].write > 0 and operations["batch_get_item"].read > 0
    assert operations["query"].total > 0
    assert set(capacity.by_model()) == {User}
    assert capacity.total.total > 0 and capacity.requests > 0
    assert save.attributes["bloop.capacity.write"] > 0
    capacity.reset()
    assert capacity.total.total == 0

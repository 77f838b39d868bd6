"""A Lambda stream handler, tested with events built from model objects."""
import datetime

from models import Order, order


def handler(event, context):
    """The project's Lambda function."""
    seen = []
    for raw in event["Records"]:
        record = Order.from_stream_record(raw)
        seen.append((record.event_name, record.key.number, record.old and record.old.status,
                     record.new and record.new.status, record.expired))
    return seen


def test_handler(bloop_stream_event):
    expires = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    event = bloop_stream_event(inserted=[order(1)], modified=[(order(2), order(2, status="paid"))],
                               removed=[order(3, receipt=b"\x01")], expired=[order(4, expires=expires)])
    assert handler(event, None) == [
        ("INSERT", 1, None, "new", False), ("MODIFY", 2, "new", "paid", False),
        ("REMOVE", 3, "new", None, False), ("REMOVE", 4, "new", None, True)]

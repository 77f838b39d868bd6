"""The project's models: what a service outside bloop's repository declares."""
import datetime

from bloop import BaseModel, Binary, Column, DateTime, Integer, String, Timestamp


class Order(BaseModel):
    class Meta:
        stream = {"include": ["new", "old"]}

    customer = Column(String, hash_key=True)
    number = Column(Integer, range_key=True)
    status = Column(String, default="new")
    receipt = Column(Binary)
    placed = Column(DateTime)
    expires = Column(Timestamp)


def order(number, **values):
    values.setdefault("placed", datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc))
    return Order(customer="c1", number=number, **values)

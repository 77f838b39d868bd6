"""A parallel scan: one table read by several worker processes at once.

Each segment of ``scan.segments(n)`` pickles without its engine; a worker binds it
to its own engine (a botocore client cannot cross processes).  Runs against the
endpoint in ``BLOOP_ENDPOINT_URL`` (a moto server, dynalite, DynamoDB Local), or, with
none set, with threads against moto in-process.

    BLOOP_ENDPOINT_URL=http://127.0.0.1:8000 python examples/parallel_scan.py
"""
import os
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from bloop import BaseModel, Column, Engine, Integer, String

ENDPOINT = os.environ.get("BLOOP_ENDPOINT_URL")
PREFIX = f"scan-{uuid.uuid4().hex[:6]}-"


class Reading(BaseModel):
    class Meta:
        table_name = "readings"

    sensor = Column(String, hash_key=True)
    at = Column(Integer, range_key=True)
    value = Column(Integer)


def make_engine():
    return Engine(endpoint_url=ENDPOINT, region_name="us-east-1", table_name_template=PREFIX + "{table_name}")


def total(segment, engine=None):
    """Sum one segment's values (runs in a worker)."""
    engine = engine or make_engine()
    return sum(r.value for r in engine.scan(segment))


def main():
    engine = make_engine()
    engine.bind(Reading)
    engine.save([Reading(sensor=f"s{i % 7}", at=i, value=i) for i in range(1000)])
    segments = engine.scan(Reading).filter(Reading.value >= 0).segments(4)
    if ENDPOINT:
        with ProcessPoolExecutor(4) as pool:
            parts = list(pool.map(total, segments))
    else:
        with ThreadPoolExecutor(4) as pool:
            parts = list(pool.map(lambda s: total(s, engine), segments))
    print("segment sums:", parts)
    print("total:", sum(parts), "expected:", sum(range(1000)))


if __name__ == "__main__":
    if ENDPOINT:
        main()
    else:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        from moto import mock_aws
        with mock_aws():
            main()

"""The async engine's two transports side by side: aiobotocore, and botocore on a thread pool.

``AsyncEngine(endpoint_url=...)`` sends through aiobotocore; ``AsyncEngine(threads=True,
...)`` (or ``AsyncEngine(boto3_client)``) runs botocore's blocking calls on a thread pool.
Both run here against the benchmark's stub endpoint (``stub.py``: it answers at once from
memory, so the figures are the clients' own costs, on this machine), in one process, the
two sides round-robin, a warm-up each, the median of ``--reps`` reps:

- ``save x N, 50 tasks``: N single-object saves (one UpdateItem each) from 50 concurrent
  tasks, as a web service's handlers do;
- ``query 1,000``: one partition queried into 1,000 model objects (one task);
- ``load 1,000``: ``engine.load`` of 1,000 objects (10 BatchGetItem, 4 at once).

Usage: ``python benchmarks/async_transports.py [--reps 5] [--saves 400]``
"""
import argparse
import asyncio
import gc
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("BENCH_N", "5000")

from run import start_stub, stop_stub  # noqa: E402
from workload import TABLE  # noqa: E402

from bloop import BaseModel, Boolean, Column, Float, Integer, List, Map, Set, String, Timestamp  # noqa: E402
from bloop.aio import AsyncEngine  # noqa: E402


class Item(BaseModel):
    class Meta:
        table_name = TABLE

    pk = Column(String, hash_key=True)
    sk = Column(Integer, range_key=True)
    title = Column(String)
    qty = Column(Integer)
    score = Column(Float)
    active = Column(Boolean)
    tags = Column(Set(String))
    nums = Column(List(Integer))
    info = Column(Map(color=String, size=Integer, ok=Boolean))
    ts = Column(Timestamp)
    blob = Column(String)


async def saves(engine, n):
    queue = list(range(n))

    async def worker():
        while queue:
            i = queue.pop()
            await engine.save(Item(pk="part-0", sk=i, title=f"t{i}", qty=i))

    await asyncio.gather(*(worker() for _ in range(50)))


async def query(engine, n):
    got = [item async for item in engine.query(Item).key(Item.pk == "part-1")]
    assert len(got) == 1000, len(got)


async def load(engine, n):
    objs = [Item(pk="part-2", sk=i) for i in range(1000)]
    await engine.load(objs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--saves", type=int, default=400)
    args = parser.parse_args()
    process, url = start_stub()
    try:
        sides = {
            "aiobotocore": AsyncEngine(endpoint_url=url, region_name="us-east-1"),
            "threads": AsyncEngine(endpoint_url=url, region_name="us-east-1", threads=True),
        }
        loop = asyncio.new_event_loop()
        for engine in sides.values():
            loop.run_until_complete(engine.bind(Item, skip_table_setup=True))
        print(f"{'workload':<22}{'aiobotocore':>14}{'threads':>14}{'threads/aio':>14}")
        for name, work, n in (("save x %d, 50 tasks" % args.saves, saves, args.saves),
                              ("query 1,000", query, 0), ("load 1,000", load, 0)):
            times = {side: [] for side in sides}
            for rep in range(args.reps + 1):
                for side, engine in sides.items():
                    gc.collect()
                    started = time.perf_counter()
                    loop.run_until_complete(work(engine, n))
                    if rep:  # rep 0 warms up
                        times[side].append(time.perf_counter() - started)
            aio, threads = (statistics.median(times[side]) for side in ("aiobotocore", "threads"))
            print(f"{name:<22}{aio * 1000:>11.1f} ms{threads * 1000:>11.1f} ms{threads / aio:>14.2f}")
        for engine in sides.values():
            loop.run_until_complete(engine.close())
        loop.close()
    finally:
        stop_stub(process)


if __name__ == "__main__":
    main()

"""A backfill spread over Dask's distributed scheduler.

The unit of work is a picklable segment of the backfill (``job.segments()``): any executor
that can call a function on a picklable argument can run them, on this machine or across
machines.  Here a ``distributed.LocalCluster`` stands in for a real cluster; against one, pass
its scheduler's address to ``Client`` instead, and put the checkpoint directory on storage
every worker sees.  Every worker makes its own engine from the job's ``EngineSpec``.

    BLOOP_ENDPOINT_URL=http://127.0.0.1:8000 python examples/dask_backfill.py

Run it again after an interruption: segments already done are skipped, the others continue
where they stopped.
"""
import os
import tempfile
import uuid

from distributed import Client, LocalCluster

from bloop import BaseModel, Column, String
from bloop.backfill import Backfill, run_segment
from bloop.jobs import EngineSpec


class Account(BaseModel):
    class Meta:
        table_name = "accounts"

    id = Column(String, hash_key=True)
    email = Column(String)
    domain = Column(String)


def fill_domain(account):
    """The backfill's function: a module-level function, so workers can import it."""
    if account.domain is None and account.email:
        account.domain = account.email.rpartition("@")[2].lower()


def backfill_on_dask(spec, checkpoint, client, segments=4):
    """Run every segment of the backfill on the Dask cluster behind ``client``."""
    job = Backfill(Account, fill_domain, checkpoint, segments=segments, engine=spec)
    futures = client.map(run_segment, job.segments(), pure=False)
    client.gather(futures)  # raises the first failure; what the others did is recorded
    return job.status()


def main(endpoint_url=None, checkpoint=None, prefix=None):
    spec = EngineSpec(endpoint_url or os.environ.get("BLOOP_ENDPOINT_URL"), "us-east-1",
                      (prefix or f"dask-{uuid.uuid4().hex[:6]}-") + "{table_name}")
    engine = spec.engine()
    engine.bind(Account)
    engine.save([Account(id=str(i), email=f"user{i}@Example{i % 3}.com") for i in range(60)])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        result = backfill_on_dask(spec, checkpoint or tempfile.mkdtemp(prefix="backfill-"), client)
    print(f"processed {result.processed}, changed {result.changed}, segments {result.segments_done}/{result.segments}")
    return engine, result


if __name__ == "__main__":
    main()

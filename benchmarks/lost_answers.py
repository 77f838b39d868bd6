"""The cost of bloop's lost-answer handling, against the same engine without it, in one run.

bloop follows botocore's attempts of every request (:func:`bloop.session.attempts`, a
context variable, and two handlers on the client's ``needs-retry`` and
``request-created`` events; see docs/updates.rst, "Lost answers").  This runs single-
object saves (values set, which may be re-sent; ``actions.add(1)``, which may not) on the
stub endpoint of ``run.py``, round-robin against an engine whose client has the handlers
removed and whose session skips ``attempts()`` (the transport as it was before), and
prints the ratio of the best of each.

Usage: ``python benchmarks/lost_answers.py`` (``N`` and ``REPS`` from the environment).
"""
import contextlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import run as bench  # noqa: E402  (fake credentials, the stub endpoint)

from bloop import BaseModel, Column, Engine, Integer, String, actions  # noqa: E402
from bloop import session as transport  # noqa: E402
from bloop.session import make_client  # noqa: E402


class Row(BaseModel):
    class Meta:
        table_name = "bench"

    id = Column(String, hash_key=True)
    n = Column(Integer)
    note = Column(String)


def saves(engine, kind, n):
    for i in range(n):
        if kind == "set":
            engine.save(Row(id=f"r{i % 50}", note=f"x{i}"))
        else:
            engine.save(Row(id=f"r{i % 50}", n=actions.add(1)))


def main():
    n, reps = int(os.environ.get("N", 300)), int(os.environ.get("REPS", 15))
    process, url = bench.start_stub()
    following = transport.attempts
    try:
        watched = Engine(make_client(endpoint_url=url, region_name="us-east-1"))
        plain = Engine(make_client(endpoint_url=url, region_name="us-east-1"))
        events = plain.session.dynamodb.meta.events
        events.unregister("needs-retry.dynamodb", unique_id="bloop-lost-answers-answered")
        events.unregister("request-created.dynamodb", unique_id="bloop-lost-answers-sending")
        for kind in ("set", "add"):
            best = {"without": float("inf"), "with": float("inf")}
            for rep in range(reps + 1):  # the first round warms up
                for name, engine in (("without", plain), ("with", watched)):
                    if name == "without":
                        transport.attempts = lambda resend=True: contextlib.nullcontext(transport.Attempts(resend))
                    started = time.perf_counter()
                    saves(engine, kind, n)
                    elapsed = time.perf_counter() - started
                    transport.attempts = following
                    if rep:
                        best[name] = min(best[name], elapsed)
            print(f"{n} saves ({kind}): without {best['without'] / n * 1e6:.0f} us each, with lost-answer "
                  f"handling {best['with'] / n * 1e6:.0f} us each: ratio {best['with'] / best['without']:.3f}")
    finally:
        transport.attempts = following
        bench.stop_stub(process)


if __name__ == "__main__":
    main()

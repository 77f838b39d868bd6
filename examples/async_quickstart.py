"""bloop's async quick start: the same models on :class:`bloop.aio.AsyncEngine`.

Needs the ``aio`` extra (``pip install bloop[aio]``; ``make venv`` installs it)::

    python examples/async_quickstart.py

moto's in-process mock does not intercept aiobotocore, so with no endpoint this
starts a moto server on a free loopback port for the run (and stops it after).
Set ``BLOOP_ENDPOINT_URL`` to use a running endpoint instead (DynamoDB Local,
dynalite, a moto server, or AWS itself)::

    BLOOP_ENDPOINT_URL=http://127.0.0.1:8000 python examples/async_quickstart.py

It plays a small web service: the engine is made at import time (it makes its
client on first use, inside the event loop), many "requests" run at once, and
the client is closed at shutdown.
"""
import asyncio
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

from bloop import (
    Column, ConstraintViolation, GlobalSecondaryIndex, Integer, ObjectsNotFound, String, actions,
)
from bloop.aio import AsyncEngine

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
REGION = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"

# Made at import time, like a module-level engine in a web app: no I/O happens yet.  The
# client is made on first use, and then reads AWS_ENDPOINT_URL_DYNAMODB (set below), as
# botocore does; AsyncEngine(endpoint_url=...) names an endpoint in code.
engine = AsyncEngine(region_name=REGION, table_name_template="async-demo-{table_name}")


class Player(engine.model):
    class Meta:
        table_name = "players"

    id = Column(String, hash_key=True)
    name = Column(String)
    team = Column(String)
    score = Column(Integer, default=0)

    by_team = GlobalSecondaryIndex(projection="all", hash_key="team", range_key="score")


async def join(i):
    """One request: create a player, unless the id is taken."""
    player = Player(id=f"p{i}", name=f"Player {i}", team="red" if i % 2 else "blue", score=i * 10)
    try:
        await engine.save(player, condition=Player.id.is_(None))
    except ConstraintViolation:
        return f"p{i} exists"
    return f"p{i} joined"


async def score(player_id, points):
    """One request: add points in DynamoDB (no read first) and return the new total."""
    player = Player(id=player_id)
    player.score = actions.add(points)
    await engine.save(player, sync="new")
    return player.score


async def main():
    async with engine:  # closes the client the engine makes, at the end
        await engine.bind()
        print("tables ready")

        print(await asyncio.gather(*(join(i) for i in range(8))))  # 8 requests at once
        print("again:", await join(3))
        print("p3 now has", await score("p3", 5))

        # the same immutable searches, consumed with async for and await
        red = engine.query(Player.by_team).key(Player.team == "red")
        async for player in red.forward(False):
            print("red:", player.name, player.score)
        print("blue players:", await engine.query(Player.by_team).key(Player.team == "blue").count())
        print("best blue:", await engine.query(Player.by_team).key(Player.team == "blue").forward(False).first())
        print("a full scan:", len(await engine.scan(Player).all()), "players")

        # a page at a time, and resuming from a token (e.g. in a "next page" link)
        iterator = engine.scan(Player).page_size(3).__aiter__()
        first_three = [(await iterator.__anext__()).id for _ in range(3)]
        rest = [p.id async for p in engine.scan(Player).start_from(iterator.token)]
        print("first page:", first_three, "then:", rest)

        # several objects in one round trip; missing ones are named
        players = [Player(id="p1"), Player(id="p2"), Player(id="nobody")]
        try:
            await engine.load(players)
        except ObjectsNotFound as error:
            print("not found:", error.missing)

        # all or nothing
        async with engine.transaction() as tx:
            tx.delete(Player(id="p0"))
            tx.save(Player(id="p8", name="Player 8", team="blue", score=1))
        print("after the transaction:", sorted([p.id async for p in engine.scan(Player)]))
        await engine.delete([p async for p in engine.scan(Player)])


@contextmanager
def endpoint():
    """BLOOP_ENDPOINT_URL, or a moto server for the length of the run."""
    if os.environ.get("BLOOP_ENDPOINT_URL"):
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = os.environ["BLOOP_ENDPOINT_URL"]
        yield
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the moto server did not start (pip install 'moto[server]')")
                time.sleep(0.1)
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://127.0.0.1:{port}"
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    with endpoint():
        asyncio.run(main())

"""bloop's quick start: what ``make demo`` runs.

First the seed example (``examples/seed.py``, run as it is), then a little more:
a model with a global secondary index, conditional saves, a filtered scan, and
``first()`` / ``count()``.

By default everything runs against moto in-process, so no AWS account and no
server are needed.  Set ``BLOOP_ENDPOINT_URL`` to run against a DynamoDB
endpoint instead (DynamoDB Local, dynalite, a moto server, or AWS itself)::

    BLOOP_ENDPOINT_URL=http://127.0.0.1:8000 python examples/quickstart.py
"""
import datetime
import os
import runpy
import uuid
from pathlib import Path

SEED = Path(__file__).resolve().parent / "seed.py"
ENDPOINT = os.environ.get("BLOOP_ENDPOINT_URL") or None


def configure_environment():
    """Fake credentials and a region where none are set; point botocore at the endpoint."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    if not (os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
    if ENDPOINT:
        # The seed makes its own Engine() with no arguments: botocore reads this
        # variable when it creates the client, so the seed needs no change.
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = ENDPOINT
    else:
        # moto intercepts requests to the regular AWS endpoints only.
        os.environ.pop("AWS_ENDPOINT_URL", None)
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)


def step(title):
    print()
    print(f"== {title}")


def run_seed():
    step("The seed example (examples/seed.py, unchanged)")
    runpy.run_path(str(SEED), run_name="__main__")


def a_little_more():
    from bloop import (
        BaseModel, actions, Column, ConstraintViolation, DateTime, Engine, GlobalSecondaryIndex,
        Integer, InvalidSearch, Set, String,
    )

    # Against a shared endpoint every run gets tables of its own.
    run_id = uuid.uuid4().hex[:8]
    prefix = f"quickstart-{run_id}-" if ENDPOINT else "quickstart-"
    engine = Engine(endpoint_url=ENDPOINT, table_name_template=prefix + "{table_name}")

    class Base(BaseModel):
        """Abstract: never bound to a table, but its subclasses inherit its columns."""

        class Meta:
            abstract = True

        id = Column(String, hash_key=True)

    class Player(Base):
        class Meta:
            table_name = "players"

        name = Column(String)
        team = Column(String)
        score = Column(Integer, default=0)
        tags = Column(Set(String))
        joined = Column(DateTime, default=lambda: datetime.datetime.now(datetime.timezone.utc))

        by_team = GlobalSecondaryIndex(projection="all", hash_key="team", range_key="score")

    step(f"Bind Player to table {prefix}players (created with its index if missing)")
    engine.bind(Base)
    print("Bound")

    step("Save four players at once (one BatchWriteItem of whole items)")
    players = [
        Player(id="p1", name="Ada", team="red", score=31, tags={"veteran"}),
        Player(id="p2", name="Brian", team="red", score=12),
        Player(id="p3", name="Chen", team="blue", score=25, tags={"veteran", "captain"}),
        Player(id="p4", name="Dana", team="red", score=7, tags={"rookie"}),
    ]
    engine.save(players)
    for player in players:
        print(f"Saved {player.name}")

    step("Query the by_team index: red players with a score of at least 10, highest first")
    query = (engine.query(Player.by_team)
             .key((Player.team == "red") & (Player.score >= 10))
             .forward(False))
    for player in query:
        print(f"{player.name}: {player.score}")

    step("A query without a key condition is refused before any request")
    try:
        engine.query(Player.by_team).filter(Player.name == "Ada").first()
    except InvalidSearch as error:
        print(f"InvalidSearch: {error}")

    step("Create a player only if the id is free: p1 is taken")
    impostor = Player(id="p1", name="Eve", team="blue")
    try:
        engine.save(impostor, condition=Player.id.is_(None))
    except ConstraintViolation as error:
        print("ConstraintViolation: p1 already exists; nothing was written")
        if error.old is not None:
            print(f"error.old holds the stored item: {error.old.name}, score {error.old.score}")
    else:
        print("Saved (unexpected)")

    step("Update Ada's score only if nobody changed it since we read it")
    ada = Player(id="p1")
    engine.load(ada)
    print(f"Loaded {ada.name}: score {ada.score}, joined {ada.joined:%Y-%m-%d}")
    expected = ada.score
    ada.score += 5
    engine.save(ada, Player.score == expected)  # the condition may be positional
    print(f"Saved: score {expected} -> {ada.score} (only the score was sent)")

    step("An atomic counter: ADD 1 in DynamoDB, then read the new value back (sync='new')")
    ada.score = actions.add(1)
    engine.save(ada, sync="new")
    print(f"Ada's score is now {ada.score}")

    step("Scan with a filter: veterans with a score above 20")
    scan = engine.scan(Player).filter(Player.tags.contains("veteran") & (Player.score > 20))
    for player in scan:
        print(f"{player.name}: {player.score} {sorted(player.tags)}")

    step("first() and count()")
    reds = engine.query(Player.by_team).key(Player.team == "red")
    lowest = reds.first()
    print(f"Lowest red score: {lowest.name} with {lowest.score}")
    print(f"Red players: {reds.count()}")
    print(f"Players with a score below 20: {engine.scan(Player).filter(Player.score < 20).count()}")

    if ENDPOINT:
        step("Clean up: delete this run's table")
        engine.session.dynamodb.delete_table(TableName=prefix + "players")
        print(f"Deleted {prefix}players")


def main():
    configure_environment()
    if ENDPOINT:
        print(f"Running against {ENDPOINT}")
        run_seed()
        a_little_more()
        return
    from moto import mock_aws

    print("Running against moto in-process (set BLOOP_ENDPOINT_URL to use a real endpoint)")
    with mock_aws():
        run_seed()
        a_little_more()


if __name__ == "__main__":
    main()

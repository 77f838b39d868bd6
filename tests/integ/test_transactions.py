"""Transactions against moto (in-process and server).

dynalite does not implement TransactWriteItems/TransactGetItems (it answers
UnknownOperationException), so every test here skips it.  What moto does not
honour (ClientRequestToken idempotency, the 4 MB limit, TransactGetItems up to
100 items: moto stops at 25) is tested in tests/unit/test_transactions.py and
documented in docs/transactions.rst.
"""
import botocore.exceptions
import pytest

from bloop import (
    BaseModel, Column, Integer, ObjectsNotFound, ServiceError, String, TransactionCanceled, actions, signals,
)

from .models import Email, Locked

# Each scenario runs with both engines; the async one on the moto server (dynalite adds
# nothing here that the sync runs do not cover).
pytestmark = pytest.mark.engines("sync", "async", async_backends=("moto_server",))


@pytest.fixture(autouse=True)
def _transactions_backend(backend_name):
    if backend_name == "dynalite":
        pytest.skip("dynalite does not implement transactions (UnknownOperationException)")


class Account(BaseModel):
    class Meta:
        table_name = "accounts"

    id = Column(String, hash_key=True)
    owner = Column(String)
    balance = Column(Integer)
    hits = Column(Integer)


def item(client, engine, model, **key):
    wire = {name: {"S": value} for name, value in key.items()}
    return client.get_item(TableName=engine._table_name(model), Key=wire, ConsistentRead=True).get("Item")


def test_save_delete_and_check_commit_together(engine, client):
    engine.bind(Account)
    engine.bind(Email)
    alice, bob = Account(id="alice", owner="Alice", balance=10), Account(id="bob", owner="Bob", balance=0)
    engine.save([alice, bob, Account(id="zed", owner="Zed")])
    carol = Account(id="carol", owner="Carol", balance=5)
    saved = []
    with signals.object_saved.connected_to(lambda sender, obj: saved.append(obj)):
        with engine.transaction() as tx:
            alice.balance -= 5
            tx.save(alice, carol)
            tx.save(Email(address="carol@example.com"), condition=Email.address.is_(None))
            tx.delete(bob, condition=Account.balance == 0)
            tx.check(Account(id="zed"), Account.owner == "Zed")
    assert item(client, engine, Account, id="alice")["balance"] == {"N": "5"}
    assert item(client, engine, Account, id="carol")["owner"] == {"S": "Carol"}
    assert item(client, engine, Email, address="carol@example.com") == {"address": {"S": "carol@example.com"}}
    assert item(client, engine, Account, id="bob") is None
    assert saved[:2] == [alice, carol]
    # diff-based: a save in a transaction leaves attributes the model does not declare alone
    client.update_item(TableName=engine._table_name(Account), Key={"id": {"S": "alice"}},
                       UpdateExpression="SET undeclared = :x", ExpressionAttributeValues={":x": {"S": "kept"}})
    alice.owner = "Alice B."
    with engine.transaction() as tx:
        tx.save(alice)
    assert item(client, engine, Account, id="alice")["undeclared"] == {"S": "kept"}


def test_a_canceled_transaction_names_the_failing_object_and_writes_nothing(engine, client):
    engine.bind(Account)
    engine.bind(Email)
    engine.save(Email(address="taken@example.com"))
    dave = Account(id="dave", owner="Dave")
    claim = Email(address="taken@example.com")
    with pytest.raises(TransactionCanceled) as excinfo:
        with engine.transaction() as tx:
            tx.save(dave)
            tx.save(claim, condition=Email.address.is_(None))
    error = excinfo.value
    assert error.failed == [claim]
    assert [c.code for c in error.cancellations] == ["None", "ConditionalCheckFailed"]
    assert error.cancellations[1].obj is claim and error.cancellations[1].action == "save"
    assert error.cancellations[1].old.address == "taken@example.com"  # the item as DynamoDB held it
    assert "taken@example.com" in str(error)
    assert isinstance(error.__cause__, botocore.exceptions.ClientError)
    assert item(client, engine, Account, id="dave") is None


def test_version_columns_guard_transactions(engine):
    engine.bind(Locked)
    fresh = Locked(id="v", data="one")
    engine.save(fresh)
    stale = Locked(id="v")
    engine.load(stale)
    with engine.transaction() as tx:
        fresh.data = "two"
        tx.save(fresh)
    assert fresh.version == 2
    stale.data = "lost update"
    with pytest.raises(TransactionCanceled) as excinfo:
        with engine.transaction() as tx:
            tx.save(stale)
    assert excinfo.value.failed == [stale]
    assert excinfo.value.cancellations[0].old.data == "two"
    check = Locked(id="v")
    engine.load(check)
    assert (check.data, check.version) == ("two", 2)


def test_a_retried_commit_reuses_its_token(engine, client, engine_client):
    """The response of the first commit is lost after moto applied it; the retry sends the
    same ClientRequestToken.  A diff-based save sets values, so applying it again changes
    nothing even on moto; DynamoDB itself would not apply it again at all (see below)."""
    engine.bind(Account)
    tokens = []
    lose = ["the first response"]

    def record_token(params, **kwargs):
        tokens.append(params["ClientRequestToken"])

    def lose_response(**kwargs):
        if lose:
            lose.pop()
            raise botocore.exceptions.ReadTimeoutError(endpoint_url="simulated")

    engine_client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", record_token)
    engine_client.meta.events.register("after-call.dynamodb.TransactWriteItems", lose_response)
    erin = Account(id="erin", owner="Erin", balance=1)
    tx = engine.transaction()
    tx.save(erin)
    with pytest.raises(ServiceError):
        tx.commit()
    assert item(client, engine, Account, id="erin")["owner"] == {"S": "Erin"}  # it was applied
    prepared = tx.commit()
    assert tokens == [prepared.token, prepared.token]
    assert item(client, engine, Account, id="erin") == {"id": {"S": "erin"}, "owner": {"S": "Erin"},
                                                        "balance": {"N": "1"}}


def test_moto_applies_a_replayed_token_twice(engine, client, backend_name):
    """Only DynamoDB honours ClientRequestToken: moto re-applies a replay.  An update
    computed in DynamoDB (an ADD) shows it: DynamoDB leaves ``hits`` at 1."""
    engine.bind(Account)
    counter = Account(id="counter", hits=0)
    engine.save(counter)
    counter.hits = actions.add(1)
    tx = engine.transaction()
    tx.save(counter)
    first = tx.commit()
    again = tx.commit()
    assert again is first
    hits = item(client, engine, Account, id="counter")["hits"]
    assert hits == {"N": "2"}, f"{backend_name} honoured the token: update docs/transactions.rst"


def test_read_transaction_loads_and_names_the_missing(engine):
    engine.bind(Account)
    engine.save([Account(id="a", balance=1), Account(id="b", balance=2)])
    a, b, missing = Account(id="a"), Account(id="b"), Account(id="nobody")
    with engine.transaction(mode="r") as tx:
        tx.load(a, b)
    assert (a.balance, b.balance) == (1, 2)
    with pytest.raises(ObjectsNotFound) as excinfo:
        with engine.transaction(mode="r") as tx:
            tx.load(a, missing)
    assert excinfo.value.missing == [missing]
    # committing a prepared read transaction again reads again
    engine.save(Account(id="a", balance=10))
    tx = engine.transaction("r")
    tx.load(a)
    tx.commit()
    assert a.balance == 10
    engine.save(Account(id="a", balance=11))
    tx.commit()
    assert a.balance == 11


def test_nested_blocks_commit_once(engine, client, engine_client):
    engine.bind(Account)
    calls = []
    engine_client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems",
                                       lambda params, **kwargs: calls.append(len(params["TransactItems"])))
    with engine.transaction() as outer:
        outer.save(Account(id="outer"))
        with engine.transaction() as inner:
            inner.save(Account(id="inner"))
        with pytest.raises(ZeroDivisionError):
            with engine.transaction() as failed:
                failed.save(Account(id="dropped"))
                1 / 0
    assert calls == [2]
    assert item(client, engine, Account, id="inner") is not None
    assert item(client, engine, Account, id="dropped") is None


def test_one_hundred_items(engine, client):
    engine.bind(Account)
    accounts = [Account(id=f"n{i}", balance=i) for i in range(100)]
    with engine.transaction() as tx:
        tx.save(accounts)
    assert item(client, engine, Account, id="n99")["balance"] == {"N": "99"}

"""bloop.transactions: collecting, validating, rendering and committing, with no backend.

The commit generators are driven by hand and every request they yield is checked
against botocore's DynamoDB service model; the engine's context manager runs
against botocore's Stubber.
"""
import functools
import threading
import uuid

import botocore.session
import pytest
from botocore.stub import Stubber

from bloop import BaseModel, Column, Engine, Integer, String, signals
from bloop.drivers.drive import drive as bloop_drive
from bloop.exceptions import (
    DuplicateKeys, InvalidCondition, InvalidTransaction, InvalidValue, LimitExceeded, MissingKey, ObjectsNotFound,
    ServiceError, TransactionCanceled, TransactionTokenExpired,
)
from bloop.operations import Policy
from bloop.tracking import SNAPSHOT, snapshot
from bloop.transactions import KEY_ONLY_ATTRIBUTE, PreparedTransaction, Transaction, active
from tests.integ.models import Email, Locked
from tests.unit.fakes import FakeClock, FakeTransport
from tests.unit.helpers import validate_request


class User(BaseModel):
    class Meta:
        table_name = "users"

    id = Column(String, hash_key=True)
    name = Column(String)
    age = Column(Integer)


def make_policy():
    clock = FakeClock(100.0)
    return Policy(lambda model: "t-" + model.Meta.table_name, clock, None, 1.0), clock


def drive(op, *outcomes):
    """Run a commit generator with bloop's driver on the shared fake transport: each step
    must be one call (validated), answered with the next of ``outcomes``."""
    transport = FakeTransport(outcomes)
    bloop_drive(op, transport.send, None)
    assert all(len(step) == 1 for step in transport.steps)
    assert not transport.answers, "not every outcome was used"
    return [call for step in transport.steps for call in step]


def canceled(*reasons):
    error = TransactionCanceled("TransactWriteItems: TransactionCanceledException: canceled",
                                code="TransactionCanceledException", operation="TransactWriteItems")
    error.reasons = list(reasons)
    return error


# ---------------------------------------------------------------------------------------
# rendering write transactions

def test_write_transaction_request():
    policy, _ = make_policy()
    user = User(id="u1", name="Ann")
    gone = User(id="u2")
    email = Email(address="ann@example.com")
    tx = Transaction(policy)
    tx.save(user).delete(gone, condition=User.age < 3).check(email, Email.address.is_(None))
    prepared = tx.prepare()
    request = prepared.request
    validate_request("transact_write_items", request)
    assert str(uuid.UUID(request["ClientRequestToken"])) == request["ClientRequestToken"] == prepared.token
    update, delete, check = request["TransactItems"]
    assert update == {"Update": {
        "TableName": "t-users", "Key": {"id": {"S": "u1"}},
        "UpdateExpression": "SET #n0=:v0", "ExpressionAttributeNames": {"#n0": "name"},
        "ExpressionAttributeValues": {":v0": {"S": "Ann"}}}}
    assert delete == {"Delete": {
        "TableName": "t-users", "Key": {"id": {"S": "u2"}}, "ConditionExpression": "#n0 < :v0",
        "ExpressionAttributeNames": {"#n0": "age"}, "ExpressionAttributeValues": {":v0": {"N": "3"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
    assert check == {"ConditionCheck": {
        "TableName": "t-emails", "Key": {"address": {"S": "ann@example.com"}},
        "ConditionExpression": "attribute_not_exists(#n0)", "ExpressionAttributeNames": {"#n0": "address"},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}


def test_saves_are_diff_based_after_a_commit():
    policy, _ = make_policy()
    user = User(id="u1", name="Ann", age=3)
    drive(Transaction(policy).save(user).commit_op(), {})
    assert user.__dict__[SNAPSHOT] == {"id": "u1", "name": "Ann", "age": 3}
    user.age = 4
    (update,) = Transaction(policy).save(user).prepare().request["TransactItems"]
    assert update["Update"]["UpdateExpression"] == "SET #n0=:v0"
    assert update["Update"]["ExpressionAttributeNames"] == {"#n0": "age"}


def test_objects_are_rendered_at_commit_not_when_added():
    policy, _ = make_policy()
    user = User(id="u1")
    tx = Transaction(policy).save(user)
    user.name = "later"
    (call,) = drive(tx.commit_op(), {})
    assert call.request["TransactItems"][0]["Update"]["ExpressionAttributeValues"] == {":v0": {"S": "later"}}


def test_key_only_save_creates_the_item_without_touching_it():
    policy, _ = make_policy()
    request = Transaction(policy).save(Email(address="a@b"), condition=Email.address.is_(None)).prepare().request
    validate_request("transact_write_items", request)
    (update,) = request["TransactItems"]
    assert update["Update"] == {
        "TableName": "t-emails", "Key": {"address": {"S": "a@b"}},
        "ConditionExpression": "attribute_not_exists(#n0)",
        "UpdateExpression": "REMOVE #n1",
        "ExpressionAttributeNames": {"#n0": "address", "#n1": KEY_ONLY_ATTRIBUTE},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}


def test_version_column_rules_match_engine_save():
    policy, _ = make_policy()
    obj = Locked(id="v", data="x")
    (call,) = drive(Transaction(policy).save(obj).commit_op(), {})
    update = call.request["TransactItems"][0]["Update"]
    assert update["ConditionExpression"] == "attribute_not_exists(#n0)"
    assert update["ExpressionAttributeNames"]["#n0"] == "version"
    assert update["UpdateExpression"] == "SET #n1=:v0, #n0=:v1"
    assert update["ExpressionAttributeValues"][":v1"] == {"N": "1"}
    assert obj.version == 1
    obj.data = "y"
    update = Transaction(policy).save(obj).prepare().request["TransactItems"][0]["Update"]
    assert update["ConditionExpression"] == "#n0 = :v0"  # the version it was saved with ...
    assert update["ExpressionAttributeValues"][":v0"] == {"N": "1"}
    assert update["UpdateExpression"] == "SET #n1=:v1, #n0=:v2"  # ... and the next one
    assert update["ExpressionAttributeValues"][":v2"] == {"N": "2"}


def test_delete_forgets_and_check_leaves_objects_alone():
    policy, _ = make_policy()
    user = User(id="u1", name="Ann")
    other = User(id="u2", name="Bob")
    drive(Transaction(policy).save(user, other).commit_op(), {})
    drive(Transaction(policy).delete(user).check(other, User.name == "Bob").commit_op(), {})
    assert SNAPSHOT not in user.__dict__
    assert snapshot(other)["name"] == "Bob"


# ---------------------------------------------------------------------------------------
# refused before sending

def test_at_most_100_items():
    policy, _ = make_policy()
    tx = Transaction(policy).save([User(id=str(i)) for i in range(100)])
    validate_request("transact_write_items", tx.prepare().request)
    tx.save(User(id="one too many"))
    with pytest.raises(LimitExceeded, match="at most 100 items"):
        tx.prepare()
    reads = Transaction(policy, "r").load([User(id=str(i)) for i in range(101)])
    with pytest.raises(LimitExceeded):
        reads.prepare()


def test_at_most_4_mb():
    policy, _ = make_policy()
    big = [User(id=str(i), name="x" * 300_000) for i in range(14)]  # each under 400 KB, together over 4 MB
    with pytest.raises(LimitExceeded, match="4194304 bytes"):
        Transaction(policy).save(big).prepare()
    Transaction(policy).save(big[:13]).prepare()


def test_one_action_per_item():
    policy, _ = make_policy()
    with pytest.raises(DuplicateKeys, match="at most once") as excinfo:
        Transaction(policy).save(User(id="a")).delete(User(id="a")).prepare()
    assert excinfo.value.keys == [{"id": "a"}]
    assert isinstance(excinfo.value, ValueError)
    same = User(id="b")
    with pytest.raises(DuplicateKeys):
        Transaction(policy).save(same).check(same, User.name == "x").prepare()
    # the same key in two tables is two items
    Transaction(policy).save(User(id="c")).save(Email(address="c")).prepare()


def test_loading_one_object_twice_is_asking_once():
    policy, _ = make_policy()
    user = User(id="a")
    tx = Transaction(policy, "r").load(user).load(user, [user])
    assert len(tx.prepare().request["TransactItems"]) == 1


def test_misuse():
    policy, _ = make_policy()
    with pytest.raises(InvalidTransaction, match="mode"):
        Transaction(policy, "rw")
    with pytest.raises(InvalidTransaction, match="read transaction"):
        Transaction(policy).load(User(id="a"))
    with pytest.raises(InvalidTransaction, match="write transaction"):
        Transaction(policy, "r").save(User(id="a"))
    with pytest.raises(InvalidTransaction, match="needs a condition"):
        Transaction(policy).check(User(id="a"), None)
    with pytest.raises(InvalidCondition):
        Transaction(policy).save(User(id="a"), condition="name = 'x'")
    with pytest.raises(InvalidValue):
        Transaction(policy).save("not a model object")
    with pytest.raises(MissingKey):
        Transaction(policy).save(User(name="no key")).prepare()
    assert issubclass(InvalidTransaction, ValueError)


def test_an_empty_transaction_sends_nothing():
    policy, _ = make_policy()
    assert drive(Transaction(policy).commit_op()) == []
    assert drive(Transaction(policy, "r").commit_op()) == []


# ---------------------------------------------------------------------------------------
# canceled transactions name the objects

def test_canceled_transaction_names_each_object():
    policy, _ = make_policy()
    user = User(id="u1", name="Ann")
    email = Email(address="ann@example.com")
    tx = Transaction(policy).save(user).save(email, condition=Email.address.is_(None))
    error = canceled({"Code": "None"},
                     {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
                      "Item": {"address": {"S": "ann@example.com"}}})
    with pytest.raises(TransactionCanceled) as excinfo:
        drive(tx.commit_op(), error)
    assert excinfo.value is error
    assert error.failed == [email]
    first, second = error.cancellations
    assert (first.obj, first.action, first.code, first.failed) == (user, "save", "None", False)
    assert (second.obj, second.action, second.code) == (email, "save", "ConditionalCheckFailed")
    assert isinstance(second.old, Email) and second.old.address == "ann@example.com"
    assert second.message == "The conditional request failed"
    assert "Email(address='ann@example.com')" in str(error)
    assert error.reasons[1]["Code"] == "ConditionalCheckFailed"
    # nothing was recorded as written
    assert SNAPSHOT not in user.__dict__


def test_canceled_read_transaction():
    policy, _ = make_policy()
    user = User(id="u1")
    error = canceled({"Code": "TransactionConflict", "Message": "conflict"})
    with pytest.raises(TransactionCanceled) as excinfo:
        drive(Transaction(policy, "r").load(user).commit_op(), error)
    assert excinfo.value.failed == [user]
    assert excinfo.value.cancellations[0].action == "load"


# ---------------------------------------------------------------------------------------
# idempotency: one token per prepared transaction, reused by retries for 10 minutes

def test_a_retried_commit_reuses_the_token():
    policy, clock = make_policy()
    tx = Transaction(policy).save(User(id="u1", name="Ann"))
    first = tx.commit_op()
    call = next(first)[0]
    with pytest.raises(ServiceUnavailable):
        first.send([ServiceUnavailable()])
    clock.now += 599
    (second,) = drive(tx.commit_op(), {})
    assert second.request == call.request
    assert second.request["ClientRequestToken"] == call.request["ClientRequestToken"] == tx.prepared.token


class ServiceUnavailable(ServiceError):  # what the session raises when botocore gives up
    def __init__(self):
        super().__init__("TransactWriteItems: ServiceUnavailable", code="ServiceUnavailable")


def drive_raising(op, *outcomes):
    """``drive``, where an exception outcome propagates (as with ``operations.call``)."""
    with pytest.raises(Exception) as excinfo:
        drive(op, *outcomes)
    return excinfo.value


def test_a_retry_after_the_token_expired_is_refused():
    policy, clock = make_policy()
    tx = Transaction(policy).save(User(id="u1", name="Ann"))
    prepared = tx.prepare()
    assert prepared.first_commit is None
    clock.now += 3600  # preparing long before the first commit does not matter
    assert isinstance(drive_raising(tx.commit_op(), ServiceUnavailable()), ServiceUnavailable)
    assert prepared.first_commit == clock.now
    clock.now += 601
    op = tx.commit_op()
    with pytest.raises(TransactionTokenExpired, match="600s"):
        next(op)  # refused before anything is sent
    # preparing again makes a new token
    (call,) = drive(tx.prepare().commit_op(), {})
    assert call.request["ClientRequestToken"] != prepared.token


def test_adding_after_prepare_prepares_again():
    policy, _ = make_policy()
    tx = Transaction(policy).save(User(id="u1"))
    first = tx.prepare()
    tx.commit_op()
    assert tx.prepared is first
    tx.save(User(id="u2"))
    tx.commit_op()
    assert tx.prepared is not first and tx.prepared.token != first.token


# ---------------------------------------------------------------------------------------
# read transactions

def test_read_transaction_loads_in_place_and_names_the_missing():
    policy, _ = make_policy()
    a, b, c = User(id="a"), User(id="b"), Email(address="c")
    tx = Transaction(policy, "r").load(a, b, c)
    response = {"Responses": [{"Item": {"id": {"S": "a"}, "name": {"S": "Ann"}}}, {},
                              {"Item": {"address": {"S": "c"}}}]}
    with pytest.raises(ObjectsNotFound) as excinfo:
        (call,) = drive(tx.commit_op(), response)
    assert excinfo.value.missing == [b]
    assert a.name == "Ann" and snapshot(a)["name"] == "Ann"
    prepared = tx.prepared
    assert prepared.token is None
    assert prepared.request == {"TransactItems": [
        {"Get": {"TableName": "t-users", "Key": {"id": {"S": "a"}}}},
        {"Get": {"TableName": "t-users", "Key": {"id": {"S": "b"}}}},
        {"Get": {"TableName": "t-emails", "Key": {"address": {"S": "c"}}}}]}
    # committing again reads again
    drive(tx.commit_op(), {"Responses": [{"Item": {"id": {"S": "a"}, "name": {"S": "Al"}}},
                                         {"Item": {"id": {"S": "b"}}}, {"Item": {"address": {"S": "c"}}}]})
    assert a.name == "Al"


# ---------------------------------------------------------------------------------------
# the engine's context manager, against botocore's Stubber

@functools.lru_cache(maxsize=None)
def _session():
    return botocore.session.get_session()


def stubbed_engine():
    client = _session().create_client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    return Engine(client, table_name_template="s-{table_name}"), Stubber(client)


def write_params(*items):
    return {"TransactItems": list(items), "ClientRequestToken": ANY_TOKEN}


class _AnyToken:
    def __eq__(self, other):
        return isinstance(other, str) and len(other) == 36

    def __repr__(self):
        return "<any token>"


ANY_TOKEN = _AnyToken()


def put_update(table, key, name):
    return {"Update": {"TableName": table, "Key": key, "UpdateExpression": "SET #n0=:v0",
                       "ExpressionAttributeNames": {"#n0": "name"},
                       "ExpressionAttributeValues": {":v0": {"S": name}}}}


def test_with_block_commits_once_on_exit():
    engine, stubber = stubbed_engine()
    a, b = User(id="a", name="A"), User(id="b", name="B")
    saved = []

    def on_saved(sender, obj):
        saved.append((sender, obj))

    with stubber:
        stubber.add_response("transact_write_items", {}, write_params(
            put_update("s-users", {"id": {"S": "a"}}, "A"), put_update("s-users", {"id": {"S": "b"}}, "B")))
        with signals.object_saved.connected_to(on_saved):
            with engine.transaction() as tx:
                tx.save(a)
                tx.save(b)
                assert saved == []  # nothing is sent inside the block
        stubber.assert_no_pending_responses()
    assert saved == [(engine, a), (engine, b)]
    assert active(engine.policy) is None


def test_nothing_is_sent_when_the_block_raises():
    engine, stubber = stubbed_engine()
    with stubber:  # no responses: any request would fail the test
        with pytest.raises(KeyError):
            with engine.transaction() as tx:
                tx.save(User(id="a", name="A"))
                raise KeyError("boom")
    assert active(engine.policy) is None


def test_nested_transactions_join_the_outer_one():
    engine, stubber = stubbed_engine()
    a, b, c = User(id="a", name="A"), User(id="b", name="B"), User(id="c", name="C")
    with stubber:
        stubber.add_response("transact_write_items", {}, write_params(
            put_update("s-users", {"id": {"S": "a"}}, "A"), put_update("s-users", {"id": {"S": "c"}}, "C")))
        with engine.transaction() as outer:
            outer.save(a)
            with pytest.raises(RuntimeError):
                with engine.transaction() as inner:
                    inner.save(b)
                    assert [i.obj for i in outer.items] == [a, b]
                    raise RuntimeError("the inner block's items are taken out again")
            with engine.transaction() as inner:
                inner.save(c)
                with pytest.raises(InvalidTransaction, match="outermost"):
                    inner.commit()
            assert [i.obj for i in outer.items] == [a, c]
            with pytest.raises(InvalidTransaction, match="cannot join"):
                with engine.transaction("r"):
                    pass
        stubber.assert_no_pending_responses()


def test_transactions_of_other_engines_and_threads_do_not_join():
    engine, _ = stubbed_engine()
    other, _ = stubbed_engine()
    seen = []
    with engine.transaction() as tx:
        assert active(engine.policy) is tx and active(other.policy) is None
        thread = threading.Thread(target=lambda: seen.append(active(engine.policy)))
        thread.start()
        thread.join()
    assert seen == [None]


def test_read_transaction_through_the_engine():
    engine, stubber = stubbed_engine()
    a = User(id="a")
    loaded = []
    with stubber:
        stubber.add_response(
            "transact_get_items", {"Responses": [{"Item": {"id": {"S": "a"}, "age": {"N": "7"}}}]},
            {"TransactItems": [{"Get": {"TableName": "s-users", "Key": {"id": {"S": "a"}}}}]})
        with signals.object_loaded.connected_to(lambda sender, obj: loaded.append(obj)):
            with engine.transaction(mode="r") as tx:
                tx.load(a)
        stubber.assert_no_pending_responses()
    assert a.age == 7 and loaded == [a]


def test_the_engine_retries_a_commit_with_the_same_token():
    engine, stubber = stubbed_engine()
    tokens = []
    engine.session.dynamodb.meta.events.register(
        "provide-client-params.dynamodb.TransactWriteItems",
        lambda params, **kwargs: tokens.append(params["ClientRequestToken"]))
    with stubber:
        stubber.add_client_error("transact_write_items", "InternalServerError", http_status_code=500)
        stubber.add_response("transact_write_items", {})
        tx = engine.transaction()
        tx.save(User(id="a", name="A"))
        with pytest.raises(Exception):
            tx.commit()
        prepared = tx.commit()
        stubber.assert_no_pending_responses()
    assert isinstance(prepared, PreparedTransaction)
    assert len(tokens) == 2 and tokens[0] == tokens[1] == prepared.token

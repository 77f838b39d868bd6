"""What bloop's errors say was and was not done (bloop.operations' batches, bloop.session's
messages), driven by hand without a backend.

Every request an operation yields is validated against botocore's real DynamoDB service
model; the stubbed engines run through botocore's Stubber.
"""
import pytest
from botocore.stub import Stubber

import bloop
from bloop import BaseModel, Column, Engine, Integer, String, actions, operations
from bloop.exceptions import (
    BatchIncomplete, ConstraintViolation, LimitExceeded, RequestRejected, ServiceError, TableNotFound, Throttled,
)
from bloop.operations import Policy
from bloop.session import Session
from bloop.tracking import SNAPSHOT
from tests.unit.helpers import dynamodb_client
from tests.unit.test_operations import (
    Clock, Driver, Event, MaxJitter, User, answer_load, put_ids, table_name, unprocessed, unsaved, users,
)


class Versioned(BaseModel):
    id = Column(String, hash_key=True)
    name = Column(String)
    v = Column(Integer, version=True)


def make_policy(deadline=1.0):
    clock = Clock()
    return Policy(table_name, clock, MaxJitter(), deadline), clock


def stuck_load(stuck, missing=()):
    """A BatchGetItem responder leaving the ids in ``stuck`` unprocessed and not finding ``missing``."""
    def respond(call):
        response = answer_load(missing=set(stuck) | set(missing))(call)
        keys = [k for k in call.request["RequestItems"]["test-users"]["Keys"] if k["id"]["S"] in stuck]
        if keys:
            response["UnprocessedKeys"] = {"test-users": {"Keys": keys}}
        return response
    return respond


# ---------------------------------------------------------------------------------------
# 4.1: an incomplete load names the objects it found missing, too

def test_incomplete_load_names_the_objects_not_found():
    policy, clock = make_policy(deadline=2.0)
    objs = [User(id=f"u{i}") for i in range(150)]
    driver = Driver(operations.load(policy, objs), clock, stuck_load(stuck={"u7", "u130"}, missing={"u5", "u120"}))
    with pytest.raises(BatchIncomplete) as excinfo:
        driver.run()
    error = excinfo.value
    assert error.unprocessed == [objs[7], objs[130]]
    assert error.missing == [objs[5], objs[120]]
    assert error.unsent == []
    assert len(error.done) == 146 and objs[0] in error.done and objs[5] not in error.done
    assert "2 were not found" in str(error)
    assert "146 were read" in str(error)


def test_incomplete_write_has_no_missing_objects():
    policy, clock = make_policy(deadline=0.5)
    objs = users(3)
    driver = Driver(operations.save(policy, objs), clock, lambda call: unprocessed(call, {"u1"}))
    with pytest.raises(BatchIncomplete) as excinfo:
        driver.run()
    assert excinfo.value.missing == [] and excinfo.value.unprocessed == [objs[1]]
    assert excinfo.value.done == [objs[0], objs[2]]


def test_a_failed_request_is_not_confirmed_and_says_why():
    policy, clock = make_policy()
    objs = users(30)
    error = Throttled("BatchWriteItem on table 'test-users': ProvisionedThroughputExceededException: slow down",
                      code="ProvisionedThroughputExceededException", operation="BatchWriteItem")
    op = operations.save(policy, objs)
    next(op)
    with pytest.raises(BatchIncomplete) as excinfo:
        op.send([{}, error])
    assert excinfo.value.unprocessed == objs[25:] and excinfo.value.unsent == []
    message = str(excinfo.value)
    assert "not confirmed" in message and "slow down" in message and "25 were written" in message


# ---------------------------------------------------------------------------------------
# 4.3: service errors name the table, and for one object the object

def client_error(stubber, operation, code, message="message"):
    stubber.add_client_error(operation, service_error_code=code, service_message=message, http_status_code=400)


def test_service_errors_name_the_table():
    client = dynamodb_client()
    session = Session(client)
    with Stubber(client) as stubber:
        client_error(stubber, "update_item", "ValidationException", "bad expression")
        with pytest.raises(RequestRejected) as excinfo:
            session.call("update_item", {"TableName": "users", "Key": {"id": {"S": "a"}}})
    assert excinfo.value.table == "users"
    assert str(excinfo.value) == "UpdateItem on table 'users': ValidationException: bad expression"


def test_batch_errors_name_every_table():
    client = dynamodb_client()
    session = Session(client)
    request = {"RequestItems": {"a": [{"DeleteRequest": {"Key": {"id": {"S": "1"}}}}],
                                "b": [{"DeleteRequest": {"Key": {"id": {"S": "2"}}}}]}}
    with Stubber(client) as stubber:
        client_error(stubber, "batch_write_item", "InternalServerError")
        with pytest.raises(ServiceError) as excinfo:
            session.call("batch_write_item", request)
    assert excinfo.value.table == "a, b"
    assert str(excinfo.value).startswith("BatchWriteItem on tables 'a', 'b': InternalServerError")


def test_transaction_errors_name_the_tables():
    client = dynamodb_client()
    session = Session(client)
    request = {"TransactItems": [
        {"Put": {"TableName": "a", "Item": {"id": {"S": "1"}}}},
        {"ConditionCheck": {"TableName": "b", "Key": {"id": {"S": "2"}},
                            "ConditionExpression": "attribute_exists(id)"}},
        {"Delete": {"TableName": "a", "Key": {"id": {"S": "3"}}}}]}
    with Stubber(client) as stubber:
        client_error(stubber, "transact_write_items", "ValidationException")
        with pytest.raises(RequestRejected) as excinfo:
            session.call("transact_write_items", request)
    assert str(excinfo.value).startswith("TransactWriteItems on tables 'a', 'b': ValidationException")


def stubbed_engine():
    client = dynamodb_client()
    return Engine(client, table_name_template="stub-{table_name}"), client


@pytest.mark.parametrize("verb, operation", [("save", "update_item"), ("delete", "delete_item")])
def test_one_object_errors_name_the_object(verb, operation):
    engine, client = stubbed_engine()
    user = User(id="u1", name="Ann")
    with Stubber(client) as stubber:
        client_error(stubber, operation, "ValidationException", "nope")
        with pytest.raises(RequestRejected) as excinfo:
            getattr(engine, verb)(user)
    error = excinfo.value
    assert error.obj is user and error.table == "stub-users"
    api = "UpdateItem" if verb == "save" else "DeleteItem"
    assert str(error) == f"{api} on table 'stub-users' for User(id='u1'): ValidationException: nope"


def test_a_failed_condition_names_the_object():
    engine, client = stubbed_engine()
    event = Event(stream="s", seq=3, body="b")
    with Stubber(client) as stubber:
        client_error(stubber, "update_item", "ConditionalCheckFailedException", "failed")
        with pytest.raises(ConstraintViolation) as excinfo:
            engine.save(event, condition=Event.body.is_(None))
    assert excinfo.value.obj is event
    assert "UpdateItem on table 'stub-events' for Event(stream='s', seq=3)" in str(excinfo.value)


def test_missing_table_says_to_bind_the_model():
    engine, client = stubbed_engine()
    user = User(id="u1", name="Ann")
    with Stubber(client) as stubber:
        client_error(stubber, "update_item", "ResourceNotFoundException", "Requested resource not found")
        with pytest.raises(TableNotFound) as excinfo:
            engine.save(user)
    message = str(excinfo.value)
    assert "on table 'stub-users' for User(id='u1')" in message
    assert "engine.bind(User)" in message


def test_missing_table_without_an_object_says_to_bind():
    client = dynamodb_client()
    with Stubber(client) as stubber:
        client_error(stubber, "scan", "ResourceNotFoundException", "Requested resource not found")
        with pytest.raises(TableNotFound) as excinfo:
            Session(client).call("scan", {"TableName": "users"})
    assert "engine.bind(" in str(excinfo.value) and "'users'" in str(excinfo.value)


def test_a_load_of_one_object_names_it_and_the_cause():
    engine, client = stubbed_engine()
    user = User(id="u1")
    with Stubber(client) as stubber:
        client_error(stubber, "batch_get_item", "ResourceNotFoundException", "Requested resource not found")
        with pytest.raises(BatchIncomplete) as excinfo:
            engine.load(user)
    cause = excinfo.value.__cause__
    assert isinstance(cause, TableNotFound) and cause.obj is user
    assert "engine.bind(User)" in str(excinfo.value) and "User(id='u1')" in str(excinfo.value)


def test_an_oversized_item_in_a_batch_names_its_object():
    policy, clock = make_policy()
    small, big = User(id="small", name="x"), User(id="big", name="x" * 410_000)
    with pytest.raises(LimitExceeded) as excinfo:
        next(operations.save(policy, [small, big]))
    assert "User(id='big')" in str(excinfo.value)


# ---------------------------------------------------------------------------------------
# 4.4: a value changed while its save is in flight is not recorded as saved

def test_a_value_assigned_during_a_save_is_sent_by_the_next():
    policy, clock = make_policy()
    user = User(id="u1", name="old", age=1)

    def respond(call):  # the request is on its way; another thread assigns
        user.name = "new"
        return {}

    Driver(operations.save(policy, user), clock, respond).run()
    assert user.name == "new"
    assert [(c.name, kind, wire) for c, kind, wire in unsaved(user)] == [("name", "set", {"S": "new"})]


def test_an_action_replaced_during_a_save_is_kept():
    policy, clock = make_policy()
    user = User(id="u1", age=1)
    user.__dict__[SNAPSHOT] = {"id": "u1", "age": 1}
    user.age = actions.add(1)

    def respond(call):
        user.age = 7
        return {}

    Driver(operations.save(policy, user), clock, respond).run()
    assert user.age == 7
    assert [(c.name, kind, wire) for c, kind, wire in unsaved(user)] == [("age", "set", {"N": "7"})]


def test_a_value_assigned_during_a_versioned_save_is_sent_by_the_next():
    policy, clock = make_policy()
    obj = Versioned(id="a")

    def respond(call):
        obj.name = "late"
        return {}

    obj.name = "first"
    Driver(operations.save(policy, obj), clock, respond).run()
    assert obj.v == 1
    assert [(c.name, kind, wire) for c, kind, wire in unsaved(obj) if c.name != "v"] == [
        ("name", "set", {"S": "late"})]


def test_a_value_assigned_during_an_unchanged_save_is_sent_by_the_next():
    policy, clock = make_policy()
    user = bloop.from_item(User, {"id": {"S": "u1"}, "name": {"S": "old"}})

    def respond(call):  # nothing had changed: the save re-asserts "old"; meanwhile "new"
        user.name = "new"
        return {}

    driver = Driver(operations.save(policy, user), clock, respond)
    driver.run()
    assert driver.calls[0].request["ExpressionAttributeValues"] == {":v0": {"S": "old"}}
    assert [(c.name, kind, wire) for c, kind, wire in unsaved(user)] == [("name", "set", {"S": "new"})]


def test_a_value_assigned_during_a_batch_save_is_sent_by_the_next():
    policy, clock = make_policy()
    objs = users(3)

    def respond(call):
        objs[1].name = "changed"
        objs[2].age = None
        return {}

    Driver(operations.save(policy, objs), clock, respond).run()
    assert unsaved(objs[0]) == []
    assert [(c.name, kind, wire) for c, kind, wire in unsaved(objs[1])] == [("name", "set", {"S": "changed"})]
    assert [(c.name, kind) for c, kind, _ in unsaved(objs[2])] == [("age", "remove")]


# ---------------------------------------------------------------------------------------
# 5: batch_deadline bounds the whole call

class Timed:
    """A responder that takes ``seconds`` of the injected clock per request."""

    def __init__(self, clock, seconds, respond):
        self.clock = clock
        self.seconds = seconds
        self.respond = respond

    def __call__(self, call):
        self.clock.now += self.seconds
        return self.respond(call)


def test_no_chunk_starts_after_the_deadline():
    policy, clock = make_policy(deadline=1.1)
    objs = users(250)  # 10 chunks of 25
    driver = Driver(operations.save(policy, objs), clock, Timed(clock, 0.2, lambda call: {}))
    with pytest.raises(BatchIncomplete) as excinfo:
        driver.run()
    # requests start at 0, 0.2, ..., 1.0; the seventh would start at 1.2, past the deadline (1.1)
    assert len(driver.sent) == 6
    error = excinfo.value
    assert error.unsent == objs[150:] and error.unprocessed == objs[150:]
    assert error.done == objs[:150]
    assert all(SNAPSHOT in obj.__dict__ for obj in objs[:150])
    assert not any(SNAPSHOT in obj.__dict__ for obj in objs[150:])
    assert "100 were never sent" in str(error) and "150 were written" in str(error)


def test_a_round_is_one_step_the_transport_keeps_full():
    """All the chunks of a round go to the transport at once (it keeps max_concurrency
    requests in flight); every call but the operation's first can expire."""
    policy, clock = make_policy(deadline=30.0)
    objs = users(250)
    driver = Driver(operations.save(policy, objs), clock, lambda call: {})
    driver.run()
    assert [len(step) for step in driver.rounds] == [10]
    first, *rest = driver.rounds[0]
    assert first.expired is None and all(call.expired is not None for call in rest)
    assert [i for call in driver.calls for i in put_ids(call)] == [o.id for o in objs]


def test_deadline_names_written_unconfirmed_and_unsent():
    policy, clock = make_policy(deadline=1.0)
    objs = users(100)  # 4 chunks
    error = Throttled("throttled", code="ThrottlingException", operation="BatchWriteItem")

    def respond(call):
        ids = put_ids(call)
        if "u25" in ids:
            return error
        return unprocessed(call, {"u1"})

    driver = Driver(operations.save(policy, objs), clock, Timed(clock, 0.4, respond))
    with pytest.raises(BatchIncomplete) as excinfo:
        driver.run()
    # requests start at 0 and 0.4 and 0.8: chunks 1-3, the fourth is never sent
    assert len(driver.sent) == 3
    result = excinfo.value
    assert result.unsent == objs[75:]
    assert result.unprocessed == [objs[1]] + objs[25:50] + objs[75:]
    assert result.done == [objs[0]] + objs[2:25] + objs[50:75]
    assert result.__cause__ is error
    message = str(result)
    assert "25 were never sent" in message and "throttled" in message and "49 were written" in message


def test_retries_are_one_step_and_can_expire_too():
    policy, clock = make_policy(deadline=30.0)
    objs = users(100)
    first = []

    def respond(call):
        ids = put_ids(call)
        if not first:
            first.append(True)
            return unprocessed(call, set(ids))  # the whole first chunk comes back
        return {}

    driver = Driver(operations.save(policy, objs), clock, respond)
    driver.run()
    assert [len(step) for step in driver.rounds] == [4, 1]
    assert driver.rounds[1][0].expired is not None
    assert len(driver.sleeps) == 1


def test_a_retry_round_past_the_deadline_is_left_unconfirmed():
    policy, clock = make_policy(deadline=1.0)
    objs = users(50)

    def respond(call):
        clock.now += 0.6
        return unprocessed(call, set(put_ids(call)))  # nothing is ever written

    driver = Driver(operations.save(policy, objs), clock, respond)
    with pytest.raises(BatchIncomplete) as excinfo:
        driver.run()
    error = excinfo.value
    assert error.unsent == [] and error.unprocessed == objs and error.done == []


def test_load_stops_at_the_deadline_naming_unsent_keys():
    policy, clock = make_policy(deadline=0.5)
    objs = [User(id=f"u{i}") for i in range(250)]  # 3 chunks of 100
    driver = Driver(operations.load(policy, objs), clock, Timed(clock, 0.3, answer_load(missing={"u3"})))
    with pytest.raises(BatchIncomplete) as excinfo:
        driver.run()
    assert len(driver.sent) == 2
    error = excinfo.value
    assert error.unsent == objs[200:] and error.unprocessed == objs[200:]
    assert error.missing == [objs[3]]
    assert objs[150].name == "loaded u150" and objs[200].name is None
    assert "50 were never sent" in str(error)


def test_the_first_step_always_goes_out():
    policy, clock = make_policy(deadline=0.0)
    objs = users(10)
    driver = Driver(operations.save(policy, objs), clock, Timed(clock, 1.0, lambda call: {}))
    driver.run()
    assert len(driver.sent) == 1


def test_a_failed_update_of_a_partial_object_names_the_batch_it_stopped():
    """Objects known only in part are updated before the batch of whole items; when one
    of those updates fails, the batch is not sent, and the error counts it."""
    from bloop.codec import load_into
    policy, clock = make_policy(deadline=30.0)
    partial = User(id="p")
    load_into(partial, {"id": {"S": "p"}, "name": {"S": "P"}}, projected=[User.id, User.name])
    partial.name = "Q"
    new = users(3)
    error = Throttled("throttled", code="ThrottlingException", operation="UpdateItem")
    driver = Driver(operations.save(policy, [partial] + new), clock, lambda call: error)
    with pytest.raises(Throttled) as excinfo:
        driver.run()
    assert [name for name, _ in driver.sent] == ["update_item"]
    raised = excinfo.value
    assert raised.obj is partial and raised.done == [] and raised.not_sent == new
    assert "failed after 0 of 4 objects were saved; 3 were not sent" in str(raised)

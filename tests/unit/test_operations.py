"""bloop.operations: the I/O-free save/delete/load generators, driven by hand.

Every request an operation yields is validated against botocore's real DynamoDB
service model (``validate_request``), and every outcome is a dict shaped like
DynamoDB's response, or the bloop exception a session would have raised.
"""
import random

import pytest
from botocore.stub import Stubber

import bloop
from bloop import BaseModel, Column, Engine, Integer, Set, String, operations
from bloop.exceptions import (
    BatchIncomplete, ConstraintViolation, DuplicateKeys, InvalidCondition, InvalidValue, LimitExceeded,
    MissingKey, ObjectsNotFound, Throttled,
)
from bloop.operations import Policy, Sleep
from bloop.tracking import SNAPSHOT, changes, snapshot
from tests.unit.fakes import Driver, FakeClock
from tests.unit.helpers import dynamodb_client, validate_request


class User(BaseModel):
    class Meta:
        table_name = "users"

    id = Column(String, hash_key=True)
    name = Column(String)
    age = Column(Integer)
    tags = Column(Set(String))


class Event(BaseModel):
    class Meta:
        table_name = "events"

    stream = Column(String, hash_key=True)
    seq = Column(Integer, range_key=True)
    body = Column(String)


class Versioned(BaseModel):
    id = Column(String, hash_key=True)
    v = Column(Integer, version=True)


class Abstract(BaseModel):
    class Meta:
        abstract = True

    id = Column(String, hash_key=True)


def table_name(model):
    return "test-" + model.Meta.table_name


def Clock(now=1000.0):
    """The shared fake clock, at ``now``."""
    return FakeClock(now)


class MaxJitter:
    """A ``random`` whose jitter is always the largest: each delay is exactly its ceiling."""

    def uniform(self, low, high):
        return high


def make_policy(deadline=1.0, rng=None):
    clock = Clock()
    return Policy(table_name, clock, rng or MaxJitter(), deadline), clock


def run(op, clock, respond):
    driver = Driver(op, clock, respond)
    driver.run()
    return driver


def checked(yielded):
    """A step an operation yielded, with every call in it validated against the service model."""
    if isinstance(yielded, list):
        for call in yielded:
            validate_request(call.operation, call.request)
    return yielded


def unsaved(obj):
    """The changes a save of ``obj`` would send (empty once DynamoDB holds what the object holds)."""
    keys = type(obj).Meta.keys
    return changes(obj, [c for c in type(obj).Meta.columns if all(c is not k for k in keys)])


def users(n, prefix="u"):
    return [User(id=f"{prefix}{i}", name=f"name {i}", age=i) for i in range(n)]


def writes_of(call):
    return [write for writes in call.request["RequestItems"].values() for write in writes]


def put_ids(call):
    return [w["PutRequest"]["Item"]["id"]["S"] for w in writes_of(call)]


def unprocessed(call, keep):
    """A BatchWriteItem response leaving unprocessed the writes whose id is in ``keep``."""
    left = {}
    for table, writes in call.request["RequestItems"].items():
        for write in writes:
            body = write.get("PutRequest", {}).get("Item") or write["DeleteRequest"]["Key"]
            if body["id"]["S"] in keep:
                left.setdefault(table, []).append(write)
    return {"UnprocessedItems": left}


def item_of(key, **values):
    item = dict(key)
    for name, value in values.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    return item


# ---------------------------------------------------------------------------------------
# save: one object is a diff-based UpdateItem

def test_save_one_new_object():
    policy, _ = make_policy()
    obj = User(id="u1", name="Ann", age=3)
    op = operations.save(policy, obj)
    calls = checked(next(op))
    assert len(calls) == 1
    assert calls[0].operation == "update_item"
    assert calls[0].request == {
        "TableName": "test-users",
        "Key": {"id": {"S": "u1"}},
        "UpdateExpression": "SET #n0=:v0, #n1=:v1",
        "ExpressionAttributeNames": {"#n0": "name", "#n1": "age"},
        "ExpressionAttributeValues": {":v0": {"S": "Ann"}, ":v1": {"N": "3"}},
    }
    validate_request("update_item", calls[0].request)
    with pytest.raises(StopIteration):
        op.send([{}])
    assert unsaved(obj) == []
    # nothing changed since: a save re-asserts the known values
    again = checked(next(operations.save(policy, obj)))[0]
    assert (again.operation, again.request) == ("update_item", calls[0].request)


def test_save_key_only_object_creates_it_if_missing():
    policy, _ = make_policy()
    obj = Event(stream="s", seq=1)
    op = operations.save(policy, obj)
    calls = checked(next(op))
    # an UpdateItem that removes an attribute no item holds: creates a missing item, leaves
    # an existing one as it is, and always has an expression (which emulators need)
    assert calls[0].operation == "update_item"
    assert calls[0].request == {
        "TableName": "test-events",
        "Key": {"stream": {"S": "s"}, "seq": {"N": "1"}},
        "UpdateExpression": "REMOVE #n0",
        "ExpressionAttributeNames": {"#n0": operations.KEY_ONLY_ATTRIBUTE},
    }
    validate_request("update_item", calls[0].request)
    with pytest.raises(StopIteration):
        op.send([{}])


def test_save_sends_only_changes_and_removes_cleared_values():
    policy, _ = make_policy()
    obj = bloop.from_item(User, {"id": {"S": "u1"}, "name": {"S": "Ann"}, "age": {"N": "3"}, "tags": {"SS": ["a"]}})
    obj.age = 4
    obj.name = None
    obj.tags.add("b")
    request = checked(next(operations.save(policy, obj)))[0].request
    validate_request("update_item", request)
    assert request["UpdateExpression"] == "SET #n1=:v0, #n2=:v1 REMOVE #n0"
    assert request["ExpressionAttributeNames"] == {"#n0": "name", "#n1": "age", "#n2": "tags"}
    assert request["ExpressionAttributeValues"][":v0"] == {"N": "4"}
    assert sorted(request["ExpressionAttributeValues"][":v1"]["SS"]) == ["a", "b"]


def test_save_with_condition():
    policy, _ = make_policy()
    obj = User(id="u1", age=3)
    op = operations.save(policy, obj, User.age.is_(None) | (User.age < 3))
    request = checked(next(op))[0].request
    assert request == {
        "TableName": "test-users",
        "Key": {"id": {"S": "u1"}},
        "ConditionExpression": "(attribute_not_exists(#n0) OR #n0 < :v0)",
        "UpdateExpression": "SET #n0=:v1",
        "ExpressionAttributeNames": {"#n0": "age"},
        "ExpressionAttributeValues": {":v0": {"N": "3"}, ":v1": {"N": "3"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    validate_request("update_item", request)


def test_save_condition_failed():
    policy, _ = make_policy()
    obj = User(id="u1", age=3)
    op = operations.save(policy, obj, User.age.is_(None))
    checked(next(op))
    failure = ConstraintViolation("UpdateItem: ConditionalCheckFailedException: failed",
                                  code="ConditionalCheckFailedException", operation="UpdateItem")
    failure.old = {"id": {"S": "u1"}, "age": {"N": "9"}}
    with pytest.raises(ConstraintViolation) as excinfo:
        op.send([failure])
    assert excinfo.value.obj is obj
    assert isinstance(excinfo.value.old, User) and excinfo.value.old.age == 9
    assert SNAPSHOT not in obj.__dict__  # nothing recorded: nothing was written


def test_save_sync_new_refreshes_the_object():
    policy, _ = make_policy()
    obj = User(id="u1", age=3)
    op = operations.save(policy, obj, sync="new")
    request = checked(next(op))[0].request
    assert request["ReturnValues"] == "ALL_NEW"
    validate_request("update_item", request)
    with pytest.raises(StopIteration):
        op.send([{"Attributes": {"id": {"S": "u1"}, "age": {"N": "3"}, "name": {"S": "from dynamo"}}}])
    assert obj.name == "from dynamo"
    assert unsaved(obj) == []


def test_save_several_with_condition_is_one_update_each():
    policy, clock = make_policy()
    objs = users(3)
    driver = run(operations.save(policy, objs, User.name.is_(None)), clock, lambda call: {})
    assert [len(r) for r in driver.rounds] == [1, 1, 1]
    assert [c.operation for c in driver.calls] == ["update_item"] * 3
    assert [c.request["Key"]["id"]["S"] for c in driver.calls] == ["u0", "u1", "u2"]


def test_save_versioned_models_one_update_each():
    policy, clock = make_policy()
    driver = run(operations.save(policy, [Versioned(id="a", v=1), Versioned(id="b", v=1)]), clock, lambda call: {})
    assert [c.operation for c in driver.calls] == ["update_item", "update_item"]


def test_save_item_too_large_refused_before_sending():
    policy, _ = make_policy()
    with pytest.raises(LimitExceeded):
        next(operations.save(policy, User(id="u", name="x" * 409_600)))


# ---------------------------------------------------------------------------------------
# save/delete of several objects: BatchWriteItem

def test_batch_save_chunks_of_25():
    policy, clock = make_policy()
    objs = users(60)
    op = operations.save(policy, objs)
    calls = checked(next(op))
    assert [c.operation for c in calls] == ["batch_write_item"] * 3
    assert [len(writes_of(c)) for c in calls] == [25, 25, 10]
    for call in calls:
        validate_request("batch_write_item", call.request)
        assert list(call.request) == ["RequestItems"]
        assert list(call.request["RequestItems"]) == ["test-users"]
    assert [i for c in calls for i in put_ids(c)] == [f"u{i}" for i in range(60)]
    assert writes_of(calls[0])[1] == {"PutRequest": {"Item": {"id": {"S": "u1"}, "name": {"S": "name 1"},
                                                              "age": {"N": "1"}}}}
    with pytest.raises(StopIteration):
        op.send([{"UnprocessedItems": {}}, {}, {"UnprocessedItems": {}}])
    # every object now knows what DynamoDB holds
    assert all(SNAPSHOT in obj.__dict__ and unsaved(obj) == [] for obj in objs)


def test_batch_save_several_tables():
    policy, clock = make_policy()
    objs = [User(id="u"), Event(stream="s", seq=1, body="b"), User(id="v")]
    calls = checked(next(operations.save(policy, objs)))
    assert len(calls) == 1
    validate_request("batch_write_item", calls[0].request)
    assert calls[0].request == {"RequestItems": {
        "test-users": [{"PutRequest": {"Item": {"id": {"S": "u"}}}}, {"PutRequest": {"Item": {"id": {"S": "v"}}}}],
        "test-events": [{"PutRequest": {"Item": {"stream": {"S": "s"}, "seq": {"N": "1"}, "body": {"S": "b"}}}}],
    }}


def test_unprocessed_items_are_resent_after_a_sleep():
    policy, clock = make_policy()
    objs = users(30)
    op = operations.save(policy, objs)
    first = checked(next(op))
    assert len(first) == 2
    step = op.send([unprocessed(first[0], {"u3", "u17"}), unprocessed(first[1], {"u28"})])
    assert isinstance(step, Sleep) and step.seconds == pytest.approx(0.05)
    clock.now += step.seconds
    again = checked(op.send(None))
    assert len(again) == 1
    validate_request("batch_write_item", again[0].request)
    assert put_ids(again[0]) == ["u3", "u17", "u28"]
    assert again[0].request["RequestItems"]["test-users"][0] == first[0].request["RequestItems"]["test-users"][3]
    with pytest.raises(StopIteration):
        op.send([{}])
    assert all(SNAPSHOT in obj.__dict__ for obj in objs)


def test_never_draining_batch_names_exactly_the_leftovers():
    policy, clock = make_policy(deadline=1.0)
    objs = users(30)
    stuck = {"u3", "u17", "u28"}
    op = operations.save(policy, objs)
    driver = Driver(op, clock, lambda call: unprocessed(call, stuck))
    with pytest.raises(BatchIncomplete) as excinfo:
        driver.run()
    error = excinfo.value
    assert error.operation == "save"
    assert error.unprocessed == [objs[3], objs[17], objs[28]]
    assert all(a is b for a, b in zip(error.unprocessed, [objs[3], objs[17], objs[28]]))
    assert isinstance(error, bloop.BloopException)
    # exponential backoff up to the deadline: 0.05 + 0.1 + 0.2 + 0.4 = 0.75; 0.8 more would pass 1.0
    assert driver.sleeps == pytest.approx([0.05, 0.1, 0.2, 0.4])
    assert clock.now - 1000.0 <= 1.0
    assert [sorted(put_ids(c)) for c in driver.calls[2:]] == [sorted(stuck)] * 4
    # the others were written and recorded; the leftovers were not
    assert [SNAPSHOT in obj.__dict__ for obj in objs] == [obj.id not in stuck for obj in objs]


def test_failed_batch_request_is_reported_with_its_objects():
    policy, clock = make_policy()
    objs = users(30)
    throttled = Throttled("BatchWriteItem: throttled", code="ProvisionedThroughputExceededException",
                          operation="BatchWriteItem")
    op = operations.save(policy, objs)
    checked(next(op))
    with pytest.raises(BatchIncomplete) as excinfo:
        op.send([{}, throttled])
    assert excinfo.value.unprocessed == objs[25:]
    assert excinfo.value.__cause__ is throttled


def test_batch_delete():
    policy, clock = make_policy()
    objs = users(26)
    for obj in objs:
        obj.__dict__[SNAPSHOT] = {}
    op = operations.delete(policy, objs)
    calls = checked(next(op))
    assert [len(writes_of(c)) for c in calls] == [25, 1]
    for call in calls:
        validate_request("batch_write_item", call.request)
    assert writes_of(calls[1]) == [{"DeleteRequest": {"Key": {"id": {"S": "u25"}}}}]
    step = op.send([{}, unprocessed(calls[1], {"u25"})])
    assert isinstance(step, Sleep)
    retry = checked(op.send(None))
    assert writes_of(retry[0]) == [{"DeleteRequest": {"Key": {"id": {"S": "u25"}}}}]
    with pytest.raises(StopIteration):
        op.send([{}])
    assert not any(SNAPSHOT in obj.__dict__ for obj in objs)


def test_never_draining_batch_delete():
    policy, clock = make_policy(deadline=0.5)
    objs = users(3)
    driver = Driver(operations.delete(policy, objs), clock, lambda call: unprocessed(call, {"u1"}))
    with pytest.raises(BatchIncomplete) as excinfo:
        driver.run()
    assert excinfo.value.unprocessed == [objs[1]]
    assert excinfo.value.operation == "delete"


# ---------------------------------------------------------------------------------------
# delete one

def test_delete_one():
    policy, _ = make_policy()
    obj = bloop.from_item(Event, {"stream": {"S": "s"}, "seq": {"N": "2"}, "body": {"S": "x"}})
    op = operations.delete(policy, obj)
    request = checked(next(op))[0].request
    assert request == {"TableName": "test-events", "Key": {"stream": {"S": "s"}, "seq": {"N": "2"}}}
    validate_request("delete_item", request)
    with pytest.raises(StopIteration):
        op.send([{}])
    assert SNAPSHOT not in obj.__dict__


def test_delete_with_condition_and_sync_old():
    policy, _ = make_policy()
    obj = Event(stream="s", seq=2)
    op = operations.delete(policy, obj, Event.body.begins_with("x"), sync="old")
    request = checked(next(op))[0].request
    assert request == {
        "TableName": "test-events", "Key": {"stream": {"S": "s"}, "seq": {"N": "2"}},
        "ConditionExpression": "begins_with(#n0, :v0)",
        "ExpressionAttributeNames": {"#n0": "body"}, "ExpressionAttributeValues": {":v0": {"S": "x"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD", "ReturnValues": "ALL_OLD",
    }
    validate_request("delete_item", request)
    with pytest.raises(StopIteration):
        op.send([{"Attributes": {"stream": {"S": "s"}, "seq": {"N": "2"}, "body": {"S": "xyz"}}}])
    assert obj.body == "xyz"
    assert SNAPSHOT not in obj.__dict__


def test_delete_sync_new_refused():
    policy, _ = make_policy()
    with pytest.raises(InvalidValue):
        next(operations.delete(policy, User(id="u"), sync="new"))


# ---------------------------------------------------------------------------------------
# load: BatchGetItem

def answer_load(missing=(), extra=None):
    """A BatchGetItem responder: every requested key is found (with a name) except ``missing``."""
    def respond(call):
        responses = {}
        for table, request in call.request["RequestItems"].items():
            for key in request["Keys"]:
                if key["id"]["S"] not in missing:
                    responses.setdefault(table, []).append(item_of(key, name="loaded " + key["id"]["S"]))
        return {"Responses": responses, "UnprocessedKeys": {}}
    return respond


def test_load_chunks_of_100():
    policy, clock = make_policy()
    objs = [User(id=f"u{i}") for i in range(250)]
    op = operations.load(policy, objs, consistent=True)
    calls = checked(next(op))
    assert [c.operation for c in calls] == ["batch_get_item"] * 3
    assert [len(c.request["RequestItems"]["test-users"]["Keys"]) for c in calls] == [100, 100, 50]
    for call in calls:
        validate_request("batch_get_item", call.request)
        assert call.request["RequestItems"]["test-users"]["ConsistentRead"] is True
    assert calls[2].request["RequestItems"]["test-users"]["Keys"][0] == {"id": {"S": "u200"}}
    with pytest.raises(StopIteration):
        op.send([answer_load()(call) for call in calls])
    assert objs[249].name == "loaded u249"
    assert snapshot(objs[0])["name"] == "loaded u0"


def test_load_missing_objects():
    policy, clock = make_policy()
    objs = [User(id=f"u{i}") for i in range(250)]
    driver = Driver(operations.load(policy, objs), clock, answer_load(missing={"u5", "u120"}))
    with pytest.raises(ObjectsNotFound) as excinfo:
        driver.run()
    assert excinfo.value.missing == [objs[5], objs[120]]
    assert objs[5].name is None and objs[6].name == "loaded u6" and objs[249].name == "loaded u249"
    assert all(c.request["RequestItems"]["test-users"]["ConsistentRead"] is False for c in driver.calls)


def test_load_several_tables():
    policy, clock = make_policy()
    user, event = User(id="u"), Event(stream="s", seq=1)

    def respond(call):
        return {"Responses": {"test-users": [{"id": {"S": "u"}, "age": {"N": "5"}}],
                              "test-events": [{"stream": {"S": "s"}, "seq": {"N": "1"}, "body": {"S": "b"}}]}}

    driver = run(operations.load(policy, [user, event]), clock, respond)
    assert driver.calls[0].request == {"RequestItems": {
        "test-users": {"Keys": [{"id": {"S": "u"}}], "ConsistentRead": False},
        "test-events": {"Keys": [{"stream": {"S": "s"}, "seq": {"N": "1"}}], "ConsistentRead": False},
    }}
    assert user.age == 5 and event.body == "b"


def test_load_matches_normalised_numbers():
    policy, clock = make_policy()
    event = Event(stream="s", seq=10)

    def respond(call):  # DynamoDB may spell a number differently from the request
        return {"Responses": {"test-events": [{"stream": {"S": "s"}, "seq": {"N": "1E+1"}, "body": {"S": "b"}}]}}

    run(operations.load(policy, event), clock, respond)
    assert event.body == "b"


def test_unprocessed_keys_are_resent_after_a_sleep():
    policy, clock = make_policy()
    objs = [User(id=f"u{i}") for i in range(5)]
    op = operations.load(policy, objs, consistent=True)
    calls = checked(next(op))
    found = answer_load(missing={"u1", "u3"})(calls[0])
    found["UnprocessedKeys"] = {"test-users": {"Keys": [{"id": {"S": "u1"}}, {"id": {"S": "u3"}}],
                                               "ConsistentRead": True}}
    step = op.send([found])
    assert isinstance(step, Sleep)
    clock.now += step.seconds
    retry = checked(op.send(None))
    validate_request("batch_get_item", retry[0].request)
    assert retry[0].request == {"RequestItems": {"test-users": {
        "Keys": [{"id": {"S": "u1"}}, {"id": {"S": "u3"}}], "ConsistentRead": True}}}
    with pytest.raises(StopIteration):
        op.send([answer_load()(retry[0])])
    assert [o.name for o in objs] == [f"loaded u{i}" for i in range(5)]


def test_never_draining_load():
    policy, clock = make_policy(deadline=2.0)
    objs = [User(id=f"u{i}") for i in range(150)]
    stuck = {"u7", "u130"}

    def respond(call):
        response = answer_load(missing=stuck)(call)
        keys = [k for k in call.request["RequestItems"]["test-users"]["Keys"] if k["id"]["S"] in stuck]
        if keys:
            response["UnprocessedKeys"] = {"test-users": {"Keys": keys}}
        return response

    driver = Driver(operations.load(policy, objs), clock, respond)
    with pytest.raises(BatchIncomplete) as excinfo:
        driver.run()
    assert excinfo.value.unprocessed == [objs[7], objs[130]]
    assert excinfo.value.operation == "load"
    assert driver.sleeps == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.8])
    assert objs[8].name == "loaded u8"


def test_failed_load_request():
    policy, clock = make_policy()
    objs = [User(id=f"u{i}") for i in range(120)]
    op = operations.load(policy, objs)
    calls = checked(next(op))
    error = Throttled("throttled", code="ThrottlingException", operation="BatchGetItem")
    with pytest.raises(BatchIncomplete) as excinfo:
        op.send([answer_load()(calls[0]), error])
    assert excinfo.value.unprocessed == objs[100:]
    assert excinfo.value.__cause__ is error
    assert objs[99].name == "loaded u99"


# ---------------------------------------------------------------------------------------
# input checked before anything is sent

@pytest.mark.parametrize("operation", [operations.save, operations.delete, operations.load])
def test_duplicate_keys_refused_before_any_call(operation):
    policy, _ = make_policy()
    objs = [User(id="a"), User(id="b"), User(id="a")]
    op = operation(policy, objs)
    with pytest.raises(DuplicateKeys) as excinfo:
        next(op)
    assert excinfo.value.keys == [{"id": "a"}]
    assert isinstance(excinfo.value, ValueError)


def test_duplicate_keys_after_normalisation():
    policy, _ = make_policy()
    with pytest.raises(DuplicateKeys):
        next(operations.save(policy, [Event(stream="s", seq=1), Event(stream="s", seq=1), Event(stream="t", seq=1)]))


def test_same_key_in_two_tables_is_not_a_duplicate():
    class Other(BaseModel):
        id = Column(String, hash_key=True)

    policy, _ = make_policy()
    calls = checked(next(operations.save(policy, [User(id="a"), Other(id="a")])))
    assert len(calls) == 1


def test_same_object_twice_is_saved_once():
    policy, _ = make_policy()
    obj = User(id="a", age=1)
    calls = checked(next(operations.save(policy, [obj, obj])))
    assert [c.operation for c in calls] == ["update_item"]


@pytest.mark.parametrize("operation", [operations.save, operations.delete, operations.load])
def test_nothing_to_do(operation):
    policy, _ = make_policy()
    with pytest.raises(StopIteration):
        next(operation(policy, []))


@pytest.mark.parametrize("objs", ["not a model", 42, [User(id="a"), 42], User, [Abstract(id="x")], None])
@pytest.mark.parametrize("operation", [operations.save, operations.delete, operations.load])
def test_not_model_objects_refused(operation, objs):
    policy, _ = make_policy()
    with pytest.raises(InvalidValue):
        next(operation(policy, objs))


@pytest.mark.parametrize("operation", [operations.save, operations.delete, operations.load])
def test_missing_key_refused(operation):
    policy, _ = make_policy()
    with pytest.raises(MissingKey):
        next(operation(policy, [User(id="a"), User(name="no key")]))


@pytest.mark.parametrize("obj", [User(id=""), User(id="x" * 2049), Event(stream="s", seq=1, body=None)])
def test_bad_keys_refused(obj):
    policy, _ = make_policy()
    if isinstance(obj, Event):  # a valid key, for contrast
        checked(next(operations.save(policy, obj)))
        return
    with pytest.raises(InvalidValue):
        next(operations.save(policy, obj))
    with pytest.raises(InvalidValue):
        next(operations.load(policy, obj))


def test_condition_must_be_a_condition():
    policy, _ = make_policy()
    with pytest.raises(InvalidCondition):
        next(operations.save(policy, User(id="a"), "age > 3"))
    with pytest.raises(InvalidCondition):
        next(operations.delete(policy, User(id="a"), condition=True))


def test_bad_sync_refused():
    policy, _ = make_policy()
    with pytest.raises(InvalidValue):
        next(operations.save(policy, User(id="a"), sync="newest"))


def test_engine_save_second_positional_must_be_a_condition():
    engine = Engine(dynamodb_client())
    a, b = User(id="a"), User(id="b")
    for method in (engine.save, engine.delete):
        with pytest.raises(TypeError) as excinfo:
            method(a, "not a condition")
        assert "[a, b]" in str(excinfo.value) or "list" in str(excinfo.value)
        with pytest.raises(TypeError):
            method(a, b)
        assert isinstance(excinfo.value, bloop.BloopException)


# ---------------------------------------------------------------------------------------
# backoff policy

def test_policy_delay_is_jittered_exponential_and_capped():
    policy = Policy(table_name, Clock(), random.Random(42), 30.0, backoff_base=0.1, backoff_cap=2.0)
    for attempt in range(12):
        ceiling = min(2.0, 0.1 * 2 ** attempt)
        for _ in range(20):
            assert ceiling / 2 <= policy.delay(attempt) <= ceiling


def test_call_raises_the_outcome_error():
    op = operations.call("get_item", {"TableName": "t", "Key": {"id": {"S": "a"}}})
    calls = checked(next(op))
    assert calls[0].operation == "get_item"
    error = Throttled("x")
    with pytest.raises(Throttled):
        op.send([error])


def test_drive():
    slept = []
    op = operations.load(make_policy()[0], User(id="u"))
    operations.drive(op, lambda calls: [answer_load()(c) for c in calls], slept.append)
    assert slept == []


# ---------------------------------------------------------------------------------------
# the sync engine end to end, against botocore's Stubber (which validates every request)

def test_engine_load_resends_unprocessed_keys_through_a_stubbed_client():
    client = dynamodb_client()
    slept = []
    engine = Engine(client, table_name_template="stub-{table_name}", sleep=slept.append, rng=random.Random(0))
    objs = [User(id="a"), User(id="b")]
    keys = [{"id": {"S": "a"}}, {"id": {"S": "b"}}]
    with Stubber(client) as stubber:
        stubber.add_response(
            "batch_get_item",
            {"Responses": {"stub-users": [{"id": {"S": "a"}, "age": {"N": "1"}}]},
             "UnprocessedKeys": {"stub-users": {"Keys": [keys[1]], "ConsistentRead": True}}},
            {"RequestItems": {"stub-users": {"Keys": keys, "ConsistentRead": True}}})
        stubber.add_response(
            "batch_get_item",
            {"Responses": {"stub-users": [{"id": {"S": "b"}, "age": {"N": "2"}}]}},
            {"RequestItems": {"stub-users": {"Keys": [keys[1]], "ConsistentRead": True}}})
        engine.load(objs, consistent=True)
        stubber.assert_no_pending_responses()
    assert [o.age for o in objs] == [1, 2]
    assert len(slept) == 1 and 0 < slept[0] <= 0.05


def test_engine_save_batch_through_a_stubbed_client():
    client = dynamodb_client()
    engine = Engine(client, table_name_template="stub-{table_name}")
    objs = [User(id="a", age=1), User(id="b")]
    with Stubber(client) as stubber:
        stubber.add_response(
            "batch_write_item", {"UnprocessedItems": {}},
            {"RequestItems": {"stub-users": [{"PutRequest": {"Item": {"id": {"S": "a"}, "age": {"N": "1"}}}},
                                             {"PutRequest": {"Item": {"id": {"S": "b"}}}}]}})
        engine.save(objs)
        stubber.assert_no_pending_responses()


class Locked(BaseModel):
    class Meta:
        table_name = "versioned"

    id = Column(String, hash_key=True)
    data = Column(String)
    version = Column(Integer, version=True)


def test_version_column_conditions_and_increments():
    policy = Policy(lambda model: model.Meta.table_name, lambda: 0.0, random.Random(0), 1.0)
    obj = Locked(id="v", data="x")
    op = operations.save(policy, obj)
    (request,) = [c.request for c in next(op)]
    validate_request("update_item", request)
    names = request["ExpressionAttributeNames"]
    assert request["ConditionExpression"] == "attribute_not_exists(#n0)" and names["#n0"] == "version"
    assert request["UpdateExpression"] == "SET #n1=:v0, #n0=:v1"
    assert request["ExpressionAttributeValues"][":v1"] == {"N": "1"}
    with pytest.raises(StopIteration):
        op.send([{}])
    assert obj.version == 1
    obj.data = "y"
    op = operations.save(policy, obj)
    (request,) = [c.request for c in next(op)]
    assert request["ConditionExpression"] == "#n0 = :v0"
    assert request["UpdateExpression"] == "SET #n1=:v1, #n0=:v2"
    assert request["ExpressionAttributeValues"][":v0"] == {"N": "1"}  # the one it was saved with
    assert request["ExpressionAttributeValues"][":v2"] == {"N": "2"}  # the next version
    failure = ConstraintViolation("failed", code="ConditionalCheckFailedException")
    with pytest.raises(ConstraintViolation):
        op.send([failure])
    assert obj.version == 1  # unchanged by a failed save
    op = operations.delete(policy, obj)
    (request,) = [c.request for c in next(op)]
    validate_request("delete_item", request)
    assert request["ConditionExpression"] == "#n0 = :v0"

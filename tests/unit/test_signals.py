"""bloop.signals: who sends what, and when (engines run against botocore's Stubber)."""

import pytest

from bloop import BaseModel, ConstraintViolation, Column, Integer, ObjectsNotFound, String, from_item, signals
from bloop.operations import Call
from tests.unit.helpers import stubbed_engine


class User(BaseModel):
    class Meta:
        table_name = "users"

    id = Column(String, hash_key=True)
    name = Column(String)
    age = Column(Integer)


class Recorder:
    """A receiver that remembers every (sender, keyword arguments) it was sent."""

    def __init__(self):
        self.calls = []

    def __call__(self, sender, **kwargs):
        self.calls.append((sender, kwargs))


def test_model_created():
    created = Recorder()
    with signals.model_created.connected_to(created):
        class Thing(BaseModel):
            id = Column(String, hash_key=True)

        class Abstract(BaseModel):
            class Meta:
                abstract = True
    assert created.calls == [(Thing, {}), (Abstract, {})]


def test_object_modified_on_set_and_delete_only():
    modified = Recorder()
    with signals.object_modified.connected_to(modified):
        user = User(id="u1", name="Ann")  # constructing is not modifying
        from_item(User, {"id": {"S": "u2"}, "age": {"N": "3"}})  # neither is loading
        user.age = 4
        del user.name
    assert modified.calls == [(user, {"column": User.age, "value": 4}),
                              (user, {"column": User.name, "value": None})]
    user.age = 5  # no receivers: nothing is sent, and nothing breaks
    assert user.age == 5 and len(modified.calls) == 2


#: how DescribeTable shows User's table once it is ACTIVE
USERS_TABLE = {"TableName": "s-users", "TableStatus": "ACTIVE",
               "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
               "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}


def test_bind_sends_before_create_table_and_model_bound():
    engine, stubber = stubbed_engine()
    creating, bound = Recorder(), Recorder()
    with stubber:
        stubber.add_client_error("describe_table", "ResourceNotFoundException", "no table")
        stubber.add_response("create_table", {"TableDescription": USERS_TABLE})
        stubber.add_response("describe_table", {"Table": USERS_TABLE}, {"TableName": "s-users"})
        with signals.before_create_table.connected_to(creating), signals.model_bound.connected_to(bound):
            engine.bind(User)
            engine.bind(User)  # bound already: nothing happens
        stubber.assert_no_pending_responses()
    (sender, kwargs), = creating.calls
    assert sender is engine and kwargs["model"] is User and kwargs["table_name"] == "s-users"
    assert kwargs["request"]["TableName"] == "s-users" and kwargs["request"]["BillingMode"] == "PAY_PER_REQUEST"
    assert bound.calls == [(engine, {"model": User, "table_name": "s-users"})]


def test_bind_of_an_existing_table_sends_only_model_bound():
    engine, stubber = stubbed_engine()
    creating, bound = Recorder(), Recorder()
    with stubber:
        stubber.add_response("describe_table", {"Table": USERS_TABLE}, {"TableName": "s-users"})
        with signals.before_create_table.connected_to(creating), signals.model_bound.connected_to(bound):
            engine.bind(User)
    assert creating.calls == [] and len(bound.calls) == 1


def test_save_delete_load_send_object_signals():
    engine, stubber = stubbed_engine()
    saved, deleted, loaded = Recorder(), Recorder(), Recorder()
    a, b = User(id="a", name="A"), User(id="b", name="B")
    with stubber:
        stubber.add_response("update_item", {})
        # a is known only in part after its first save (bloop never saw the rest of its
        # item): it is updated, b (new) is put
        stubber.add_response("update_item", {})
        stubber.add_response("batch_write_item", {"UnprocessedItems": {}})
        stubber.add_response("delete_item", {})
        stubber.add_response("batch_write_item", {"UnprocessedItems": {}})
        stubber.add_response("batch_get_item", {"Responses": {"s-users": [{"id": {"S": "a"}}]}})
        with signals.object_saved.connected_to(saved), signals.object_deleted.connected_to(deleted), \
                signals.object_loaded.connected_to(loaded):
            engine.save(a)
            engine.save([a, b])
            engine.delete(a)
            engine.delete([a, b])
            with pytest.raises(ObjectsNotFound):  # b is missing: a is still loaded, and announced
                engine.load([a, b])
        stubber.assert_no_pending_responses()
    assert saved.calls == [(engine, {"obj": a}), (engine, {"obj": a}), (engine, {"obj": b})]
    assert deleted.calls == [(engine, {"obj": a}), (engine, {"obj": a}), (engine, {"obj": b})]
    assert loaded.calls == [(engine, {"obj": a})]


def test_a_failed_write_sends_nothing():
    engine, stubber = stubbed_engine()
    saved = Recorder()
    with stubber:
        stubber.add_client_error("update_item", "ConditionalCheckFailedException", "failed")
        with signals.object_saved.connected_to(saved):
            with pytest.raises(ConstraintViolation):
                engine.save(User(id="a", name="A"), condition=User.age > 3)
    assert saved.calls == []


def test_search_results_send_object_loaded():
    engine, stubber = stubbed_engine()
    loaded = Recorder()
    items = [{"id": {"S": "a"}, "age": {"N": "1"}}]
    with stubber:
        stubber.add_response("query", {"Items": items, "Count": 1, "ScannedCount": 1})
        stubber.add_response("scan", {"Items": items, "Count": 1, "ScannedCount": 1})
        with signals.object_loaded.connected_to(loaded):
            found = list(engine.query(User).key(User.id == "a"))
            found += engine.scan(User).all()
        stubber.assert_no_pending_responses()
    assert [obj for _, obj in ((s, k["obj"]) for s, k in loaded.calls)] == found
    assert all(sender is engine for sender, _ in loaded.calls)


def test_announce_loads_without_receivers_is_the_prepared_search_itself():
    engine, _ = stubbed_engine()
    prepared = engine.query(User).key(User.id == "a").prepare()
    assert signals.announce_loads(engine, prepared) is prepared
    with signals.object_loaded.connected_to(Recorder()):
        announcing = signals.announce_loads(engine, prepared)
    assert announcing is not prepared and "unpack" not in vars(prepared)


def test_announce_calls_passes_steps_and_outcomes_through():
    def op():
        first = yield [Call("describe_table", {"TableName": "t"})]
        second = yield [Call("create_table", {"TableName": "t"}), Call("other", {})]
        return first, second

    seen = []
    wrapped = signals.announce_calls(op(), "create_table", seen.append)
    assert next(wrapped)[0].operation == "describe_table" and seen == []
    assert [c.operation for c in wrapped.send(["one"])] == ["create_table", "other"]
    assert [c.operation for c in seen] == ["create_table"]
    with pytest.raises(StopIteration) as stop:
        wrapped.send(["two"])
    assert stop.value.value == (["one"], ["two"])

    def empty():
        return "done"
        yield  # pragma: no cover

    with pytest.raises(StopIteration) as stop:
        next(signals.announce_calls(empty(), "create_table", seen.append))
    assert stop.value.value == "done"


def test_module_exports():
    import bloop.stream
    import bloop.transactions
    for module in (signals, bloop.transactions, bloop.stream):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_the_core_reports_to_the_engines_announcer_not_to_the_engine():
    """An operation's policy carries the engine's Announcer; the core's reports are sent
    with the announcer's sender and never read ``policy.engine``."""
    from bloop.operations import Policy
    policy = Policy(table_name=lambda model: "users", clock=lambda: 0.0, random=None, batch_deadline=1.0)
    sender = object()
    policy.announce = signals.Announcer(sender)
    policy.engine = "not the sender"  # only a fallback for a policy without an announcer
    saved, deleted, loaded = Recorder(), Recorder(), Recorder()
    obj = User(id="a")
    with signals.object_saved.connected_to(saved), signals.object_deleted.connected_to(deleted), \
            signals.object_loaded.connected_to(loaded):
        signals.saved(policy, obj)
        signals.deleted(policy, obj)
        signals.loaded(policy, obj)
        assert signals.engine_of(policy) is sender
        del policy.announce
        signals.saved(policy, obj)  # bloop 4.0's engines set only policy.engine
    assert saved.calls == [(sender, {"obj": obj}), ("not the sender", {"obj": obj})]
    assert deleted.calls == [(sender, {"obj": obj})] and loaded.calls == [(sender, {"obj": obj})]
    assert repr(signals.Announcer("e")) == "Announcer('e')"

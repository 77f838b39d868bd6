"""bloop.unique: guard items claimed and released in the transaction of each save and delete.

Every request is checked against botocore's DynamoDB service model (the fake transport
validates each call); nothing is sent anywhere.
"""
import pytest

from bloop import BaseModel, Binary, Column, Integer, Number, String, actions
from bloop.exceptions import (
    ConstraintViolation, InvalidTransaction, InvalidValue, LimitExceeded, OutcomeUnknown, ServiceError,
    TransactionCanceled, UniqueViolation,
)
from bloop.tracking import snapshot
from bloop.unique import GUARD_ATTRIBUTE, OWNER_ATTRIBUTE, guard_key, value_text
from tests.unit.fakes import fake_engine


class Member(BaseModel):
    class Meta:
        table_name = "members"
        unique = [("first", "last")]

    id = Column(String, hash_key=True)
    email = Column(String, unique=True)
    first = Column(String)
    last = Column(String)
    age = Column(Integer)


class Ranked(BaseModel):
    class Meta:
        table_name = "ranked"

    pk = Column(String, hash_key=True)
    sk = Column(String, range_key=True)
    rank = Column(Number, unique=True)
    blob = Column(Binary, unique=True)
    version = Column(Integer, version=True)


class Shop(BaseModel):
    class Meta:
        table_name = "shop"

    pk = Column(String, hash_key=True)
    sk = Column(String, range_key=True)
    kind = Column(String, discriminator=True, dynamo_name="type")


class Customer(Shop, discriminator="customer"):
    email = Column(String, unique=True)


class Plain(BaseModel):
    class Meta:
        table_name = "plain"

    id = Column(String, hash_key=True)
    name = Column(String)


def canceled(*codes, lost=0):
    error = TransactionCanceled("TransactWriteItems: TransactionCanceledException: canceled",
                                code="TransactionCanceledException", operation="TransactWriteItems")
    error.reasons = [{"Code": code} for code in codes]
    error.lost_answers = lost
    return error


def names(engine):
    return [operation for operation, _ in engine.transport.requests]


def transact(engine, at=-1):
    sent = [request for operation, request in engine.transport.requests if operation == "transact_write_items"]
    return sent[at]["TransactItems"]


def known(obj):
    """Make bloop believe it knows what DynamoDB holds for ``obj`` (as after a save)."""
    snap = snapshot(obj, create=True)
    for column in type(obj).Meta.columns:
        snap[column.name] = obj.__dict__.get(column.name)


# ---------------------------------------------------------------------------------------
# guard keys

def test_value_text_numbers_are_canonical_and_binary_is_base64():
    assert value_text([{"S": "ann@example.com"}]) == "ann@example.com"
    assert {value_text([{"N": n}]) for n in ("1", "1.0", "1E0", "1.00")} == {"1"}
    assert value_text([{"N": "100"}]) == "100" and value_text([{"N": "-0.50"}]) == "-0.5"
    assert value_text([{"N": "0.000"}]) == "0"
    assert value_text([{"B": b"\x00\xff"}]) == "AP8="


def test_a_combination_escapes_its_separator():
    one = value_text([{"S": "a#"}, {"S": "b"}])
    other = value_text([{"S": "a"}, {"S": "#b"}])
    assert one != other
    assert value_text([{"S": "a\\"}, {"S": "#"}]) != value_text([{"S": "a"}, {"S": "\\#"}])


def test_guard_key_fills_both_keys_and_refuses_a_long_value():
    key = guard_key(Ranked, (Ranked.rank,), [{"N": "7"}])
    assert key == {"pk": {"S": "_unique#Ranked.rank#7"}, "sk": {"S": "_unique#Ranked.rank#7"}}
    with pytest.raises(InvalidValue, match="1024"):
        guard_key(Ranked, (Ranked.rank,), [{"N": "1" * 1100}])
    engine = fake_engine()
    with pytest.raises(InvalidValue, match="nothing was sent"):
        obj = Member(id="m1", email="x" * 3000)
        known(obj)
        obj.email = "y" * 3000
        engine.save(obj)
    assert engine.transport.requests == []


# ---------------------------------------------------------------------------------------
# saves

def test_a_new_object_is_read_first_then_claims_in_one_transaction():
    engine = fake_engine([{}, {}])
    member = Member(id="m1", email="ann@example.com", age=3)
    engine.save(member)
    assert names(engine) == ["get_item", "transact_write_items"]
    _, get = engine.transport.requests[0]
    assert get["ConsistentRead"] is True and get["Key"] == {"id": {"S": "m1"}}
    assert set(get["ExpressionAttributeNames"].values()) == {"email", "first", "last"}
    update, put = transact(engine)
    body = update["Update"]
    assert body["ConditionExpression"].count("attribute_not_exists") == 3  # nothing is held
    assert put["Put"]["Item"] == {
        "id": {"S": "_unique#Member.email#ann@example.com"}, GUARD_ATTRIBUTE: {"S": "Member.email"},
        OWNER_ATTRIBUTE: {"M": {"id": {"S": "m1"}}}}
    assert put["Put"]["ConditionExpression"] == "attribute_not_exists(#bloop_k) OR #bloop_o = :bloop_o"
    # bloop now knows what the item holds: the next save reads nothing
    member.age = 4
    engine.transport.answers.extend([{}])
    engine.save(member)
    assert names(engine)[2:] == ["transact_write_items"]
    assert len(transact(engine)) == 1


def test_a_change_claims_the_new_value_and_releases_the_old():
    engine = fake_engine([{}])
    member = Member(id="m1", email="old@example.com")
    known(member)
    member.email = "new@example.com"
    engine.save(member)
    update, put, delete = transact(engine)
    assert update["Update"]["ExpressionAttributeValues"][":v0"] == {"S": "old@example.com"} or \
        {"S": "old@example.com"} in update["Update"]["ExpressionAttributeValues"].values()
    assert put["Put"]["Item"]["id"] == {"S": "_unique#Member.email#new@example.com"}
    assert delete["Delete"]["Key"] == {"id": {"S": "_unique#Member.email#old@example.com"}}
    assert delete["Delete"]["ConditionExpression"] == "#bloop_o = :bloop_o"
    assert delete["Delete"]["ExpressionAttributeValues"] == {":bloop_o": {"M": {"id": {"S": "m1"}}}}
    # None releases, and claims nothing
    member.email = None
    engine.transport.answers.append({})
    engine.save(member)
    update, delete = transact(engine)
    assert delete["Delete"]["Key"] == {"id": {"S": "_unique#Member.email#new@example.com"}}


def test_what_the_item_holds_is_read_and_conditioned():
    engine = fake_engine([{"Item": {"email": {"S": "held@example.com"}}}, {}])
    member = Member(id="m1", email="new@example.com")
    engine.save(member)
    update, put, delete = transact(engine)
    assert {"S": "held@example.com"} in update["Update"]["ExpressionAttributeValues"].values()
    assert delete["Delete"]["Key"] == {"id": {"S": "_unique#Member.email#held@example.com"}}


def test_a_column_not_loaded_keeps_its_value():
    engine = fake_engine([{"Item": {"email": {"S": "held@example.com"}}}, {}])
    member = Member(id="m1")  # loaded without email (a projection): the save leaves it alone
    member.__dict__.pop("email", None)
    member.age = 5
    engine.save(member)
    assert len(transact(engine)) == 1  # no claim, no release


def test_a_family_guard_has_no_discriminator_and_fills_both_keys():
    engine = fake_engine([{}, {}])
    engine.save(Customer(pk="c1", sk="c1", email="ann@example.com"))
    _, put = transact(engine)
    item = put["Put"]["Item"]
    assert "type" not in item
    assert item["pk"] == item["sk"] == {"S": "_unique#Customer.email#ann@example.com"}


def test_binary_and_numbers_with_a_version():
    engine = fake_engine([{}, {}])
    obj = Ranked(pk="a", sk="b", rank=2.50, blob=b"\x01")
    engine.save(obj)
    update, *guards = transact(engine)
    assert sorted(g["Put"]["Item"]["pk"]["S"] for g in guards) == [
        "_unique#Ranked.blob#AQ==", "_unique#Ranked.rank#2.5"]
    assert "version" in str(update["Update"]["ExpressionAttributeNames"].values())


def test_a_failed_claim_is_a_unique_violation():
    engine = fake_engine([{}, canceled("None", "ConditionalCheckFailed")])
    member = Member(id="m1", email="ann@example.com")
    with pytest.raises(UniqueViolation) as excinfo:
        engine.save(member)
    error = excinfo.value
    assert (error.model, error.columns, error.value, error.obj) == (Member, ("email",), "ann@example.com", member)
    assert "Member.email must be unique" in str(error) and "nothing was written" in str(error)
    assert isinstance(error, ConstraintViolation) and isinstance(error.__cause__, TransactionCanceled)
    assert error.reasons[1]["Code"] == "ConditionalCheckFailed"
    assert snapshot(member) is None  # nothing recorded


def test_a_failed_condition_of_the_object_is_a_constraint_violation():
    engine = fake_engine([{}, canceled("ConditionalCheckFailed", "None")])
    member = Member(id="m1", email="ann@example.com")
    with pytest.raises(ConstraintViolation) as excinfo:
        engine.save(member, condition=Member.age == 3)
    assert not isinstance(excinfo.value, UniqueViolation) and excinfo.value.obj is member
    condition = transact(engine)[0]["Update"]["ConditionExpression"]
    assert "attribute_not_exists" in condition and "=" in condition


def test_another_cancellation_is_the_usual_error():
    engine = fake_engine([{}, canceled("TransactionConflict", "None")])
    with pytest.raises(TransactionCanceled):
        engine.save(Member(id="m1", email="ann@example.com"))


def test_a_failed_read_writes_nothing():
    engine = fake_engine([ServiceError("GetItem: throttled", code="Throttled", operation="GetItem")])
    with pytest.raises(ServiceError, match="nothing was written"):
        engine.save(Member(id="m1", email="ann@example.com"))
    assert names(engine) == ["get_item"]


def test_refused_before_sending():
    engine = fake_engine()
    member = Member(id="m1", email="ann@example.com")
    known(member)
    with pytest.raises(InvalidTransaction, match="sync"):
        engine.save(member, sync="new")
    member.email = actions.set("x@example.com")
    with pytest.raises(InvalidValue, match="update action"):
        engine.save(member)
    assert engine.transport.requests == []


def test_two_objects_claiming_one_value_in_one_call():
    engine = fake_engine()
    one, other = Member(id="m1", email="same"), Member(id="m2", email="same")
    known(one)
    known(other)
    one.email = other.email = "taken"
    with pytest.raises(UniqueViolation, match="same transaction"):
        engine.save([one, other])
    assert engine.transport.requests == []


def test_a_swap_is_one_put_that_changes_the_owner():
    engine = fake_engine([{}])
    one, other = Member(id="m1", email="a"), Member(id="m2", email="b")
    known(one)
    known(other)
    one.email, other.email = "b", "a"
    engine.save([one, other])
    items = transact(engine)
    assert [next(iter(i)) for i in items] == ["Update", "Put", "Put", "Update"]
    put = items[1]["Put"]
    assert put["Item"][OWNER_ATTRIBUTE] == {"M": {"id": {"S": "m1"}}}
    assert put["ExpressionAttributeValues"] == {":bloop_o": {"M": {"id": {"S": "m2"}}}}  # the old owner's


def test_several_objects_are_split_at_100_actions_and_the_error_says_what_was_saved():
    members = []
    for i in range(40):
        member = Member(id=f"m{i}", email=f"{i}@example.com")
        known(member)
        member.email = f"{i}@example.org"
        members.append(member)
    engine = fake_engine([{}, canceled(*(["None"] * 4 + ["ConditionalCheckFailed"]))])
    with pytest.raises(UniqueViolation) as excinfo:
        engine.save(members)
    # each object may take 5 actions (its update, a claim and a release of each of its two
    # constraints): 20 objects per transaction; these take 3 each
    sizes = [len(request["TransactItems"]) for _, request in engine.transport.requests]
    assert sizes == [60, 60]
    error = excinfo.value
    assert error.obj is members[21]
    assert error.done == members[:20] and error.not_sent == [] and error.not_written == members[20:]
    assert "20 objects were saved in earlier transactions" in str(error)


def test_a_model_without_uniques_is_untouched():
    engine = fake_engine([{}])
    engine.save(Plain(id="p", name="x"))
    assert names(engine) == ["update_item"]


# ---------------------------------------------------------------------------------------
# deletes

def test_a_delete_releases_its_guards():
    engine = fake_engine([{}])
    member = Member(id="m1", email="ann@example.com", first="Ann", last="Lee")
    known(member)
    engine.delete(member)
    delete, *guards = transact(engine)
    assert "Delete" in delete and delete["Delete"]["Key"] == {"id": {"S": "m1"}}
    assert sorted(g["Delete"]["Key"]["id"]["S"] for g in guards) == [
        "_unique#Member.email#ann@example.com", "_unique#Member.first+last#Ann#Lee"]
    assert snapshot(member) is None


def test_a_delete_of_an_unknown_object_reads_first():
    engine = fake_engine([{"Item": {"email": {"S": "ann@example.com"}}}, {}])
    engine.delete(Member(id="m1"))
    assert names(engine) == ["get_item", "transact_write_items"]
    delete, guard = transact(engine)
    assert guard["Delete"]["Key"] == {"id": {"S": "_unique#Member.email#ann@example.com"}}


# ---------------------------------------------------------------------------------------
# explicit transactions

def test_guards_join_an_explicit_transaction():
    engine = fake_engine([{}, {}])
    known_member = Member(id="m1", email="a")
    known(known_member)
    known_member.email = "b"
    with engine.transaction() as tx:
        tx.save(known_member)
        tx.save(Plain(id="p"))
        tx.delete(Member(id="m2"))
    assert names(engine) == ["get_item", "transact_write_items"]
    kinds = [next(iter(i)) for i in transact(engine)]
    assert kinds == ["Update", "Put", "Delete", "Update", "Delete"]


def test_a_prepared_transaction_reads_first_when_committed():
    engine = fake_engine([{}, {}])
    tx = engine.transaction()
    tx.save(Member(id="m1", email="a"))
    prepared = tx.prepare()
    assert prepared.reads_first and prepared.request == {}
    tx.commit()
    assert not prepared.reads_first and len(prepared.request["TransactItems"]) == 2


def test_guards_count_toward_the_limit():
    tx = fake_engine().transaction()
    for i in range(40):
        member = Member(id=f"m{i}", email=f"{i}", first="f", last=str(i))
        known(member)
        member.email, member.last = f"{i}x", f"{i}x"
        tx.save(member)
    with pytest.raises(LimitExceeded, match="guard items"):
        tx.prepare()


# ---------------------------------------------------------------------------------------
# lost answers

def test_a_canceled_resend_after_a_lost_answer_is_recognised_when_the_table_holds_the_write():
    member = Member(id="m1", email="old")
    known(member)
    member.email = "new"
    owner = {"M": {"id": {"S": "m1"}}}
    engine = fake_engine([canceled("ConditionalCheckFailed", "None", "ConditionalCheckFailed", lost=1),
                          {"Item": {"id": {"S": "m1"}, "email": {"S": "new"}}},
                          {"Item": {"id": {"S": "_unique#Member.email#new"}, OWNER_ATTRIBUTE: owner}},
                          {}])
    engine.save(member)
    assert names(engine) == ["transact_write_items", "get_item", "get_item", "get_item"]
    assert snapshot(member)["email"] == "new"


def test_a_canceled_resend_that_the_table_does_not_hold_is_an_unknown_outcome():
    member = Member(id="m1", email="old")
    known(member)
    member.email = "new"
    other = {"M": {"id": {"S": "m9"}}}
    engine = fake_engine([canceled("None", "ConditionalCheckFailed", "None", lost=1),
                          {"Item": {"id": {"S": "m1"}, "email": {"S": "new"}}},
                          {"Item": {"id": {"S": "_unique#Member.email#new"}, OWNER_ATTRIBUTE: other}},
                          {}])
    with pytest.raises(OutcomeUnknown, match="load them"):
        engine.save(member)
    assert snapshot(member)["email"] == "old"

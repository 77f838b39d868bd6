"""Lost answers, without a backend: which writes may be re-sent, how bloop recognises its
own write in the item a re-sent request's failure returns, and how the transport follows
botocore's attempts (tests/integ/test_lost_answers.py runs the same through a fault proxy).
"""
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from bloop import (
    BaseModel, Column, ConstraintViolation, Integer, List, Map, OutcomeUnknown, Set, String, actions,
    operations,
)
from bloop.operations import Policy, holds, repeats
from bloop.session import _answered, _sending, attempts
from bloop.tracking import SNAPSHOT
from tests.unit.helpers import validate_request


class Tally(BaseModel):
    class Meta:
        table_name = "tallies"

    id = Column(String, hash_key=True)
    count = Column(Integer)
    tags = Column(Set(String))
    log = Column(List(String))
    note = Column(String)
    info = Column(Map(size=Integer, color=String))


class Account(BaseModel):
    class Meta:
        table_name = "accounts"

    id = Column(String, hash_key=True)
    balance = Column(Integer)
    version = Column(Integer, version=True)


def policy():
    return Policy(lambda model: "t-" + model.Meta.table_name, lambda: 0.0, None, 1.0)


def first_call(op):
    (call,) = next(op)
    validate_request(call.operation, call.request)
    return call


def conflict(old=None, lost=1):
    """The ConstraintViolation a session raises for a conditional write, after ``lost``
    re-sends that followed a lost answer."""
    error = ConstraintViolation("UpdateItem: ConditionalCheckFailedException: failed",
                                code="ConditionalCheckFailedException", operation="UpdateItem")
    error.old = old
    error.lost_answers = lost
    return error


def entries(obj):
    """The update entries a save of ``obj`` sends."""
    return operations.update_request(policy(), operations.keyed(policy(), [obj])[0], None, None)[1]


# ---------------------------------------------------------------------------------------
# which writes are re-sent

@pytest.mark.parametrize("values, repeating", [
    ({"note": "x"}, False),
    ({"note": None}, False),
    ({"tags": actions.add({"a"})}, False),          # set union: the same twice
    ({"tags": actions.delete({"a"})}, False),
    ({"note": actions.if_not_exists("x")}, False),
    ({"count": actions.add(1)}, True),              # a number: twice is +2
    ({"count": Tally.count + 1}, True),
    ({"count": actions.minus(1)}, True),
    ({"log": actions.append(["x"])}, True),
    ({"log": actions.prepend(["x"])}, True),
    ({"info": {"size": actions.add(1)}}, True),     # inside a map, too
])
def test_repeats(values, repeating):
    obj = Tally(id="t", **values)
    assert repeats(entries(obj)) is repeating


def test_removing_a_list_element_repeats():
    obj = Tally(id="t", log=["a", "b"])
    obj.__dict__[SNAPSHOT] = {"log": {"L": [{"S": "a"}, {"S": "b"}]}}
    obj.log = ["a", actions.remove()]
    (entry,) = entries(obj)
    assert entry[1] == "remove" and repeats([entry])


@pytest.mark.parametrize("obj, kwargs, resend", [
    (Tally(id="t", note="x"), {}, True),
    (Tally(id="t", note="x"), {"sync": "new"}, True),
    (Tally(id="t", note="x"), {"sync": "old"}, False),  # a re-send returns what its first attempt wrote
    (Tally(id="t", count=actions.add(1)), {}, False),
    (Tally(id="t", count=actions.add(1)), {"condition": Tally.note == "x"}, False),
    (Account(id="a", balance=actions.add(1)), {}, True),  # the version check makes a re-send fail
])
def test_save_marks_what_is_not_resent(obj, kwargs, resend):
    call = first_call(operations.save(policy(), obj, kwargs.pop("condition", None), **kwargs))
    assert call.options == ({} if resend else {"resend": False})


def test_delete_with_sync_old_is_not_resent():
    assert first_call(operations.delete(policy(), Tally(id="t"), sync="old")).options == {"resend": False}
    assert first_call(operations.delete(policy(), Tally(id="t"))).options == {}


# ---------------------------------------------------------------------------------------
# recognising bloop's own write

def item(**values):
    out = {"id": {"S": "t"}}
    for name, value in values.items():
        out[name] = value
    return out


def test_holds_every_kind_of_entry():
    obj = Tally(id="t", count=5, note=None, tags=actions.add({"b"}), log=actions.append(["y", "z"]))
    obj.__dict__[SNAPSHOT] = {"note": "old"}
    written = entries(obj)
    good = item(count={"N": "5.0"}, tags={"SS": ["a", "b"]}, log={"L": [{"S": "x"}, {"S": "y"}, {"S": "z"}]})
    assert holds(good, written, versioned=False)  # 5.0 is 5: numbers compared as numbers
    assert not holds(dict(good, count={"N": "6"}), written, False)
    assert not holds(dict(good, note={"S": "old"}), written, False)  # REMOVEd: must be absent
    assert not holds(dict(good, tags={"SS": ["a"]}), written, False)
    assert not holds(dict(good, log={"L": [{"S": "y"}, {"S": "z"}, {"S": "x"}]}), written, False)
    prepended = entries(Tally(id="t", log=actions.prepend(["y"])))
    assert holds(item(log={"L": [{"S": "y"}, {"S": "x"}]}), prepended, False)
    assert not holds(item(log={"L": [{"S": "x"}, {"S": "y"}]}), prepended, False)
    removed = entries(Tally(id="t", tags=actions.delete({"a"})))
    assert holds(item(tags={"SS": ["b"]}), removed, False) and holds(item(), removed, False)
    assert not holds(item(tags={"SS": ["a", "b"]}), removed, False)
    inside = entries(Tally(id="t", info={"size": actions.if_not_exists(1), "color": "red"}))
    assert holds(item(info={"M": {"size": {"N": "3"}, "color": {"S": "red"}}}), inside, False)
    assert not holds(item(info={"M": {"color": {"S": "red"}}}), inside, False)


def test_arithmetic_is_recognised_only_by_a_version():
    added = entries(Tally(id="t", count=actions.add(1)))
    assert not holds(item(count={"N": "7"}), added, versioned=False)
    assert holds(item(count={"N": "7"}), added, versioned=True)
    assert not holds(item(), added, versioned=True)


def saved_account():
    account = Account(id="a", balance=1)
    op = operations.save(policy(), account)
    next(op)
    with pytest.raises(StopIteration):
        op.send([{}])
    assert account.version == 1
    account.balance = 2
    return account


def test_resent_versioned_save_recognised_in_the_returned_item():
    account = saved_account()
    op = operations.save(policy(), account, sync="new")
    first_call(op)
    mine = {"id": {"S": "a"}, "balance": {"N": "2"}, "version": {"N": "2"}}
    with pytest.raises(StopIteration):
        op.send([conflict(old=mine)])
    assert (account.balance, account.version) == (2, 2)
    assert operations.update_request(policy(), operations.keyed(policy(), [account])[0], None, None)[0][
        "ExpressionAttributeValues"][":v0"] == {"N": "2"}  # the next save is checked against version 2


def test_a_conflict_without_a_lost_answer_is_never_taken_for_this_write():
    """The same item, but no attempt lost its answer (the first, or re-sent after throttling
    only): another writer wrote these very values, and this save was not applied."""
    account = saved_account()
    op = operations.save(policy(), account)
    first_call(op)
    with pytest.raises(ConstraintViolation) as excinfo:
        op.send([conflict(old={"id": {"S": "a"}, "balance": {"N": "2"}, "version": {"N": "2"}}, lost=0)])
    assert excinfo.value.obj is account and account.version == 1


def test_resent_save_on_another_item_is_outcome_unknown():
    account = saved_account()
    op = operations.save(policy(), account)
    first_call(op)
    with pytest.raises(OutcomeUnknown) as excinfo:
        op.send([conflict(old={"id": {"S": "a"}, "balance": {"N": "9"}, "version": {"N": "3"}})])
    error = excinfo.value
    assert not isinstance(error, ConstraintViolation)
    assert error.obj is account and error.table == "t-accounts" and error.operation == "UpdateItem"
    assert "Account(id='a')" in str(error) and "'t-accounts'" in str(error)
    assert isinstance(error.__cause__, ConstraintViolation)
    assert account.version == 1  # nothing recorded


@pytest.mark.parametrize("stored, recognised", [
    ({"id": {"S": "a"}, "balance": {"N": "2"}, "version": {"N": "2"}}, True),
    ({"id": {"S": "a"}, "balance": {"N": "2"}, "version": {"N": "3"}}, False),
    (None, False),
])
def test_without_the_item_in_the_failure_it_is_read(stored, recognised):
    """dynalite returns no item with a failed condition: a consistent GetItem reads it."""
    account = saved_account()
    op = operations.save(policy(), account)
    first_call(op)
    (get,) = op.send([conflict(old=None)])
    validate_request(get.operation, get.request)
    assert get.operation == "get_item" and get.request == {
        "TableName": "t-accounts", "Key": {"id": {"S": "a"}}, "ConsistentRead": True}
    if recognised:
        with pytest.raises(StopIteration):
            op.send([{"Item": stored}])
        assert account.version == 2
    else:
        with pytest.raises(OutcomeUnknown):
            op.send([{"Item": stored} if stored else {}])
        assert account.version == 1


def test_resent_delete_that_finds_no_item_is_a_success():
    account = saved_account()
    op = operations.delete(policy(), account)
    assert "ConditionExpression" in first_call(op).request
    (get,) = op.send([conflict(old=None)])
    assert get.operation == "get_item"
    with pytest.raises(StopIteration):
        op.send([{}])
    assert SNAPSHOT not in account.__dict__  # forgotten: the item is gone


def test_resent_delete_that_finds_an_item_is_outcome_unknown():
    account = saved_account()
    op = operations.delete(policy(), account)
    first_call(op)
    with pytest.raises(OutcomeUnknown) as excinfo:
        op.send([conflict(old={"id": {"S": "a"}, "version": {"N": "5"}})])
    assert excinfo.value.obj is account and excinfo.value.operation == "DeleteItem"
    assert account.version == 1


def test_outcome_unknown_from_the_transport_names_the_object_and_table():
    obj = Tally(id="t", count=actions.add(1))
    op = operations.save(policy(), obj)
    first_call(op)
    lost = OutcomeUnknown("UpdateItem: the answer was lost (HTTP 500)", operation="UpdateItem")
    with pytest.raises(OutcomeUnknown) as excinfo:
        op.send([lost])
    assert excinfo.value is lost and lost.obj is obj and lost.table == "t-tallies"
    assert str(lost).startswith("save of Tally(id='t') in table 't-tallies': UpdateItem: the answer was lost")


# ---------------------------------------------------------------------------------------
# the transport: botocore's attempts of one request

class Operation:
    name = "UpdateItem"


def answer(status):
    return (AWSResponse("https://dynamodb", status, {}, None), {})


def attempt(result, lost_before=True):
    """One attempt's events, as botocore emits them: request-created, then needs-retry."""
    _sending(operation_name="UpdateItem")
    if isinstance(result, BaseException):
        _answered(response=None, caught_exception=result, operation=Operation())
    else:
        _answered(response=answer(result), caught_exception=None, operation=Operation())


def test_attempts_count_the_resends_after_lost_answers():
    with attempts() as watched:
        attempt(500)
        attempt(ConnectionClosedError(endpoint_url="x"))
        attempt(ReadTimeoutError(endpoint_url="x"))
        attempt(400)  # a conditional check failed: the last answer
    assert (watched.sent, watched.lost) == (4, 3)


def test_throttling_and_refused_connections_are_not_lost_answers():
    with attempts(resend=False) as watched:
        attempt(400)  # throttled
        attempt(EndpointConnectionError(endpoint_url="x"))  # never left the client
        attempt(200)
    assert (watched.sent, watched.lost) == (3, 0)


@pytest.mark.parametrize("failure", [
    500, 503, ConnectionClosedError(endpoint_url="x"), ReadTimeoutError(endpoint_url="x"),
])
def test_a_request_not_to_be_resent_stops_at_its_lost_answer(failure):
    with attempts(resend=False) as watched:
        with pytest.raises(OutcomeUnknown) as excinfo:
            attempt(failure)  # raised from needs-retry: before botocore's backoff sleep
    assert watched.sent == 1 and excinfo.value.operation == "UpdateItem"
    if isinstance(failure, BaseException):
        assert excinfo.value.__cause__ is failure


def test_a_2xx_answer_re_sent_all_the_same_is_a_lost_answer():
    """A 200 whose body did not decode, re-sent like a 5xx: the first attempt was applied."""
    with attempts(resend=False):
        attempt(200)
        with pytest.raises(OutcomeUnknown):
            _sending(operation_name="UpdateItem")
    with attempts() as watched:
        attempt(200)
        attempt(200)
    assert watched.lost == 1


def test_requests_outside_attempts_are_not_followed():
    _sending(operation_name="UpdateItem")
    _answered(response=answer(500), caught_exception=None, operation=Operation())

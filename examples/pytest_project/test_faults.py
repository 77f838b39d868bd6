"""The user's own retry code, tested with the plugin's fault injection."""
import pytest

from bloop import OutcomeUnknown, Throttled

from models import Order, order


def save_with_retries(engine, objs, attempts=3):
    """The project's own retry loop: what these tests are for."""
    for attempt in range(attempts):
        try:
            engine.save(objs)
            return attempt
        except Throttled:
            continue
    raise RuntimeError("gave up")


def test_throttled_then_retried(bloop_engine, bloop_faults):
    bloop_engine.bind(Order)
    bloop_faults.throttle(times=2)
    assert save_with_retries(bloop_engine, order(1)) == 2
    assert bloop_faults.stats["throttled"] == 2


def test_unprocessed_items_are_resent(bloop_engine, bloop_faults):
    bloop_engine.bind(Order)
    bloop_faults.unprocessed(times=2, share=0.5)
    bloop_engine.save([order(i) for i in range(10)])
    assert bloop_faults.stats["unprocessed"] == 5 + 3
    assert bloop_engine.scan(Order).count() == 10


def test_lost_answer_of_a_conditional_write(bloop_engine, bloop_faults):
    bloop_engine.bind(Order)
    bloop_engine.save(order(1))
    bloop_faults.lose_answers(times=1)
    # applied, its answer lost, re-sent: the re-send fails the condition, and bloop sees
    # that the item is what this save wrote
    bloop_engine.save(order(1, status="paid"), condition=Order.status == "new")
    found = order(1)
    bloop_engine.load(found)
    assert (found.status, bloop_faults.stats["lost"]) == ("paid", 1)


def test_lost_answer_bloop_must_not_resend(bloop_engine, bloop_faults):
    bloop_engine.bind(Order)
    bloop_engine.save(order(1))
    bloop_faults.lose_answers(times=1, operations=["update_item"])
    # asked for the old values, a re-send would return what the first attempt wrote
    with pytest.raises(OutcomeUnknown):
        bloop_engine.save(order(1, status="paid"), sync="old")

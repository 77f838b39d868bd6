"""A batch that never drains: the engine's deadline, set through the plugin's options."""
import pytest

from bloop import BatchIncomplete

from models import Order, order


@pytest.fixture
def bloop_engine_options():
    return {"batch_deadline": 0.3}


def test_never_drained(bloop_engine, bloop_faults):
    bloop_engine.bind(Order)
    bloop_faults.unprocessed(times=None, share=1.0)
    with pytest.raises(BatchIncomplete):
        bloop_engine.save([order(i) for i in range(4)])

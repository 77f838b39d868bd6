"""The async engine from the plugin's fixtures, in-process (anyio runs the test)."""
import asyncio

import pytest

from models import Order, order


@pytest.mark.anyio
async def test_async_engine_in_process(bloop_async_engine, bloop_engine):
    await bloop_async_engine.bind(Order)
    await asyncio.gather(*(bloop_async_engine.save(order(i)) for i in range(20)))
    numbers = [o.number async for o in bloop_async_engine.query(Order).key(Order.customer == "c1")]
    assert numbers == list(range(20))
    bloop_engine.bind(Order)  # the same tables
    assert bloop_engine.scan(Order).count() == 20


@pytest.fixture
def anyio_backend():
    return "asyncio"


class TestBoundModels:
    """``bloop_models``, overridden for this class: both engines have them bound."""

    @pytest.fixture
    def bloop_models(self):
        return [Order]

    @pytest.mark.anyio
    async def test_models_are_bound(self, bloop_async_engine, bloop_engine):
        await bloop_async_engine.save(order(1))
        assert bloop_engine.query(Order).key(Order.customer == "c1").one().number == 1

"""The sync engine from the plugin's fixtures: no conftest, no server."""
from bloop import ObjectsNotFound

from models import Order, order


def test_save_load_query(bloop_engine, bloop_table_prefix):
    bloop_engine.bind(Order)
    bloop_engine.save([order(i, receipt=b"\x00\xff") for i in range(30)])
    found = Order(customer="c1", number=7)
    bloop_engine.load(found)
    assert found.receipt == b"\x00\xff"
    assert bloop_engine.query(Order).key(Order.customer == "c1").count() == 30
    assert bloop_engine.session.dynamodb.list_tables()["TableNames"] == [bloop_table_prefix + "Order"]


def test_every_test_has_its_own_tables(bloop_engine):
    bloop_engine.bind(Order)
    try:
        bloop_engine.load(Order(customer="c1", number=7))
    except ObjectsNotFound:
        pass
    else:
        raise AssertionError("the last test's item is seen")

"""Declaring several models in one table: families, key templates and unique constraints,
each checked at the class statement (a bad declaration is an ``InvalidModel`` there)."""
import pytest

from bloop import (
    BaseModel, Binary, Boolean, Column, DateTime, GlobalSecondaryIndex, Integer, InvalidModel, String,
)
from bloop.models import Family


def shop(**meta):
    class Shop(BaseModel):
        Meta = type("Meta", (), dict({"table_name": "shop"}, **meta))
        pk = Column(String, hash_key=True)
        sk = Column(String, range_key=True)
        gsi1pk = Column(String)
        gsi1sk = Column(String)
        kind = Column(String, discriminator=True, dynamo_name="type")
        by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk", range_key="gsi1sk", projection="all")
    return Shop


def test_a_family_records_each_type_under_its_value():
    Shop = shop()

    class Customer(Shop, discriminator="customer"):
        customer_id = Column(String)

    class Order(Shop):
        order_id = Column(String)

    class Rush(Order, discriminator="rush"):
        pass

    family = Shop.Meta.family
    assert isinstance(family, Family)
    assert family is Customer.Meta.family is Rush.Meta.family
    assert family.models == {"Shop": Shop, "customer": Customer, "Order": Order, "rush": Rush}
    assert (family.name, family.dynamo_name, family.unknown) == ("kind", "type", "raise")
    assert sorted(family.values_under(Order)) == ["Order", "rush"]
    assert family.model_for("rush") is Rush and family.model_for("nope") is None and family.model_for(None) is None
    # every type lives in the base's table and writes its own value
    assert Customer.Meta.table_name == Rush.Meta.table_name == "shop"
    assert Customer(customer_id="c").kind == "customer"
    assert Rush().kind == "rush"
    assert Customer.Meta.discriminator is Customer.kind and Customer.kind is not Shop.kind


def test_templates_are_bound_to_each_models_columns():
    Shop = shop()

    class Order(Shop, discriminator="order"):
        pk = Column(String, hash_key=True, template="CUSTOMER#{customer_id}")
        sk = Column(String, range_key=True, template="ORDER#{created}#{number}")
        gsi1pk = Column(String, template="STATUS#{status}")
        customer_id = Column(String)
        created = Column(DateTime)
        number = Column(Integer)
        status = Column(String)

    assert Order.Meta.templated == [Order.pk, Order.sk, Order.gsi1pk]
    template = Order.sk.template
    assert template.parts == (Order.created, Order.number)
    assert template.literals == ("ORDER#", "#", "")
    assert template.render({"created": None, "number": 1}) is None
    text = template.render({"created": DateTime().dynamo_load("2026-11-29T10:00:00.000000+00:00"), "number": 7})
    assert text == "ORDER#2026-11-29T10:00:00.000000+00:00#7"
    assert template.parse(text) == {"created": DateTime().dynamo_load("2026-11-29T10:00:00.000000+00:00"),
                                    "number": 7}
    assert template.parse("CUSTOMER#x") is None


@pytest.mark.parametrize("column, message", [
    (Column(String, hash_key=True, template="C#{nope}"), r"names 'nope', which is not a column of Bad"),
    (Column(String, hash_key=True, template="C#{a}{b}"), r"side by side"),
    (Column(String, hash_key=True, template="C#{a:>5}"), r"takes no format"),
    (Column(String, hash_key=True, template="C#{pk}"), r"names the column itself"),
    (Column(String, hash_key=True, template="C#{flag}"), r"part flag must be a string or number type"),
    (Column(Integer, hash_key=True, template="{a}"), r"a templated key is a String column"),
    (Column(String, hash_key=True, template="C#{0}"), r"not a column name"),
], ids=["no such column", "side by side", "format", "itself", "boolean part", "number key", "positional"])
def test_a_bad_template_is_refused_at_the_class_statement(column, message):
    with pytest.raises(InvalidModel, match=message):
        class Bad(BaseModel):
            pk = column
            a = Column(String)
            b = Column(String)
            flag = Column(Boolean)


def test_a_template_on_a_column_that_is_no_key_is_refused():
    with pytest.raises(InvalidModel, match=r"Bad\.label .*only a key of the table or of an index"):
        class Bad(BaseModel):
            pk = Column(String, hash_key=True)
            name = Column(String)
            label = Column(String, template="NAME#{name}")


def test_a_part_that_is_itself_templated_is_refused():
    with pytest.raises(InvalidModel, match=r"names gsi1pk, which is itself built from a template"):
        class Bad(BaseModel):
            pk = Column(String, hash_key=True, template="A#{gsi1pk}")
            gsi1pk = Column(String, template="B#{name}")
            name = Column(String)
            by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk")


def test_two_types_claiming_one_value_are_refused():
    Shop = shop()

    class Customer(Shop, discriminator="customer"):
        pass

    with pytest.raises(InvalidModel, match=r"Client and Customer both claim the type value 'customer'"):
        class Client(Shop, discriminator="customer"):
            pass
    # the refused class did not take the value
    assert Shop.Meta.family.models["customer"] is Customer


def test_discriminator_clashes_are_refused():
    with pytest.raises(InvalidModel, match=r"has 2 discriminator columns"):
        class Two(BaseModel):
            pk = Column(String, hash_key=True)
            a = Column(String, discriminator=True)
            b = Column(String, discriminator=True, dynamo_name="bb")
    Shop = shop()
    with pytest.raises(InvalidModel, match=r"Order\.kind hides the discriminator of Shop"):
        class Order(Shop):
            kind = Column(String)
    with pytest.raises(InvalidModel, match=r"a discriminator is a String column"):
        class Numbered(BaseModel):
            pk = Column(String, hash_key=True)
            kind = Column(Integer, discriminator=True)
    with pytest.raises(InvalidModel, match=r"takes no default"):
        class Defaulted(BaseModel):
            pk = Column(String, hash_key=True)
            kind = Column(String, discriminator=True, default="x")
    with pytest.raises(InvalidModel, match=r"Meta\.unknown must be one of 'raise', 'skip', 'raw'"):
        shop(unknown="ignore")
    with pytest.raises(InvalidModel, match=r"a type value is a non-empty string"):
        class Empty(Shop, discriminator=""):
            pass


def test_a_type_in_another_table_is_refused():
    Shop = shop()
    with pytest.raises(InvalidModel, match=r"Elsewhere is a type of Shop, whose items live in 'shop'"):
        class Elsewhere(Shop):
            class Meta:
                table_name = "other"


def test_unique_constraints_are_resolved_and_checked():
    class User(BaseModel):
        class Meta:
            unique = [("first", "last"), "nick"]
        id = Column(String, hash_key=True)
        email = Column(String, unique=True)
        first = Column(String)
        last = Column(String)
        nick = Column(String)
        avatar = Column(Binary, unique=True)

    assert User.Meta.uniques == [(User.email,), (User.avatar,), (User.first, User.last), (User.nick,)]

    with pytest.raises(InvalidModel, match=r"the table's key is unique already"):
        class KeyUnique(BaseModel):
            id = Column(String, hash_key=True, unique=True)
    with pytest.raises(InvalidModel, match=r"Meta\.unique names 'nope', which is not a column"):
        class NoColumn(BaseModel):
            class Meta:
                unique = [("id2", "nope")]
            id = Column(String, hash_key=True)
            id2 = Column(String)
    with pytest.raises(InvalidModel, match=r"guard items in the table, whose keys must be strings; id is"):
        class NumberKey(BaseModel):
            id = Column(Integer, hash_key=True)
            email = Column(String, unique=True)
    with pytest.raises(InvalidModel, match=r"a unique column is a string, number or binary type"):
        class Flag(BaseModel):
            id = Column(String, hash_key=True)
            on = Column(Boolean, unique=True)
    with pytest.raises(InvalidModel, match=r"Meta\.unique must be a list"):
        class Bare(BaseModel):
            class Meta:
                unique = "email"
            id = Column(String, hash_key=True)
            email = Column(String)


def test_an_abstract_model_inside_a_family_passes_the_family_on():
    Shop = shop()

    class Dated(Shop):
        class Meta:
            abstract = True
        created = Column(DateTime)

    class Invoice(Dated, discriminator="invoice"):
        total = Column(Integer)

    assert Invoice.Meta.family is Shop.Meta.family
    assert Shop.Meta.family.models["invoice"] is Invoice
    assert "Dated" not in Shop.Meta.family.models  # an abstract model is no type
    assert Invoice.Meta.table_name == "shop"
    assert Invoice().kind == "invoice"

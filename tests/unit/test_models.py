"""bloop.models: declaring columns, indexes and Meta; everything checked when the class is created."""
import itertools

import pytest

import bloop
from bloop import (
    BaseModel, Column, DynamicMap, Engine, GlobalSecondaryIndex, Integer, List, LocalSecondaryIndex, Map, Set,
    String, Timestamp, UUID,
)
from bloop.exceptions import InvalidModel, UnknownColumn
from bloop.models import walk_subclasses
from tests.unit.helpers import dynamodb_client


class User(BaseModel):
    class Meta:
        table_name = "users"

    id = Column(String, hash_key=True)
    email = Column(String, dynamo_name="e")
    age = Column(Integer())
    by_email = GlobalSecondaryIndex(projection="keys", hash_key="email")


class Thread(BaseModel):
    forum = Column(String, hash_key=True)
    subject = Column(String, range_key=True)
    replies = Column(Integer, default=0)
    tags = Column(Set(String), default=set)
    by_replies = LocalSecondaryIndex(projection="all", range_key="replies")
    by_tag_count = GlobalSecondaryIndex(projection=["tags"], hash_key=subject, range_key=replies)


def test_columns_and_meta():
    meta = User.Meta
    assert meta.model is User
    assert meta.table_name == "users"
    assert meta.abstract is False
    assert meta.columns == [User.id, User.email, User.age]
    assert meta.columns_by_name == {"id": User.id, "email": User.email, "age": User.age}
    assert meta.columns_by_dynamo_name == {"id": User.id, "e": User.email, "age": User.age}
    assert meta.hash_key is User.id
    assert meta.range_key is None
    assert meta.keys == [User.id]
    assert meta.indexes == [User.by_email] and meta.gsis == [User.by_email] and meta.lsis == []
    assert meta.billing_mode == "PAY_PER_REQUEST"
    assert meta.ttl_column is None and meta.stream_view is None and meta.version is None


def test_column_attributes():
    assert User.email.name == "email"
    assert User.email.dynamo_name == "e"
    assert User.age.dynamo_name == "age"
    assert User.id.model is User
    assert isinstance(User.age.typedef, Integer)
    assert isinstance(User.id.typedef, String)
    assert repr(User.id) == "<Column[User.id=hash]>"
    assert repr(Thread.subject) == "<Column[Thread.subject=range]>"
    assert repr(User.age) == "<Column[User.age]>"


def test_table_name_defaults_to_class_name():
    assert Thread.Meta.table_name == "Thread"


def test_indexes():
    index = User.by_email
    assert index.name == "by_email" and index.dynamo_name == "by_email"
    assert index.model is User
    assert index.hash_key is User.email and index.range_key is None
    assert index.projection_mode == "keys"
    assert index.projected == [User.id, User.email]
    assert repr(index) == "<GlobalSecondaryIndex[User.by_email]>"

    lsi = Thread.by_replies
    assert lsi.hash_key is Thread.forum and lsi.range_key is Thread.replies
    assert lsi.projection_mode == "all" and lsi.projected == Thread.Meta.columns

    gsi = Thread.by_tag_count  # columns may be named by the column objects themselves
    assert gsi.hash_key is Thread.subject and gsi.range_key is Thread.replies
    assert gsi.projection_mode == "include"
    assert gsi.projected == [Thread.forum, Thread.subject, Thread.replies, Thread.tags]


def test_index_dynamo_name_and_units():
    class Orders(BaseModel):
        id = Column(String, hash_key=True)
        status = Column(String)
        by_status = GlobalSecondaryIndex(projection="all", hash_key="status", dynamo_name="status-index",
                                         read_units=2, write_units=3)

    assert Orders.by_status.dynamo_name == "status-index"
    assert (Orders.by_status.read_units, Orders.by_status.write_units) == (2, 3)


def test_defaults_value_and_callable():
    counter = itertools.count()

    class Counted(BaseModel):
        id = Column(Integer, hash_key=True, default=lambda: next(counter))
        status = Column(String, default="new")
        tags = Column(Set(String), default=set)

    a, b = Counted(), Counted()
    assert (a.id, b.id) == (0, 1)
    assert a.status == "new"
    assert a.tags == set() and a.tags is not b.tags
    c = Counted(id=10, status="old")
    assert (c.id, c.status) == (10, "old")
    assert next(counter) == 2  # not called when a value was given
    assert Thread(forum="f", subject="s").replies == 0


def test_a_default_that_gives_none_leaves_the_column_unset():
    # bloop 3's defaults returned ``missing`` for "no default"; ported code returns None
    class Ported(BaseModel):
        id = Column(String, hash_key=True)
        note = Column(String, default=lambda: None)
        tags = Column(Set(String), default=set)

    obj = Ported(id="a")
    assert obj.note is None and "note" not in obj.__dict__  # unset, not "explicitly None"
    assert obj.tags == set()
    assert "note" in Ported(id="a", note=None).__dict__  # given as None: explicit, as before


def test_instances():
    user = User(id="u1", age=3)
    assert user.id == "u1" and user.age == 3
    assert user.email is None  # never given: reads as None
    user.email = "x@y"
    assert user.email == "x@y"
    del user.email
    assert user.email is None
    with pytest.raises(UnknownColumn) as excinfo:
        User(id="u", nickname="n")
    assert isinstance(excinfo.value, TypeError)
    assert "nickname" in str(excinfo.value)


def test_repr_shows_class_and_loaded_columns():
    assert repr(User(id="u1", age=3)) == "User(id='u1', age=3)"
    assert repr(User()) == "User()"
    user = bloop.from_item(User, {"id": {"S": "u2"}, "e": {"S": "a@b"}})
    assert repr(user) == "User(id='u2', email='a@b')"


def test_abstract_models_and_mixins():
    class Timestamped:
        created = Column(Timestamp)

    class Base(BaseModel):
        class Meta:
            abstract = True
            billing = {"read": 1, "write": 2}

        id = Column(UUID, hash_key=True)

    class First(Timestamped, Base):
        name = Column(String)

    class Second(Timestamped, Base):
        class Meta:
            table_name = "second"

    assert Base.Meta.abstract is True
    assert First.Meta.abstract is False and Second.Meta.abstract is False
    # every concrete model gets its own copies, bound to itself
    assert First.id is not Base.id and First.id is not Second.id
    assert First.created is not Second.created and First.created is not Timestamped.created
    assert First.id.model is First and Second.id.model is Second
    assert First.created.model is First and Second.created.model is Second
    assert First.Meta.hash_key is First.id
    assert [c.name for c in First.Meta.columns] == ["id", "created", "name"]
    assert [c.name for c in Second.Meta.columns] == ["id", "created"]
    assert Second.Meta.table_name == "second" and First.Meta.table_name == "First"
    # table settings come from the parent's Meta unless redeclared; the table name never does
    assert (First.Meta.billing_mode, First.Meta.read_units, First.Meta.write_units) == ("PROVISIONED", 1, 2)


def test_abstract_model_needs_no_key():
    class NoKeys(BaseModel):
        class Meta:
            abstract = True

        name = Column(String)

    assert NoKeys.Meta.hash_key is None


def test_subclass_of_a_concrete_model():
    class Parent(BaseModel):
        class Meta:
            billing = {"read": 5, "write": 6}
            ttl = {"column": "expires"}

        id = Column(String, hash_key=True)
        expires = Column(Timestamp)

    class Child(Parent):
        extra = Column(String)

    assert Child.Meta.model is Child
    assert Child.Meta.table_name == "Child"
    assert (Child.Meta.billing_mode, Child.Meta.read_units, Child.Meta.write_units) == ("PROVISIONED", 5, 6)
    assert Child.Meta.ttl_column is Child.expires
    assert Child.id is not Parent.id and Child.id.model is Child
    assert Parent.Meta.columns == [Parent.id, Parent.expires]


def test_subclass_overrides_a_column():
    class A(BaseModel):
        id = Column(String, hash_key=True)
        value = Column(String)

    class B(A):
        value = Column(Integer)

    assert isinstance(B.value.typedef, Integer) and isinstance(A.value.typedef, String)
    assert [c.name for c in B.Meta.columns] == ["id", "value"]


def test_indexes_are_copied_per_subclass():
    class Base(BaseModel):
        class Meta:
            abstract = True

        id = Column(String, hash_key=True)
        email = Column(String)
        by_email = GlobalSecondaryIndex(projection="keys", hash_key="email")

    class Concrete(Base):
        pass

    assert Concrete.by_email is not Base.by_email
    assert Concrete.by_email.model is Concrete
    assert Concrete.by_email.hash_key is Concrete.email


def test_meta_options():
    class Everything(BaseModel):
        class Meta:
            table_name = "everything"
            billing = {"mode": "provisioned", "read": 3, "write": 4}
            ttl = {"column": "expires"}
            stream = {"include": ["new", "old"]}
            encryption = {"enabled": True}
            backups = {"enabled": True}
            tags = {"team": "x"}

        id = Column(String, hash_key=True)
        expires = Column(Timestamp)
        version = Column(Integer, version=True)

    meta = Everything.Meta
    assert (meta.billing_mode, meta.read_units, meta.write_units) == ("PROVISIONED", 3, 4)
    assert meta.ttl_column is Everything.expires
    assert meta.stream_view == "NEW_AND_OLD_IMAGES"
    assert meta.version is Everything.version
    assert meta.tags == {"team": "x"}


@pytest.mark.parametrize("include, view", [
    (["keys"], "KEYS_ONLY"), (["new"], "NEW_IMAGE"), (["old"], "OLD_IMAGE"), (["old", "new"], "NEW_AND_OLD_IMAGES"),
])
def test_stream_views(include, view):
    class Streamed(BaseModel):
        class Meta:
            stream = {"include": include}

        id = Column(String, hash_key=True)

    assert Streamed.Meta.stream_view == view


@pytest.mark.parametrize("billing", [None, "on_demand", {"mode": "on_demand"}])
def test_on_demand_billing(billing):
    assert declare(a=key(), meta={"billing": billing}).Meta.billing_mode == "PAY_PER_REQUEST"


# ---------------------------------------------------------------------------------------
# models declared wrongly

def declare(*, meta=None, **attrs):
    body = dict(attrs)
    if meta is not None:
        body["Meta"] = type("Meta", (), meta)
    return type("Bad", (BaseModel,), body)


def key():
    return Column(String, hash_key=True)


@pytest.mark.parametrize("make", [
    pytest.param(lambda: declare(name=Column(String)), id="no hash key"),
    pytest.param(lambda: declare(a=key(), b=key()), id="two hash keys"),
    pytest.param(lambda: declare(a=key(), b=Column(String, range_key=True), c=Column(String, range_key=True)),
                 id="two range keys"),
    pytest.param(lambda: declare(a=Column(String, hash_key=True, range_key=True)), id="hash and range"),
    pytest.param(lambda: declare(a=Column(Map(x=String), hash_key=True)), id="map key"),
    pytest.param(lambda: declare(a=Column(Set(String), hash_key=True)), id="set key"),
    pytest.param(lambda: declare(a=key(), i=GlobalSecondaryIndex(hash_key="missing")),
                 id="gsi names undeclared column"),
    pytest.param(lambda: declare(a=key(), b=Column(String), i=GlobalSecondaryIndex(hash_key="b", range_key="zz")),
                 id="gsi range names undeclared column"),
    pytest.param(lambda: declare(a=key(), b=Column(String), i=GlobalSecondaryIndex(hash_key="b", projection=["zz"])),
                 id="projection names undeclared column"),
    pytest.param(lambda: declare(a=key(), i=GlobalSecondaryIndex()), id="gsi without hash key"),
    pytest.param(lambda: declare(a=key(), b=Column(DynamicMap), i=GlobalSecondaryIndex(hash_key="b")),
                 id="gsi key of a map"),
    pytest.param(lambda: declare(a=key(), b=Column(String), i=LocalSecondaryIndex(range_key="b")),
                 id="lsi without table range key"),
    pytest.param(lambda: declare(a=key(), r=Column(String, range_key=True), i=LocalSecondaryIndex(range_key="q")),
                 id="lsi names undeclared column"),
    pytest.param(lambda: declare(a=key(), r=Column(String, range_key=True), i=LocalSecondaryIndex()),
                 id="lsi without range key"),
    pytest.param(lambda: declare(a=key(), meta={"billing": "free"}), id="bad billing string"),
    pytest.param(lambda: declare(a=key(), meta={"billing": {"read": 1}}), id="billing without write"),
    pytest.param(lambda: declare(a=key(), meta={"billing": {"read": "1", "write": 1}}), id="billing not ints"),
    pytest.param(lambda: declare(a=key(), meta={"billing": {"mode": "reserved", "read": 1, "write": 1}}),
                 id="bad billing mode"),
    pytest.param(lambda: declare(a=key(), t=Column(String), meta={"ttl": {"column": "t"}}), id="ttl on a string"),
    pytest.param(lambda: declare(a=key(), meta={"ttl": {"column": "missing"}}), id="ttl on no column"),
    pytest.param(lambda: declare(a=key(), meta={"ttl": "t"}), id="ttl not a dict"),
    pytest.param(lambda: declare(a=key(), meta={"stream": {"include": ["everything"]}}), id="bad stream"),
    pytest.param(lambda: declare(a=key(), meta={"table_name": 42}), id="table name not a string"),
    pytest.param(lambda: declare(a=key(), b=Column(String, dynamo_name="a")), id="two columns one dynamo name"),
    pytest.param(lambda: declare(a=key(), v=Column(String, version=True)), id="version not a number"),
    pytest.param(lambda: declare(a=key(), v=Column(Integer, version=True), w=Column(Integer, version=True)),
                 id="two version columns"),
    pytest.param(lambda: declare(a=Column(Integer, hash_key=True, version=True)), id="version key"),
    pytest.param(lambda: declare(a=key(), _bloop_x=Column(String)), id="reserved name"),
    pytest.param(lambda: declare(a=key(), b=Column(List(Set(Map(x=String))))), id="set of a map"),
    pytest.param(lambda: declare(a=key(), b=Column(str)), id="column of a non-type"),
    pytest.param(lambda: GlobalSecondaryIndex(projection="some", hash_key="a"), id="bad projection"),
    pytest.param(lambda: GlobalSecondaryIndex(hash_key=3), id="index key not a name"),
])
def test_invalid_models(make):
    with pytest.raises(InvalidModel) as excinfo:
        make()
    assert isinstance(excinfo.value, ValueError)
    assert str(excinfo.value)


@pytest.mark.parametrize("meta, spelling", [
    ({"read_units": 5, "write_units": 2}, r"billing = \{'read': 5, 'write': 2\}"),
    ({"read_units": 5}, r"billing = \{'read': 5, 'write': <units>\}"),
    ({"write_units": 2, "billing": {"read": 1, "write": 2}}, r"billing = \{'read': <units>, 'write': 2\}"),
    ({"billing_mode": "PAY_PER_REQUEST"}, r"billing = 'on_demand'"),
    ({"billing_mode": "PROVISIONED", "read_capacity_units": 3, "write_capacity_units": 4},
     r"billing = \{'read': 3, 'write': 4\}"),
    ({"read_capacity_units": 3, "write_capacity_units": 4}, r"billing = \{'read': 3, 'write': 4\}"),
], ids=["bloop 3", "bloop 3 read only", "beside billing", "pynamodb on demand", "pynamodb provisioned",
        "pynamodb units"])
def test_capacity_settings_of_bloop_3_and_pynamodb_are_refused_naming_billing(meta, spelling):
    with pytest.raises(InvalidModel, match=r"^Bad\.Meta\.\w+ .*" + spelling):
        declare(a=key(), meta=meta)
    # a Meta that inherits them is refused too
    with pytest.raises(InvalidModel, match=spelling):
        declare(a=key(), Meta=type("Meta", (type("Base", (), meta),), {}))


def test_a_type_value_without_a_discriminator_column_is_refused_naming_it():
    class Shape(BaseModel):
        class Meta:
            abstract = True

        id = Column(String, hash_key=True)

    with pytest.raises(InvalidModel, match=r"Circle\(discriminator='circle'\): no base of Circle declares a "
                                           r"discriminator column.*Column\(String, discriminator=True\)"):
        class Circle(Shape, discriminator="circle"):
            radius = Column(Integer)
    # other class keywords still reach the bases as Python passes them
    with pytest.raises(TypeError):
        class Square(Shape, sides=4):
            pass


def test_set_of_a_map_refused():
    with pytest.raises(InvalidModel):
        Column(Set(Map(a=String)))


def test_walk_subclasses():
    class Root(BaseModel):
        class Meta:
            abstract = True

    class A(Root):
        id = Column(String, hash_key=True)

    class B(A):
        pass

    class C(A, Root):
        pass

    assert list(walk_subclasses(Root)).count(C) == 1
    assert set(walk_subclasses(Root)) == {Root, A, B, C}


def test_engine_model_is_an_abstract_base():
    engine = Engine(dynamodb_client())

    class Bound(engine.model):
        id = Column(String, hash_key=True)

    assert engine.model.Meta.abstract is True
    assert issubclass(Bound, BaseModel)
    assert Bound.Meta.abstract is False
    assert Engine(dynamodb_client()).model is not engine.model


# ---------------------------------------------------------------------------------------
# Python's precedence decides what a name is (issue 11, section 7)

class Audited:
    """A mixin of columns (bloop 3's "hide a mixin column" scenario)."""
    created = Column(Timestamp)
    created_by = Column(String)
    note = Column(String)
    tag = Column(String)


def test_class_body_hides_a_mixin_column_with_none_a_method_or_a_property():
    class Doc(Audited, BaseModel):
        id = Column(String, hash_key=True)
        created_by = None  # not recorded for this model

        def note(self):  # a method of the same name
            return "a method"

        @property
        def tag(self):
            return "a property"

    assert [c.name for c in Doc.Meta.columns] == ["created", "id"]
    assert set(Doc.Meta.columns_by_name) == {"created", "id"}
    assert "created_by" not in Doc.Meta.columns_by_dynamo_name
    assert Doc.created_by is None
    doc = Doc(id="d")
    assert doc.note() == "a method" and doc.tag == "a property"
    with pytest.raises(UnknownColumn):
        Doc(id="d", created_by="x")
    # the hidden names are neither written nor read
    loaded = bloop.from_item(Doc, {"id": {"S": "d"}, "created_by": {"S": "x"}, "note": {"S": "y"}})
    assert bloop.to_item(loaded) == {"id": {"S": "d"}}
    assert loaded.note() == "a method"
    # the mixin and other models keep the column
    assert isinstance(Audited.created_by, Column)

    class Other(Audited, BaseModel):
        id = Column(String, hash_key=True)

    assert [c.name for c in Other.Meta.columns] == ["created", "created_by", "note", "tag", "id"]


def test_a_subclass_of_a_concrete_model_hides_an_inherited_column():
    class Parent(BaseModel):
        id = Column(String, hash_key=True)
        secret = Column(String)
        by_secret = GlobalSecondaryIndex(projection="keys", hash_key="secret")
        by_id = GlobalSecondaryIndex(projection="keys", hash_key="id")

    class Child(Parent):
        secret = None
        by_secret = None  # an index is hidden the same way

    assert [c.name for c in Child.Meta.columns] == ["id"]
    assert [i.name for i in Child.Meta.indexes] == ["by_id"]
    assert [c.name for c in Parent.Meta.columns] == ["id", "secret"]
    # hiding a column an inherited index needs, and keeping the index, is refused
    with pytest.raises(InvalidModel, match="secret"):
        class Broken(Parent):
            secret = None


def test_bases_follow_the_method_resolution_order():
    class Hides:
        note = None

    class HiddenFirst(Hides, Audited, BaseModel):
        id = Column(String, hash_key=True)

    class ColumnFirst(Audited, Hides, BaseModel):
        id = Column(String, hash_key=True)

    assert "note" not in HiddenFirst.Meta.columns_by_name and HiddenFirst.note is None
    assert "note" in ColumnFirst.Meta.columns_by_name and isinstance(ColumnFirst.note, Column)


def test_two_indexes_with_one_dynamo_name_refused():
    with pytest.raises(InvalidModel, match="by_a and by_b.*'shared'"):
        class Twice(BaseModel):
            id = Column(String, hash_key=True)
            a = Column(String)
            b = Column(String)
            by_a = GlobalSecondaryIndex(hash_key="a", dynamo_name="shared")
            by_b = GlobalSecondaryIndex(hash_key="b", dynamo_name="shared")

    class Indexed:
        a = Column(String)
        by_a = GlobalSecondaryIndex(hash_key="a")

    with pytest.raises(InvalidModel, match="by_a and other"):
        class Inherited(Indexed, BaseModel):
            id = Column(String, hash_key=True)
            r = Column(String, range_key=True)
            other = LocalSecondaryIndex(range_key="a", dynamo_name="by_a")

    # an index may share its name with a column: DynamoDB keeps them apart
    class Same(BaseModel):
        id = Column(String, hash_key=True)
        a = Column(String)
        by_a = GlobalSecondaryIndex(hash_key="a", dynamo_name="a_a")
        a_a = Column(String)

    assert Same.by_a.dynamo_name == "a_a"


class Keyed(BaseModel):
    id = Column(String, hash_key=True)
    when = Column(String, range_key=True)
    data = Column(String)


@pytest.mark.parametrize("body, which", [
    (dict(pk=Column(String, hash_key=True)), "hash"),
    (dict(sk=Column(String, range_key=True)), "range"),
])
def test_a_subclass_declaring_other_keys_fails_loudly(body, which):
    # bloop 3 made such a model with both key columns in Meta.keys, and every request
    # then named a key DynamoDB's table does not have
    with pytest.raises(InvalidModel) as excinfo:
        type("Rekeyed", (Keyed,), dict(body))
    message = str(excinfo.value)
    inherited = "id" if which == "hash" else "when"
    declared = next(iter(body))
    assert f"{which} key {declared}" in message and f"inherits the {which} key {inherited} from Keyed" in message
    assert f"{inherited} = None" in message and f"{inherited} = Column(" in message


def test_a_subclass_rekeys_by_hiding_or_redeclaring_the_inherited_key():
    class Hidden(Keyed):
        id = None
        pk = Column(String, hash_key=True)

    class Redeclared(Keyed):
        when = Column(String)  # a plain column now
        sk = Column(Integer, range_key=True)

    assert Hidden.Meta.keys == [Hidden.pk, Hidden.when]
    assert "id" not in Hidden.Meta.columns_by_name
    assert Redeclared.Meta.keys == [Redeclared.id, Redeclared.sk]
    assert not Redeclared.when.range_key and Keyed.when.range_key


@pytest.mark.parametrize("template", [
    "{env}-{table_name}", "{table_name}-{}", "{0}{table_name}", "{table_name.upper}", "{table_name[0]}x",
    "{table_name", "{table_name}}", "no field", "",
])
def test_table_name_template_with_another_field_refused_by_the_engine(template):
    from bloop.aio import AsyncEngine
    for make in (Engine, AsyncEngine):
        with pytest.raises(InvalidModel) as excinfo:
            make(dynamodb_client(), table_name_template=template)
        assert "{table_name}" in str(excinfo.value) and repr(template) in str(excinfo.value)


@pytest.mark.parametrize("template, name", [
    ("{table_name}", "users"), ("prod-{table_name}", "prod-users"), ("{table_name}.{table_name}", "users.users"),
    ("{table_name!s}_v2", "users_v2"),
])
def test_table_name_templates_accepted(template, name):
    assert Engine(dynamodb_client(), table_name_template=template)._table_name(User) == name


def test_a_dynamo_name_must_be_text():
    with pytest.raises(InvalidModel, match="lone surrogate"):
        declare(a=key(), b=Column(String, dynamo_name="b\ud800"))
    with pytest.raises(InvalidModel, match="lone surrogate"):
        declare(**{"a": key(), "\udc00": Column(String)})


# ---------------------------------------------------------------------------------------
# the typed metadata: one class, one constructor, one "is this a model?"

def test_meta_is_one_typed_object():
    from bloop.models import ModelMeta
    meta = User.Meta
    assert isinstance(meta, ModelMeta) and isinstance(Thread.Meta, ModelMeta)
    assert isinstance(BaseModel.Meta, ModelMeta) and BaseModel.Meta.abstract is True
    assert repr(meta) == "<ModelMeta of User>"
    assert User().Meta is meta  # read through an object too, as before


def test_meta_keeps_what_the_user_declared():
    class Declared:
        shared = "from a plain base"

    class Tagged(BaseModel):
        class Meta(Declared):
            table_name = "tagged"
            owner = "team-a"

            @staticmethod
            def describe():
                return "described"

        id = Column(String, hash_key=True)

    assert Tagged.Meta.owner == "team-a" and Tagged.Meta.shared == "from a plain base"
    assert Tagged.Meta.describe() == "described"
    assert Tagged.Meta.table_name == "tagged" and Tagged.Meta.columns == [Tagged.id]

    class Child(Tagged):  # a Meta declared on the parent's: its options; the table name is its own
        class Meta(Tagged.Meta):
            abstract = False

    assert Child.Meta.owner == "team-a" and Child.Meta.table_name == "Child"
    assert Child.Meta.model is Child and Child.Meta.columns == [Child.id]


def test_one_is_this_a_model():
    from bloop.models import model_meta

    class Abstract(BaseModel):
        class Meta:
            abstract = True

    assert model_meta(User) is User.Meta
    assert model_meta(Abstract) is Abstract.Meta and model_meta(Abstract, concrete=True) is None
    assert model_meta(BaseModel, concrete=True) is None
    for not_a_model in (User(), object, None, "User", type("Plain", (), {"Meta": type("Meta", (), {})})):
        assert model_meta(not_a_model) is None

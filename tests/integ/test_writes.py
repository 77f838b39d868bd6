"""What a save or delete promises, on every backend and with both engines.

- a partial object (loaded with a projection, or from an index that does not project
  every column) is updated, never put, alone or with others: nothing it never loaded
  is erased;
- ``sync="old"`` keeps the object's key (and, for a versioned model, the version it
  wrote), so it can be saved again;
- an object carrying a version it was never loaded with is written on that version;
  ``check_version=False`` opts out (last writer wins);
- an object with nothing but its key can be saved with a condition or ``sync``;
- a failure in a several-object save or delete sent one request per object names the
  failing object, the objects done and those not sent.
"""
import pytest

from bloop import (
    BaseModel, Column, ConstraintViolation, GlobalSecondaryIndex, Integer, String,
)

pytestmark = pytest.mark.engines("sync", "async")


class Profile(BaseModel):
    class Meta:
        table_name = "profiles"

    id = Column(String, hash_key=True)
    name = Column(String)
    email = Column(String)
    visits = Column(Integer)
    by_email = GlobalSecondaryIndex(projection="keys", hash_key="email")
    by_name = GlobalSecondaryIndex(projection=["visits"], hash_key="name")


class Ledger(BaseModel):
    class Meta:
        table_name = "ledgers"

    id = Column(String, hash_key=True)
    balance = Column(Integer)
    version = Column(Integer, version=True)


@pytest.fixture
def profiles(engine):
    engine.bind(Profile)
    return engine


@pytest.fixture
def ledgers(engine):
    engine.bind(Ledger)
    return engine


def _stored(engine, model, **key):
    obj = model(**key)
    engine.load(obj, consistent=True)
    return obj


def _seed(engine, n=3):
    objs = [Profile(id=f"p{i}", name=f"name{i}", email=f"p{i}@x", visits=i) for i in range(n)]
    engine.save(objs)
    return objs


# -- partial objects -------------------------------------------------------------------

def test_projected_objects_saved_together_are_updated_not_put(profiles):
    _seed(profiles)
    partial = [profiles.query(Profile).key(Profile.id == f"p{i}").project(Profile.visits).one()
               for i in range(2)]
    for obj in partial:
        obj.visits += 10
    profiles.save(partial)
    for i in range(2):
        stored = _stored(profiles, Profile, id=f"p{i}")
        assert (stored.name, stored.email, stored.visits) == (f"name{i}", f"p{i}@x", i + 10)


def test_objects_from_a_keys_only_index_keep_their_other_attributes(profiles):
    _seed(profiles)
    found = [profiles.query(Profile.by_email).key(Profile.email == f"p{i}@x").one() for i in range(3)]
    assert all(obj.name is None for obj in found)
    profiles.save(found)
    for i in range(3):
        stored = _stored(profiles, Profile, id=f"p{i}")
        assert (stored.name, stored.visits) == (f"name{i}", i)


def test_include_index_and_new_objects_together(profiles):
    _seed(profiles, 2)
    from_index = profiles.query(Profile.by_name).key(Profile.name == "name1").one()
    assert from_index.visits == 1 and from_index.email is None
    from_index.visits = 7
    new = Profile(id="new", name="n", email="new@x")
    whole = _stored(profiles, Profile, id="p0")
    whole.email = "changed@x"
    profiles.save([from_index, new, whole])
    stored = _stored(profiles, Profile, id="p1")
    assert (stored.name, stored.email, stored.visits) == ("name1", "p1@x", 7)
    assert _stored(profiles, Profile, id="new").email == "new@x"
    assert _stored(profiles, Profile, id="p0").email == "changed@x"


def test_scanned_with_a_projection_then_saved_in_a_batch(profiles):
    _seed(profiles, 4)
    objs = profiles.scan(Profile).project(Profile.name).all()
    assert len(objs) == 4
    for obj in objs:
        obj.name = obj.name.upper()
    profiles.save(objs)
    for stored in profiles.scan(Profile).consistent.all():
        assert stored.name == stored.name.upper()
        assert stored.email and stored.visits is not None


# -- sync="old" --------------------------------------------------------------------------

def test_sync_old_on_a_new_item_keeps_the_key(profiles):
    obj = Profile(id="fresh", name="a", visits=1)
    profiles.save(obj, sync="old")
    assert obj.id == "fresh"
    assert obj.name is None  # DynamoDB held nothing before
    obj.name = "b"
    profiles.save(obj)
    stored = _stored(profiles, Profile, id="fresh")
    assert stored.name == "b"


def test_sync_old_shows_the_old_values_and_a_later_save_writes_what_it_shows(profiles):
    obj = Profile(id="x", name="old", visits=1)
    profiles.save(obj)
    obj.name = "new"
    profiles.save(obj, sync="old")
    assert obj.name == "old"
    assert _stored(profiles, Profile, id="x").name == "new"
    profiles.save(obj)  # the object shows "old": saving it writes what it shows
    assert _stored(profiles, Profile, id="x").name == "old"


def test_versioned_object_saved_with_sync_old_can_be_saved_again(ledgers):
    obj = Ledger(id="a", balance=1)
    ledgers.save(obj)
    obj.balance = 2
    ledgers.save(obj, sync="old")
    assert obj.balance == 1
    assert obj.version == 2
    obj.balance = 3
    ledgers.save(obj)
    stored = _stored(ledgers, Ledger, id="a")
    assert (stored.balance, stored.version) == (3, 3)


def test_versioned_sync_old_on_a_new_item(ledgers):
    obj = Ledger(id="n", balance=5)
    ledgers.save(obj, sync="old")
    assert (obj.id, obj.version) == ("n", 1)
    obj.balance = 6
    ledgers.save(obj)
    assert _stored(ledgers, Ledger, id="n").version == 2


# -- versions carried by the object ------------------------------------------------------

def test_an_object_rebuilt_with_its_version_is_saved_on_that_version(ledgers):
    ledgers.save(Ledger(id="a", balance=1))
    ledgers.save(_stored(ledgers, Ledger, id="a"))  # version 2 now
    rebuilt = Ledger(id="a", balance=10, version=2)  # e.g. from a web request
    ledgers.save(rebuilt)
    assert rebuilt.version == 3
    stored = _stored(ledgers, Ledger, id="a")
    assert (stored.balance, stored.version) == (10, 3)
    stale = Ledger(id="a", balance=99, version=2)
    with pytest.raises(ConstraintViolation):
        ledgers.save(stale)
    assert _stored(ledgers, Ledger, id="a").balance == 10


def test_an_object_rebuilt_with_its_version_is_deleted_on_that_version(ledgers):
    ledgers.save(Ledger(id="a", balance=1))
    with pytest.raises(ConstraintViolation):
        ledgers.delete(Ledger(id="a", version=7))
    ledgers.delete(Ledger(id="a", version=1))
    assert ledgers.query(Ledger).key(Ledger.id == "a").consistent.first() is None


def test_check_version_false_is_last_writer_wins(ledgers):
    ledgers.save(Ledger(id="a", balance=1))
    ledgers.save(_stored(ledgers, Ledger, id="a"))
    stale = Ledger(id="a", balance=50, version=1)
    ledgers.save(stale, check_version=False)
    stored = _stored(ledgers, Ledger, id="a")
    assert stored.balance == 50
    assert stored.version == 2 == stale.version
    ledgers.delete(Ledger(id="a", version=99), check_version=False)
    assert ledgers.query(Ledger).key(Ledger.id == "a").consistent.first() is None


# -- an object with nothing but its key ---------------------------------------------------

def test_key_only_object_with_a_condition_or_sync(profiles):
    obj = Profile(id="k")
    profiles.save(obj, condition=Profile.id.is_(None))
    with pytest.raises(ConstraintViolation):
        profiles.save(Profile(id="k"), condition=Profile.id.is_(None))
    again = Profile(id="k")
    profiles.save(again, sync="new")
    assert again.id == "k" and again.name is None
    profiles.save(Profile(id="k2"), sync="old")
    assert _stored(profiles, Profile, id="k2").id == "k2"


# -- several objects, one request each -----------------------------------------------------

def test_a_failure_names_the_object_what_was_done_and_what_was_not_sent(profiles):
    objs = _seed(profiles, 4)
    objs[2].name = "clash"
    profiles.save(Profile(id="p2", name="other"))  # objs[2]'s condition will fail
    for obj in objs:
        obj.visits = 100
    with pytest.raises(ConstraintViolation) as raised:
        profiles.save(objs, condition=Profile.name.begins_with("name"))
    error = raised.value
    assert error.obj is objs[2]
    assert error.done == objs[:2]
    assert error.not_sent == [objs[3]]
    assert "p2" in str(error) and "2 of 4" in str(error) and "1 was not sent" in str(error)
    assert _stored(profiles, Profile, id="p1").visits == 100
    assert _stored(profiles, Profile, id="p3").visits == 3

    with pytest.raises(ConstraintViolation) as raised:
        profiles.delete(objs, condition=Profile.visits == 100)
    error = raised.value
    assert error.obj is objs[2] and error.done == objs[:2] and error.not_sent == [objs[3]]

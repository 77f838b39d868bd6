"""bloop.models.model_meta is the one "is this a model?" check: every place that takes a model
class or a model object refuses the same things with its own (unchanged) error, an object of
a model where a class is wanted included."""
import pytest

from bloop import BaseModel, Column, Integer, String
from bloop.codec import dump_key, from_item, to_item
from bloop.exceptions import InvalidSearch, InvalidStream, InvalidValue
from bloop.operations import as_objects
from bloop.search import Query, Scan
from bloop.stream.records import from_lambda
from tests.unit.fakes import fake_engine


class Thing(BaseModel):
    class Meta:
        stream = {"include": ["new"]}

    id = Column(String, hash_key=True)
    n = Column(Integer)


class Base(BaseModel):
    class Meta:
        abstract = True

    id = Column(String, hash_key=True)


class NotAModel:
    class Meta:
        columns = ()
        abstract = False


RECORD = {"eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb",
          "dynamodb": {"Keys": {"id": {"S": "a"}}, "NewImage": {"id": {"S": "a"}},
                       "SequenceNumber": "1", "StreamViewType": "NEW_IMAGE"}}


@pytest.mark.parametrize("search", [Query, Scan])
@pytest.mark.parametrize("model", [Thing(id="a"), Base, NotAModel, 3])
def test_a_search_needs_a_concrete_model_class(search, model):
    with pytest.raises(InvalidSearch, match="needs a concrete model or one of its indexes"):
        search(fake_engine(), model)


@pytest.mark.parametrize("model", [Thing(id="a"), Base, NotAModel, "Thing"])
def test_stream_records_load_into_a_concrete_model_class(model):
    with pytest.raises(InvalidStream, match="records load into a concrete model"):
        from_lambda(model, RECORD)
    assert from_lambda(Thing, RECORD).new.id == "a"


@pytest.mark.parametrize("model", [Thing(id="a"), NotAModel, 3])
def test_the_codec_takes_model_classes(model):
    with pytest.raises(InvalidValue, match="is not a bloop model"):
        from_item(model, {"id": {"S": "a"}})


@pytest.mark.parametrize("obj", [NotAModel(), 3])
def test_the_codec_takes_model_objects(obj):
    for convert in (to_item, dump_key):
        with pytest.raises(InvalidValue, match="is not a bloop model"):
            convert(obj)


def test_operations_take_model_objects():
    thing = Thing(id="a")
    assert as_objects(thing) == [thing] and as_objects([thing, thing]) == [thing]
    for bad in ([Thing], [NotAModel()], [3]):
        with pytest.raises(InvalidValue, match="is not a model object"):
            as_objects(bad)
    with pytest.raises(InvalidValue, match="is abstract and has no table"):
        as_objects([object.__new__(Base)])
    with pytest.raises(InvalidValue, match="expected a model object or an iterable of them"):
        as_objects(3)

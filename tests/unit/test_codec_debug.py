"""A compiled codec a maintainer can debug: its source in tracebacks, one traceback per bad value."""
import inspect
import linecache
import traceback

import pytest

import bloop
from bloop import BaseModel, Column, Integer, InvalidValue, Map, String, Type
from bloop.codec import compile_codec


class Exploding(Type):
    """A user's type whose code fails with an error of its own."""

    backing_type = "S"

    def dynamo_dump(self, value, *, context=None):
        raise RuntimeError("dump exploded")

    def dynamo_load(self, value, *, context=None):
        raise RuntimeError("load exploded")


class Debugged(BaseModel):
    id = Column(String, hash_key=True)
    n = Column(Integer)
    m = Column(Map(a=String))
    boom = Column(Exploding)


def raised(fn, *args):
    with pytest.raises(Exception) as info:
        fn(*args)
    return info.value


def generated_frames(error):
    return [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename.startswith("<bloop codec")]


@pytest.mark.parametrize("call", [
    lambda: bloop.to_item(Debugged(id="a", boom="x")),
    lambda: bloop.to_item(Debugged(id="a", boom="x"), validate=False),
    lambda: bloop.from_item(Debugged, {"id": {"S": "a"}, "boom": {"S": "x"}}),
], ids=["to_item", "dump", "new"])
def test_a_traceback_shows_the_failing_generated_line(call):
    error = raised(call)
    assert isinstance(error, RuntimeError)
    frames = generated_frames(error)
    assert frames, "the generated function is in the traceback"
    text = "".join(traceback.format_exception(error))
    source = compile_codec(Debugged.Meta).source
    for frame in frames:
        assert frame.line, f"no source line for {frame.filename}:{frame.lineno}"
        assert frame.line in source
        assert frame.line in text
        assert "Debugged" in frame.filename and frame.name in frame.filename


def test_each_generated_function_has_its_own_file_and_source():
    codec = compile_codec(Debugged.Meta)
    names = ["to_item", "dump", "new", "into", "into_projected", "written", "dump_key"]
    files = {getattr(codec, name).__code__.co_filename for name in names}
    assert len(files) == len(names)
    for name in names:
        function = getattr(codec, name)
        assert inspect.getsource(function).startswith(f"def {name}(")
        assert linecache.getlines(function.__code__.co_filename)
        assert inspect.getsource(function) in codec.source


def test_models_of_one_name_get_distinct_files():
    def make():
        class Same(BaseModel):
            id = Column(String, hash_key=True)
        return Same
    first, second = make(), make()
    a, b = compile_codec(first.Meta).to_item, compile_codec(second.Meta).to_item
    assert a.__code__.co_filename != b.__code__.co_filename
    assert inspect.getsource(a) == inspect.getsource(b)


@pytest.mark.parametrize("call", [
    lambda: bloop.to_item(Debugged(id="a", n="1")),
    lambda: bloop.to_item(Debugged(id="a", n="1"), validate=False),
    lambda: bloop.to_item(Debugged(id="a", m={"a": 1})),
    lambda: bloop.from_item(Debugged, {"id": {"S": "a"}, "n": {"N": "1.5"}}),
    lambda: bloop.from_item(Debugged, {"id": {"S": "a"}, "m": {"M": {"a": {"N": "1"}}}}),
    lambda: bloop.from_item(Debugged, {"id": {"S": "a"}, "n": {"S": "1"}}),
    lambda: bloop.codec.dump_key(Debugged(id=5)),
], ids=["to_item", "dump", "map", "load fraction", "load map", "load wrong kind", "dump_key"])
def test_a_bad_value_gives_one_traceback_with_an_explicit_cause(call):
    error = raised(call)
    assert isinstance(error, InvalidValue)
    text = "".join(traceback.format_exception(error))
    assert "During handling of the above exception" not in text, text
    chain, seen = [], error
    while seen is not None:
        chain.append(seen)
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    # the named error, caused by the type's own error; nothing from the compiled code's attempt
    assert len(chain) <= 2, text
    assert all(link.__context__ is None or link.__suppress_context__ or link.__context__ is link.__cause__
               for link in chain)

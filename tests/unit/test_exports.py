"""The public surface: every exported name exists; the exception hierarchy is as documented."""
import importlib
import inspect

import pytest

import bloop
from bloop import exceptions

SPEC_NAMES = [
    "Engine", "BaseModel", "Column", "GlobalSecondaryIndex", "LocalSecondaryIndex",
    "String", "Number", "Integer", "Float", "Binary", "Boolean", "UUID", "DateTime", "Timestamp", "Enum", "JSON",
    "Set", "List", "Map", "DynamicList", "DynamicMap", "Type",
    "Condition", "size", "actions", "to_item", "from_item",
    "BloopException", "ConstraintViolation", "ObjectsNotFound", "InvalidSearch", "TransactionCanceled",
    "TableMismatch",
]

VALIDATION_ERRORS = {
    exceptions.InvalidModel: ValueError,
    exceptions.InvalidCondition: ValueError,
    exceptions.InvalidSearch: ValueError,
    exceptions.MissingKey: ValueError,
    exceptions.DuplicateKeys: ValueError,
    exceptions.InvalidValue: ValueError,
    exceptions.InvalidType: TypeError,
    exceptions.LimitExceeded: ValueError,
    exceptions.UnknownColumn: TypeError,
}

MODULES = ["types", "conditions", "expressions", "models", "tracking", "codec", "actions", "operations",
           "search", "tables", "lifecycle", "session", "engine", "exceptions", "limits", "capacity", "telemetry"]


def test_every_name_in_all_exists():
    for name in bloop.__all__:
        assert hasattr(bloop, name), name
    assert len(set(bloop.__all__)) == len(bloop.__all__)


def test_spec_names_are_exported():
    for name in SPEC_NAMES:
        assert name in bloop.__all__, name


def test_every_exception_is_exported():
    for name, value in vars(exceptions).items():
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == exceptions.__name__:
            assert name in bloop.__all__, name
            assert getattr(bloop, name) is value


@pytest.mark.parametrize("module", MODULES)
def test_module_all_names_exist(module):
    mod = importlib.import_module(f"bloop.{module}")
    for name in getattr(mod, "__all__", ()):
        assert hasattr(mod, name), f"bloop.{module}.{name}"


def test_every_exception_subclasses_bloop_exception():
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert issubclass(cls, bloop.BloopException), name
    assert issubclass(bloop.BloopException, Exception)


@pytest.mark.parametrize("cls, base", list(VALIDATION_ERRORS.items()))
def test_validation_errors_are_value_or_type_errors(cls, base):
    assert issubclass(cls, base)
    assert issubclass(cls, bloop.BloopException)


def test_service_errors():
    for cls in (exceptions.ConstraintViolation, exceptions.TransactionCanceled, exceptions.Throttled,
                exceptions.TableNotFound, exceptions.RequestRejected):
        assert issubclass(cls, exceptions.ServiceError)
        assert not issubclass(cls, (ValueError, TypeError))
    error = exceptions.ConstraintViolation("failed", code="ConditionalCheckFailedException", operation="PutItem")
    assert (error.code, error.operation, str(error)) == ("ConditionalCheckFailedException", "PutItem", "failed")


def test_exception_payloads():
    assert exceptions.ObjectsNotFound("m", iter([1, 2])).missing == [1, 2]
    incomplete = exceptions.BatchIncomplete("m", (x for x in "ab"), "save")
    assert (incomplete.unprocessed, incomplete.operation) == (["a", "b"], "save")
    assert exceptions.DuplicateKeys("m", [{"id": 1}]).keys == [{"id": 1}]

    class Model:
        pass

    mismatch = exceptions.TableMismatch(Model, ["a differs", "b differs"])
    assert mismatch.differences == ["a differs", "b differs"]
    assert "Model" in str(mismatch) and "a differs; b differs" in str(mismatch)


def test_actions_module():
    assert {"set", "remove", "add", "delete", "append", "prepend", "if_not_exists"} <= set(bloop.actions.__all__)


def test_version_and_typing_marker():
    assert bloop.__version__
    import pathlib
    assert (pathlib.Path(bloop.__file__).parent / "py.typed").exists()

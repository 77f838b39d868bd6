"""Shared helpers for the backend-free unit tests.

``assert_render`` checks what :class:`bloop.expressions.Renderer` makes of a
condition (or of ``render(...)`` keyword arguments) against the exact request
fragment.  ``validate_request`` checks a request dict against botocore's real
DynamoDB service model, so a misspelled or malformed parameter fails here
rather than against AWS.
"""
import functools
import pprint

import botocore.session
import botocore.validate

from botocore.stub import Stubber

from bloop import Engine, InvalidType, String, Type
from bloop.expressions import Renderer


def render(condition_or_kwargs):
    """``Renderer().render(...)`` of a condition, or of a dict of ``render`` keywords."""
    if isinstance(condition_or_kwargs, dict):
        return Renderer().render(**condition_or_kwargs)
    return Renderer().render(condition=condition_or_kwargs)


def assert_render(condition_or_kwargs, expected):
    """The request fragment rendered from ``condition_or_kwargs`` is exactly ``expected``."""
    actual = render(condition_or_kwargs)
    assert actual == expected, f"rendered:\n{pprint.pformat(actual)}\nexpected:\n{pprint.pformat(expected)}"


@functools.lru_cache(maxsize=None)
def dynamodb_client():
    """A real botocore client (never used to send anything): its service model is the reference."""
    session = botocore.session.get_session()
    return session.create_client(
        "dynamodb", region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing")


def validate_request(operation, request):
    """Validate ``request`` for ``operation`` (a client method name such as ``"update_item"``
    or an API name such as ``"UpdateItem"``) against botocore's DynamoDB service model.

    :raises botocore.exceptions.ParamValidationError: the request is malformed.
    """
    client = dynamodb_client()
    api_name = client.meta.method_to_api_mapping.get(operation, operation)
    shape = client.meta.service_model.operation_model(api_name).input_shape
    botocore.validate.validate_parameters(request, shape)
    return api_name


class Point(Type):
    """A user type (an (x, y) tuple stored as "x,y"): bloop hands its values to _dump/_load."""
    python_type = tuple
    backing_type = "S"

    def dynamo_dump(self, value, *, context=None):
        if not isinstance(value, tuple):
            raise InvalidType(f"a Point is a tuple, not {value!r}")
        return f"{value[0]},{value[1]}"

    def dynamo_load(self, value, *, context=None):
        x, y = value.split(",")
        return (int(x), int(y))


class Upper(String):
    """A subclass of a built-in type with its own conversion."""

    def dynamo_dump(self, value, *, context=None):
        return super().dynamo_dump(value, context=context).upper()


def stubbed_engine():
    """An engine on a fresh botocore client (tables named ``s-...``) and the client's
    Stubber, which checks each request against the service model."""
    client = botocore.session.get_session().create_client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    return Engine(client, table_name_template="s-{table_name}"), Stubber(client)


class Counting(Type):
    """Ints stored as strings, counting every conversion."""
    python_type = int
    backing_type = "S"

    def __init__(self):
        self.dumps = self.loads = 0

    def dynamo_dump(self, value, *, context=None):
        self.dumps += 1
        return str(value)

    def dynamo_load(self, value, *, context=None):
        self.loads += 1
        return int(value)

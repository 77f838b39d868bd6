"""Fixtures that run each integration test against every backend.

``engine`` is a fresh :class:`bloop.Engine` on the backend under test, with a
table-name prefix unique to the test, so tests share a server but never a table.
"""
import itertools
import os
import uuid

import boto3
import pytest
from moto import mock_aws

import bloop
from tests import backends

_servers = {}
_failed = {}
_counter = itertools.count()


def _server(name):
    if name in _failed:
        raise _failed[name]
    if name not in _servers:
        try:
            _servers[name] = backends.STARTERS[name]()
        except Exception as error:  # remembered so every test reports the same cause
            _failed[name] = error
            raise
    return _servers[name]


def pytest_sessionfinish(session, exitstatus):
    for server in _servers.values():
        server.stop()
    _servers.clear()


@pytest.fixture(params=backends.ALL_BACKENDS)
def backend(request):
    name = request.param
    if name not in backends.selected() and name not in backends.required():
        pytest.skip(f"backend {name} not selected (BLOOP_TEST_BACKENDS)")
    if name == "moto":
        with mock_aws():
            yield {"name": name, "endpoint_url": None}
        return
    try:
        server = _server(name)
    except Exception as error:
        if name in backends.required():
            pytest.fail(f"required backend {name} could not start: {error}", pytrace=False)
        pytest.skip(f"backend {name} unavailable: {error}")
    yield {"name": name, "endpoint_url": server.url}


@pytest.fixture
def client(backend):
    return boto3.client("dynamodb", endpoint_url=backend["endpoint_url"], region_name="us-east-1")


@pytest.fixture
def prefix():
    return f"t{next(_counter)}-{uuid.uuid4().hex[:8]}-"


@pytest.fixture
def engine(client, prefix):
    return bloop.Engine(client, table_name_template=prefix + "{table_name}")


@pytest.fixture
def backend_name(backend):
    return backend["name"]


def pytest_report_header(config):
    return [f"bloop backends: selected={','.join(backends.selected())} "
            f"required={','.join(sorted(backends.required())) or '-'} "
            f"(node: {'yes' if os.path.exists('/usr/bin/node') else 'maybe'})"]

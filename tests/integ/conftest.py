"""Fixtures that run each integration test against every backend.

``engine`` is a fresh :class:`bloop.Engine` on the backend under test, with a
table-name prefix unique to the test, so tests share a server but never a table.

A module or test marked ``@pytest.mark.engines("sync", "async")`` runs with each
engine: for ``"async"``, ``engine`` is a :class:`bloop.aio.AsyncEngine` that the same
synchronous test body drives through :class:`tests.blocking.Blocking`.  moto's
in-process mock does not intercept aiobotocore, so the async engine runs on the
moto server and dynalite only; ``engines(..., async_backends=("moto_server",))``
narrows that further (the closest marker wins).
"""
import itertools
import os
import uuid

import boto3
import pytest
from moto import mock_aws

from bloop import fastpath
from tests import backends
from tests.faults import FaultProxy
from tests.blocking import FLAVOURS, Engines

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


def pytest_configure(config):
    config.addinivalue_line("markers", "engines(*flavours, async_backends=...): run with each engine flavour: "
                                       "'sync' (bloop.Engine) and 'async' (bloop.aio.AsyncEngine, on the "
                                       "async_backends: moto_server and dynalite by default); 'sync' when unmarked")


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("engines")
    if marker is not None and "flavour" in metafunc.fixturenames:
        unknown = set(marker.args) - set(FLAVOURS)
        if unknown:
            raise ValueError(f"unknown engine flavours {sorted(unknown)}")
        metafunc.parametrize("flavour", marker.args, indirect=True)


#: where the async engine runs: moto's in-process mock does not intercept aiobotocore (its
#: stubbed responses are not awaitable)
ASYNC_BACKENDS = ("moto_server", "dynalite")


def pytest_collection_modifyitems(config, items):
    # the async engine's runs on other backends are left out, not skipped one by one
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        marker = item.get_closest_marker("engines")
        allowed = set(ASYNC_BACKENDS) & set(marker.kwargs.get("async_backends", ASYNC_BACKENDS) if marker else ())
        left_out = params.get("flavour") == "async" and "backend" in params and params["backend"] not in allowed
        (dropped if left_out else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


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


#: BLOOP_TEST_FAST_PATH=1 runs the whole suite with bloop's fast response path on every
#: DynamoDB client (tests/integ/test_fastpath.py compares both paths in any case)
FAST_PATH = os.environ.get("BLOOP_TEST_FAST_PATH", "").lower() not in ("", "0", "false", "no")


@pytest.fixture
def client(backend):
    made = boto3.client("dynamodb", endpoint_url=backend["endpoint_url"], region_name="us-east-1")
    if FAST_PATH:
        fastpath.install(made)
    return made


@pytest.fixture
def prefix():
    return f"t{next(_counter)}-{uuid.uuid4().hex[:8]}-"


@pytest.fixture
def flavour(request):
    """``"sync"`` or ``"async"``: the engine a test drives (see the ``engines`` marker)."""
    return getattr(request, "param", "sync")


@pytest.fixture
def engines(flavour, backend, client, prefix):
    if flavour == "async" and backend["name"] not in ASYNC_BACKENDS:
        pytest.skip("moto's in-process mock does not intercept aiobotocore: the async engine runs on "
                    "moto_server and dynalite")
    made = Engines(flavour, prefix, endpoint_url=backend["endpoint_url"], client=client, fast_path=FAST_PATH)
    yield made
    made.close()


@pytest.fixture
def make_engine(engines):
    """``make_engine(**options)``: another engine of the flavour under test, on the same tables."""
    return engines.make


@pytest.fixture
def engine(make_engine):
    return make_engine()


@pytest.fixture
def engine_client(engines):
    """The client the engine sends through (boto3 for the sync engine, aiobotocore for the async one)."""
    return engines.client


class Requests:
    """Counts the requests a client sends, by operation name."""

    def __init__(self, client):
        self.calls = []
        client.meta.events.register("provide-client-params.dynamodb", self._record)

    def _record(self, model, params, **kwargs):
        self.calls.append((model.name, params))

    def names(self):
        return [name for name, _ in self.calls]

    def clear(self):
        self.calls.clear()


@pytest.fixture
def requests(engine_client):
    """Counts what the engine under test sends (``requests.names()``, ``requests.calls``)."""
    return Requests(engine_client)


@pytest.fixture
def backend_name(backend):
    return backend["name"]


def pytest_report_header(config):
    return [f"bloop backends: selected={','.join(backends.selected())} "
            f"required={','.join(sorted(backends.required())) or '-'} "
            f"(node: {'yes' if os.path.exists('/usr/bin/node') else 'maybe'})"]


@pytest.fixture
def proxy(request):
    """A fault-injecting proxy (tests/faults.py) in front of the shared moto server, or of the
    backend a test names (``@pytest.mark.parametrize("proxy", ["dynalite"], indirect=True)``)."""
    name = getattr(request, "param", "moto_server")
    if name != "moto_server" and name not in backends.selected() and name not in backends.required():
        pytest.skip(f"backend {name} not selected (BLOOP_TEST_BACKENDS)")
    try:
        server = _server(name)
    except Exception as error:
        pytest.fail(f"the {name} backend is needed for the fault proxy: {error}", pytrace=False)
    proxy = FaultProxy(server.url)
    yield proxy
    proxy.stop()

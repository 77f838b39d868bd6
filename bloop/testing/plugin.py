"""bloop's pytest plugin: engines for your tests, with no server and no AWS account.

Installed with bloop (the ``pytest11`` entry point ``bloop``), so pytest loads it in
any project where bloop is installed; ``-p no:bloop`` turns it off.  Its fixtures are
all named ``bloop_*``:

``bloop_engine``
    an :class:`~bloop.Engine` on moto's in-process mock, its tables named with the
    test's own prefix; the models of ``bloop_models`` are bound.
``bloop_async_engine``
    an :class:`~bloop.aio.AsyncEngine` on the same in-process mock and tables, on a
    thread pool over a botocore client (moto does not intercept aiobotocore); use it
    in ``async def`` tests run by anyio's or pytest-asyncio's plugin.
``bloop_faults``
    a :class:`bloop.testing.Faults` attached to both engines' client: throttling,
    unprocessed batch entries and lost answers on demand.
``bloop_stream_event``
    :func:`bloop.testing.stream_event`, the builder of Lambda stream events.
``bloop_table_prefix``
    the table-name prefix unique to the test.
``bloop_models``
    the models to bind before the test (none; override it in a ``conftest.py``).
``bloop_engine_options``
    more keyword arguments for both engines (none; override it likewise).
``bloop_client``
    the boto3 DynamoDB client both engines send through.

With ``--bloop-endpoint-url=http://127.0.0.1:8000`` (or the ini option
``bloop_endpoint_url``) the fixtures use that server (DynamoDB Local, a moto server,
dynalite) instead of the in-process mock, and delete the test's tables afterwards.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import pytest

from ..aio import AsyncEngine
from ..engine import Engine
from ..session import make_client
from .events import stream_event
from .faults import Faults

_counter = itertools.count()
#: credentials and region for the in-process mock: nothing can reach AWS with them
_FAKE_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
_CLEARED = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS")


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("bloop", "bloop's fixtures (bloop_engine, bloop_async_engine, ...)")
    group.addoption("--bloop-endpoint-url", dest="bloop_endpoint_url", default=None,
                    help="run the bloop_* fixtures against this DynamoDB endpoint instead of moto in-process")
    parser.addini("bloop_endpoint_url", "the DynamoDB endpoint of the bloop_* fixtures (default: moto in-process)",
                  default="")
    parser.addini("bloop_region", "the region of the bloop_* fixtures' clients", default="us-east-1")


@pytest.fixture
def bloop_table_prefix() -> str:
    """A table-name prefix unique to this test (``"test-3-1f2e3d4c-"``)."""
    return f"test-{next(_counter)}-{uuid.uuid4().hex[:8]}-"


@pytest.fixture
def bloop_models() -> Any:
    """The models ``bloop_engine`` and ``bloop_async_engine`` bind before the test: none.
    Override it in your ``conftest.py`` (``return [User, Order]``)."""
    return ()


@pytest.fixture
def bloop_engine_options() -> Any:
    """More keyword arguments for both engines (none); override it, in a ``conftest.py``
    or a test module (``return {"batch_deadline": 0.5}``)."""
    return {}


@pytest.fixture
def bloop_client(request: Any, monkeypatch: Any, bloop_table_prefix: str) -> Iterator[Any]:
    """The boto3 DynamoDB client of the fixtures' engines: on moto's in-process mock (fake
    credentials, no AWS reachable), or on ``--bloop-endpoint-url``."""
    config = request.config
    endpoint = config.getoption("bloop_endpoint_url") or config.getini("bloop_endpoint_url") or None
    region = config.getini("bloop_region") or "us-east-1"
    if endpoint is not None:
        if not os.environ.get("AWS_ACCESS_KEY_ID") and not os.environ.get("AWS_PROFILE"):
            for name, value in _FAKE_ENV.items():  # a local server takes any credentials
                monkeypatch.setenv(name, value)
        client = make_client("dynamodb", endpoint_url=endpoint, region_name=region)
        yield client
        _delete_tables(client, bloop_table_prefix)
        return
    try:
        from moto import mock_aws
    except ImportError as error:  # pragma: no cover - moto is in bloop's testing extra
        raise pytest.UsageError("bloop's fixtures run on moto's in-process mock: pip install 'bloop[testing]' "
                                f"(or give --bloop-endpoint-url): {error}") from error
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in _FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield make_client("dynamodb", region_name=region)


def _delete_tables(client: Any, prefix: str) -> None:
    for page in client.get_paginator("list_tables").paginate():
        for name in page.get("TableNames", ()):
            if name.startswith(prefix):
                client.delete_table(TableName=name)


@pytest.fixture
def bloop_engine(bloop_client: Any, bloop_table_prefix: str, bloop_models: Any, bloop_engine_options: Any) -> Engine:
    """An :class:`~bloop.Engine` on the test's own tables (``bloop_table_prefix``), the
    models of ``bloop_models`` bound."""
    engine = Engine(bloop_client, **{"table_name_template": bloop_table_prefix + "{table_name}",
                                     **bloop_engine_options})
    for model in bloop_models:
        engine.bind(model)
    return engine


@pytest.fixture
def bloop_async_engine(bloop_client: Any, bloop_table_prefix: str, bloop_models: Any,
                       bloop_engine_options: Any) -> Iterator[AsyncEngine]:
    """An :class:`~bloop.aio.AsyncEngine` on the same client and tables as ``bloop_engine``,
    in-process: it runs botocore on a thread pool (see ``AsyncEngine(threads=True)``), so
    it serves any event loop, the test's own included."""
    engine = AsyncEngine(bloop_client, **{"table_name_template": bloop_table_prefix + "{table_name}",
                                          "threads": True, **bloop_engine_options})
    if bloop_models:
        # on a thread of its own, so that it works wherever the fixture is set up, an
        # event loop running there or not
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _bind(engine, bloop_models)).result()
    yield engine
    engine.session.shutdown()


async def _bind(engine: AsyncEngine, models: Any) -> None:
    for model in models:
        await engine.bind(model)


@pytest.fixture
def bloop_faults(bloop_client: Any) -> Iterator[Faults]:
    """Faults for the fixtures' engines (see :class:`bloop.testing.Faults`):
    ``bloop_faults.throttle()``, ``.unprocessed()``, ``.lose_answers()``."""
    faults = Faults()
    faults.attach(bloop_client)
    yield faults
    faults.detach()


@pytest.fixture
def bloop_stream_event() -> Any:
    """:func:`bloop.testing.stream_event`: a Lambda DynamoDB-stream event from model objects."""
    return stream_event

import os

# Tests never reach AWS: fake credentials and a fixed region for every client.
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
# Clients bloop makes itself skip botocore's parameter validation (bloop checks its own
# requests); the suite keeps it on, so a malformed request still fails here.
os.environ["BLOOP_VALIDATE_REQUESTS"] = "1"


# ---------------------------------------------------------------------------------------
# optional extras (setup.py): make test and tox install them all.  Where one is missing, a
# test that needs it skips, saying which extra to install; in CI (``CI`` set, as CI services
# set it) a missing extra stops the run instead: CI tests everything.

import importlib  # noqa: E402

import pytest  # noqa: E402

#: extra -> the module it installs
EXTRAS = {"aio": "aiobotocore", "fast": "orjson"}
_missing = {}


def pytest_sessionstart(session):
    for extra, module in EXTRAS.items():
        try:
            importlib.import_module(module)
        except ImportError as error:
            _missing[module] = extra, error
    if _missing and os.environ.get("CI"):
        pytest.exit("optional extras missing in CI: " + ", ".join(
            f"{extra} ({module}: {error})" for module, (extra, error) in _missing.items())
            + "; install them: pip install -e '.[test,docs,aio,fast]'", returncode=4)


def _needs_missing(error):
    """The missing module an ImportError (or one it was raised from) is about, or None."""
    while error is not None:
        if isinstance(error, ImportError):
            for module in _missing:
                if (error.name or "").split(".")[0] == module or module in str(error):
                    return module
        error = error.__cause__ or error.__context__
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if _missing and report.failed and call.excinfo is not None:
        module = _needs_missing(call.excinfo.value)
        if module is not None:
            extra = _missing[module][0]
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0,
                               f"Skipped: needs the {extra} extra ({module} is not installed): "
                               f"pip install -e '.[{extra}]'")


@pytest.fixture
def needs_extra():
    """``needs_extra("fast")``: skip this test, saying why, when that extra is not installed."""
    def need(extra):
        module = EXTRAS[extra]
        if module in _missing:
            pytest.skip(f"needs the {extra} extra ({module} is not installed): pip install -e '.[{extra}]'")
        return importlib.import_module(module)
    return need

import re

from setuptools import find_packages, setup

with open("bloop/_version.py", encoding="utf-8") as f:
    version = re.search(r'^__version__ = "([^"]+)"$', f.read(), re.M).group(1)

with open("README.md", encoding="utf-8") as f:
    long_description = f.read()

setup(
    name="bloop",
    version=version,
    description="A Python object mapper for Amazon DynamoDB",
    long_description=long_description,
    long_description_content_type="text/markdown",
    packages=find_packages(include=["bloop", "bloop.*"]),
    package_data={"bloop": ["py.typed"]},
    python_requires=">=3.9",
    install_requires=["blinker>=1.6", "boto3>=1.28", "botocore>=1.31"],
    extras_require={
        "test": ["moto[server]>=5.0", "pytest>=7", "flake8>=6", "hypothesis>=6", "mypy>=1.8",
                 # the example service (examples/) and the OpenTelemetry tests' in-memory exporter
                 "fastapi>=0.100", "httpx>=0.24", "opentelemetry-sdk>=1.20",
                 # botocore's own spans, to test that bloop's spans hold them
                 "opentelemetry-instrumentation-botocore>=0.40b0"],
        "docs": ["sphinx>=7", "furo>=2024.1"],
        # the async engine (bloop.aio); aiobotocore pins the botocore it works with
        "aio": ["aiobotocore>=2.5"],
        # the fast path reads DynamoDB's JSON with orjson (bloop falls back to json without it)
        "fast": ["orjson>=3.9"],
        # pydantic models generated from bloop models (bloop.pydantic)
        "pydantic": ["pydantic>=2.4"],
        # one span per bloop operation (bloop.telemetry)
        "otel": ["opentelemetry-api>=1.20"],
        # the command line's progress bars (bloop.cli)
        "cli": ["tqdm>=4.60"],
        # backfills and exports across machines on Dask's distributed scheduler
        "dask": ["dask[distributed]>=2024.1"],
        # what the pytest plugin's fixtures (bloop.testing.plugin) run on
        "testing": ["moto>=5.0", "pytest>=7"],
    },
    entry_points={
        # the command line (bloop/cli.py)
        "console_scripts": ["bloop = bloop.cli:run"],
        # the pytest plugin: bloop_engine, bloop_async_engine, bloop_faults, ... (-p no:bloop turns it off)
        "pytest11": ["bloop = bloop.testing.plugin"],
    },
    license="MIT",
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Database",
        "Intended Audience :: Developers",
    ],
)

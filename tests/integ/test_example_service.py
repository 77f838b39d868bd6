"""examples/fastapi_service.py through FastAPI's TestClient, on moto in-process."""
import importlib.util
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from moto import mock_aws

from bloop import Engine

PATH = Path(__file__).resolve().parents[2] / "examples" / "fastapi_service.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("fastapi_service_example", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the schemas' names through it
    spec.loader.exec_module(module)
    return module


service = _load_example()


@pytest.fixture(scope="module")
def client():
    with mock_aws():
        engine = Engine(region_name="us-east-1", token_secret=b"a secret of the service")
        engine.bind(service.Task)
        yield TestClient(service.create_app(engine))


def test_create_and_read(client):
    made = client.post("/owners/ann/tasks", json={"title": "docs", "priority": "high", "tags": ["b", "a"],
                                                  "due": "2030-01-02T03:04:05+01:00"})
    assert made.status_code == 201, made.text
    task = made.json()
    assert task["owner"] == "ann" and task["title"] == "docs" and task["priority"] == "high"
    assert task["version"] == 1 and task["done"] is False
    assert sorted(task["tags"]) == ["a", "b"]
    assert task["due"] == "2030-01-02T02:04:05.000000+00:00"
    read = client.get(f"/owners/ann/tasks/{task['task_id']}")
    assert read.status_code == 200 and read.json() == task
    assert client.get("/owners/ann/tasks/nope").status_code == 404


def test_the_schemas_are_the_models_columns(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["TaskIn"]["properties"]) == {"title", "done", "priority", "tags", "due"}
    assert schemas["TaskIn"]["additionalProperties"] is False
    assert set(schemas["Task"]["required"]) == {"owner", "task_id"}


def test_bad_requests_name_the_field(client):
    bad = client.post("/owners/ann/tasks", json={"title": "x", "priority": "urgent", "due": "2030-01-01T00:00:00"})
    assert bad.status_code == 422
    locations = {tuple(error["loc"]) for error in bad.json()["detail"]}
    assert locations == {("body", "priority"), ("body", "due")}
    unknown = client.post("/owners/ann/tasks", json={"title": "x", "owner": "bob"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "owner"]


def test_update_with_optimistic_locking(client):
    task = client.post("/owners/cy/tasks", json={"title": "t"}).json()
    url = f"/owners/cy/tasks/{task['task_id']}"
    assert client.patch(url, json={"done": True}).status_code == 422  # no version
    first = client.patch(url, json={"done": True, "version": 1})
    assert first.status_code == 200, first.text
    assert first.json()["done"] is True and first.json()["version"] == 2 and first.json()["title"] == "t"
    stale = client.patch(url, json={"title": "lost", "version": 1})
    assert stale.status_code == 409
    assert client.get(url).json()["title"] == "t"
    assert client.patch("/owners/cy/tasks/nope", json={"version": 1}).status_code == 404


def test_list_by_pages_every_task_once(client):
    made = {client.post("/owners/dee/tasks", json={"title": f"t{i}"}).json()["task_id"] for i in range(7)}
    seen, token, pages = [], None, 0
    while True:
        params = {"size": 3} if token is None else {"size": 3, "token": token}
        page = client.get("/owners/dee/tasks", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 3
        seen += [item["task_id"] for item in body["items"]]
        pages += 1
        token = body["token"]
        if token is None:
            break
    assert sorted(seen) == sorted(made) and pages == 3
    assert client.get("/owners/dee/tasks", params={"token": "forged"}).status_code == 400
    # a token is bound to its search: another owner's list refuses it
    first = client.get("/owners/dee/tasks", params={"size": 3}).json()["token"]
    assert client.get("/owners/ann/tasks", params={"size": 3, "token": first}).status_code == 400
    assert client.get("/owners/dee/tasks", params={"size": 0}).status_code == 422

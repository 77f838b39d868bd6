"""A FastAPI service on bloop: create, read, update with optimistic locking, list by pages.

Each owner has tasks.  The request and response schemas are pydantic models generated from
the bloop model (:mod:`bloop.pydantic`), so the model is declared once::

    POST  /owners/{owner}/tasks              create (201): {"title": ..., "due": ..., ...}
    GET   /owners/{owner}/tasks/{task_id}    read (404 if there is none)
    PATCH /owners/{owner}/tasks/{task_id}    update the fields given; "version" is required and
                                             must be the one read (409 if another writer won)
    GET   /owners/{owner}/tasks?size=10&token=...   a page of tasks and the next page's token
                                             (null at the end; search.page, signed tokens)

Serve it with any ASGI server (``create_app(Engine())``), or run this file: it binds the
table on moto in-process and drives the service through FastAPI's TestClient::

    python examples/fastapi_service.py
"""
import datetime
import enum
import os
import uuid
from typing import Any, List, Optional

import pydantic
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from bloop import (
    BaseModel, Boolean, Column, ConstraintViolation, DateTime, Engine, Enum, Integer, InvalidSearch, InvalidValue,
    ObjectsNotFound, Set, String,
)
from bloop.pydantic import from_pydantic, model_for, to_pydantic


class Priority(enum.Enum):
    low = 1
    normal = 2
    high = 3


class Task(BaseModel):
    class Meta:
        table_name = "tasks"

    owner = Column(String, hash_key=True)
    task_id = Column(String, range_key=True)
    title = Column(String)
    done = Column(Boolean, default=False)
    priority = Column(Enum(Priority), default=Priority.normal)
    tags = Column(Set(String))
    due = Column(DateTime)
    created = Column(DateTime)
    version = Column(Integer, version=True)


#: what a client sends to create a task, and what it may change
EDITABLE = ["title", "done", "priority", "tags", "due"]
TaskOut = model_for(Task, name="Task")
TaskIn = model_for(Task, include=EDITABLE, name="TaskIn")
TaskPatch = model_for(Task, include=EDITABLE + ["version"], name="TaskPatch")


class TaskPage(pydantic.BaseModel):
    items: List[TaskOut]  # type: ignore[valid-type]
    #: the token of the next page, or None at the end
    token: Optional[str]


def create_app(engine: Engine) -> FastAPI:
    """The service, on an engine that ``Task`` is bound with (``engine.bind(Task)``).  Give the
    engine a ``token_secret`` so clients cannot forge a page token (see docs/searches.rst)."""
    app = FastAPI(title="tasks")

    @app.exception_handler(InvalidValue)
    async def invalid(request: Request, error: InvalidValue) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=422)

    def loaded(owner: str, task_id: str) -> Task:
        task = Task(owner=owner, task_id=task_id)
        try:
            engine.load(task, consistent=True)
        except ObjectsNotFound:
            raise HTTPException(404, f"no task {task_id!r} of {owner!r}") from None
        return task

    @app.post("/owners/{owner}/tasks", status_code=201, response_model=TaskOut, response_model_exclude_none=True)
    def create(owner: str, body: TaskIn) -> Any:  # type: ignore[valid-type]
        task = from_pydantic(Task, body)
        task.owner, task.task_id = owner, uuid.uuid4().hex
        task.created = datetime.datetime.now(datetime.timezone.utc)
        engine.save(task)
        return to_pydantic(task)

    @app.get("/owners/{owner}/tasks/{task_id}", response_model=TaskOut, response_model_exclude_none=True)
    def read(owner: str, task_id: str) -> Any:
        return to_pydantic(loaded(owner, task_id))

    @app.patch("/owners/{owner}/tasks/{task_id}", response_model=TaskOut, response_model_exclude_none=True)
    def update(owner: str, task_id: str, body: TaskPatch) -> Any:  # type: ignore[valid-type]
        if body.version is None:
            raise HTTPException(422, "version is required: send the version you read")
        task = loaded(owner, task_id)
        if task.version != body.version:
            raise HTTPException(409, f"task {task_id!r} is at version {task.version}, not {body.version}: "
                                     "read it again")
        for name in body.model_fields_set - {"version"}:
            setattr(task, name, getattr(body, name))
        try:
            engine.save(task)  # on condition that DynamoDB still holds the version read
        except ConstraintViolation:
            raise HTTPException(409, f"task {task_id!r} was changed by another writer: read it again") from None
        return to_pydantic(task)

    @app.get("/owners/{owner}/tasks", response_model=TaskPage)
    def listing(owner: str, size: int = Query(10, ge=1, le=100), token: Optional[str] = None) -> Any:
        search = engine.query(Task, key=Task.owner == owner)
        try:
            page = search.page(size, token=token)  # the token is bound to this search (and owner)
        except InvalidSearch as error:
            raise HTTPException(400, f"bad page token: {error}") from None
        return TaskPage(items=[to_pydantic(task) for task in page.items], token=page.token)

    return app


def main() -> None:  # pragma: no cover - a demonstration; tests/integ/test_example_service.py tests the service
    from fastapi.testclient import TestClient
    from moto import mock_aws

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        engine = Engine(token_secret=os.urandom(32))
        engine.bind(Task)
        client = TestClient(create_app(engine))
        made = client.post("/owners/ann/tasks", json={"title": "write docs", "priority": "high"}).json()
        print("created", made)
        changed = client.patch(f"/owners/ann/tasks/{made['task_id']}", json={"done": True, "version": 1})
        print("updated", changed.json())
        stale = client.patch(f"/owners/ann/tasks/{made['task_id']}", json={"done": False, "version": 1})
        print("stale update:", stale.status_code, stale.json()["detail"])
        print("page", client.get("/owners/ann/tasks", params={"size": 5}).json())


if __name__ == "__main__":
    main()

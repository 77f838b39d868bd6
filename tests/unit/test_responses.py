"""Answers that are not DynamoDB's, the engines' transport options, and the collector
around I/O (issue 11, sections 2, 5 and 8), without a backend.

The response check runs in botocore's real pipeline: answers are served by a
``before-send`` handler (as moto does), so signing, retries and parsing are botocore's.
"""
import asyncio
import gc
import json
import zlib

import boto3
import botocore.awsrequest
import botocore.session
import pytest
from botocore.config import Config

from bloop import BadResponse, Engine, InvalidConfiguration, InvalidType, ServiceError, fastpath
from bloop import aio, operations
from bloop.operations import Call, Sleep
from bloop.session import (
    ALWAYS_ANSWERED, NotDynamoDBResponse, Session, body_problem, install_checks, response_problem,
)

# ---------------------------------------------------------------------------------------
# the decision: is this parsed answer DynamoDB's?

QUERY = {"Items": [{"id": {"S": "a"}}], "Count": 1, "ScannedCount": 2}


@pytest.mark.parametrize("operation, response, request_, problem", [
    ("Query", QUERY, None, None),
    ("Query", {"Items": [], "Count": 0, "ScannedCount": 0}, None, None),
    ("Query", {"Count": 1, "ScannedCount": 1}, None, "lacks Items"),
    ("Query", {"Count": 1, "ScannedCount": 1}, {"Select": "COUNT"}, None),
    ("Query", {"Count": 1, "ScannedCount": 1}, {"Select": "ALL_ATTRIBUTES"}, "lacks Items"),
    ("Query", {"Items": [], "Count": 3, "ScannedCount": 3}, None, "holds 0 items but counts 3"),
    ("Query", {"Items": []}, None, "lacks Count, ScannedCount"),
    ("Query", {}, None, "lacks Items, Count, ScannedCount"),
    ("Scan", dict(QUERY, LastEvaluatedKey={"id": {"S": "a"}}), None, None),
    ("Scan", {"Items": [], "ScannedCount": 0}, None, "lacks Count"),
    ("Scan", {"Count": 7, "ScannedCount": 9}, {"Select": "COUNT"}, None),
    ("GetItem", {}, None, None),  # no such item
    ("GetItem", {"Item": {"id": {"S": "a"}}}, None, None),
    ("PutItem", {}, None, None),
    ("DeleteItem", {}, {"ReturnValues": "ALL_OLD"}, None),  # there was no item
    ("UpdateItem", {}, None, None),
    ("UpdateItem", {}, {"ReturnValues": "ALL_OLD"}, None),  # the update created the item
    ("UpdateItem", {}, {"ReturnValues": "ALL_NEW"}, "lacks Attributes"),
    ("UpdateItem", {"Attributes": {"id": {"S": "a"}}}, {"ReturnValues": "ALL_NEW"}, None),
    ("TransactWriteItems", {}, None, None),
    ("BatchGetItem", {"Responses": {"t": []}, "UnprocessedKeys": {}}, None, None),
    ("BatchGetItem", {"UnprocessedKeys": {}}, None, "lacks Responses"),
    ("BatchGetItem", {"Responses": {}}, None, "lacks UnprocessedKeys"),
    ("BatchWriteItem", {"UnprocessedItems": {}}, None, None),
    ("BatchWriteItem", {}, None, "lacks UnprocessedItems"),
    ("BatchWriteItem", {"ConsumedCapacity": []}, None, "lacks UnprocessedItems"),
    ("TransactGetItems", {"Responses": [{}, {"Item": {}}]}, {"TransactItems": [{}, {}]}, None),
    ("TransactGetItems", {"Responses": [{}]}, {"TransactItems": [{}, {}]}, "holds 1 items for the 2 asked for"),
    ("TransactGetItems", {}, None, "lacks Responses"),
    ("DescribeTable", {"Table": {}}, None, None),
    ("DescribeTable", {}, None, "lacks Table"),
    ("CreateTable", {}, None, "lacks TableDescription"),
    ("DescribeTimeToLive", {}, None, "lacks TimeToLiveDescription"),
    ("UpdateTimeToLive", {}, None, "lacks TimeToLiveSpecification"),
    ("DescribeContinuousBackups", {}, None, "lacks ContinuousBackupsDescription"),
    ("UpdateContinuousBackups", {}, None, "lacks ContinuousBackupsDescription"),
    ("DescribeStream", {}, None, "lacks StreamDescription"),
    ("GetShardIterator", {}, None, "lacks ShardIterator"),
    ("GetRecords", {"NextShardIterator": "x"}, None, "lacks Records"),
    ("GetRecords", {"Records": []}, None, None),  # a closed shard has no next iterator
    ("Query", ["not", "a", "dict"], None, "a list, not a JSON object"),
])
def test_response_problem_per_operation(operation, response, request_, problem):
    found = response_problem(operation, response, request_)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize("service", ["dynamodb", "dynamodbstreams"])
def test_what_is_always_answered_is_in_botocore_s_output_shapes(service):
    model = botocore.session.get_session().get_service_model(service)
    checked = [op for op in ALWAYS_ANSWERED if op in model.operation_names]
    assert checked
    for operation in checked:
        members = model.operation_model(operation).output_shape.members
        assert set(ALWAYS_ANSWERED[operation]) <= set(members), operation
    for name in ("Items", "Count", "ScannedCount"):
        assert name in botocore.session.get_session().get_service_model("dynamodb") \
            .operation_model("Query").output_shape.members


@pytest.mark.parametrize("body, problem", [
    (b"{}", None),
    (b' {"Items": []}\n', None),
    (b"", "empty"),
    (b"   ", "empty"),
    (b'{"Items": [{"id": {"S"', "not JSON"),
    (b"<html><body>Sign in</body></html>", "not JSON"),
    (b'{"a": "\xff\xfe"}', "not JSON"),
    (b'{"a": 1}garbage', "not JSON"),
    (b"[1, 2]", "a JSON list"),
    (b"null", "a JSON NoneType"),
    (None, "no body"),
])
def test_body_problem(body, problem):
    found = body_problem(body)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


# ---------------------------------------------------------------------------------------
# the check in botocore's pipeline: retried like a 5xx, then raised

class Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, *args, **kwargs):
        yield self.body


class Server:
    """Answers a client's requests with the given bodies in turn (the last one again and
    again), with DynamoDB's headers; records how many requests were sent."""

    def __init__(self, client, *bodies, content_type="application/x-amz-json-1.0"):
        self.bodies = [b if isinstance(b, bytes) else json.dumps(b).encode() for b in bodies]
        self.content_type = content_type
        self.requests = 0
        client.meta.events.register("before-send.dynamodb", self.send)

    def send(self, request, **kwargs):
        body = self.bodies[min(self.requests, len(self.bodies) - 1)]
        self.requests += 1
        headers = {"x-amzn-requestid": "r", "x-amz-crc32": str(zlib.crc32(body) & 0xFFFFFFFF),
                   "content-type": self.content_type}
        return botocore.awsrequest.AWSResponse(request.url, 200, headers, Raw(body))


def new_client(fast=False, attempts=3, checks=True, requests=False):
    config = Config(retries={"mode": "standard", "total_max_attempts": attempts}, parameter_validation=not requests)
    client = boto3.session.Session().client("dynamodb", region_name="us-east-1",
                                            endpoint_url="http://localhost:1", config=config)
    if fast:
        fastpath.install(client, requests=requests)
    if checks:
        install_checks(client)
    return client


QUERY_PARAMS = {"TableName": "t", "KeyConditionExpression": "#n = :v", "ExpressionAttributeNames": {"#n": "id"},
                "ExpressionAttributeValues": {":v": {"S": "a"}}}
GOOD_QUERY = json.dumps(QUERY).encode()
BAD_BODIES = {
    "truncated": GOOD_QUERY[:len(GOOD_QUERY) // 2],
    "garbled": GOOD_QUERY[:10] + b"\x00\xff#garbled#" + GOOD_QUERY[21:],
    "html": b"<html><body><h1>Please sign in</h1></body></html>",
    "not utf-8": b'{"Items": [], "Count": 0, "ScannedCount": 0, "x": "\xff"}',
    "a JSON list": b"[1, 2, 3]",
    "empty": b"",
    "missing": b'{"Count": 1, "ScannedCount": 1}',
}


def answer(response):
    response = dict(response)
    response.pop("ResponseMetadata", None)
    return response


@pytest.mark.parametrize("fast", [False, True], ids=["botocore", "fast"])
@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
def test_an_answer_that_is_not_dynamodbs_is_retried(kind, fast):
    client = new_client(fast)
    server = Server(client, BAD_BODIES[kind], GOOD_QUERY)
    response = client.query(**QUERY_PARAMS)
    assert answer(response) == QUERY and server.requests == 2
    assert response["ResponseMetadata"]["RetryAttempts"] == 1


@pytest.mark.parametrize("fast", [False, True], ids=["botocore", "fast"])
@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
def test_an_answer_that_is_never_dynamodbs_is_raised_after_the_last_attempt(kind, fast):
    client = new_client(fast, attempts=3)
    server = Server(client, BAD_BODIES[kind])
    with pytest.raises(NotDynamoDBResponse) as excinfo:
        client.query(**QUERY_PARAMS)
    assert server.requests == 3
    assert isinstance(excinfo.value, botocore.exceptions.BotoCoreError)  # for code that calls the client itself
    with pytest.raises(BadResponse) as excinfo:
        Session(client).call("query", QUERY_PARAMS)
    error = excinfo.value
    assert isinstance(error, ServiceError) and error.operation == "Query" and error.code == "BadResponse"
    assert str(error).startswith("Query on table 't': ") and "nothing was read" in str(error)
    assert isinstance(error.__cause__, NotDynamoDBResponse)


def test_without_the_check_botocore_reads_such_answers_as_empty_successes():
    """What the check is for: botocore's parser reads an undecodable body as ``{}``."""
    client = new_client(checks=False)
    Server(client, BAD_BODIES["html"])
    assert answer(client.query(**QUERY_PARAMS)) == {}


@pytest.mark.parametrize("fast", [False, True], ids=["botocore", "fast"])
def test_dynamodbs_empty_answers_are_accepted_at_once(fast):
    client = new_client(fast)
    server = Server(client, b"{}")
    assert answer(client.put_item(TableName="t", Item={"id": {"S": "a"}})) == {}
    assert answer(client.get_item(TableName="t", Key={"id": {"S": "a"}})) == {}
    assert answer(client.update_item(TableName="t", Key={"id": {"S": "a"}}, ReturnValues="ALL_OLD")) == {}
    assert server.requests == 3  # never retried


@pytest.mark.parametrize("fast_requests", [False, True], ids=["botocore", "fast"])
def test_what_depends_on_the_request_is_read_from_it(fast_requests):
    # (the fast path's request encoding leaves botocore a request without these parameters)
    client = new_client(fast=fast_requests, requests=fast_requests, attempts=2)
    counted = {"Count": 3, "ScannedCount": 4}
    server = Server(client, counted)
    assert answer(client.query(Select="COUNT", **QUERY_PARAMS)) == counted and server.requests == 1
    with pytest.raises(NotDynamoDBResponse, match="lacks Items"):
        client.query(**QUERY_PARAMS)
    other = new_client(fast=fast_requests, requests=fast_requests, attempts=1)
    Server(other, {})
    with pytest.raises(NotDynamoDBResponse, match="lacks Attributes"):
        other.update_item(TableName="t", Key={"id": {"S": "a"}}, ReturnValues="ALL_NEW")
    other = new_client(fast=fast_requests, requests=fast_requests, attempts=1)
    Server(other, {"Responses": [{}]})
    with pytest.raises(NotDynamoDBResponse, match="holds 1 items for the 2"):
        other.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": {"id": {"S": k}}}} for k in "ab"])


def test_a_write_whose_answer_is_bad_may_have_been_applied():
    client = new_client(attempts=2)
    Server(client, b"<html></html>", content_type="text/html")
    with pytest.raises(BadResponse, match="may or may not have been applied") as excinfo:
        Session(client).call("update_item", {"TableName": "t", "Key": {"id": {"S": "a"}}})
    assert excinfo.value.operation == "UpdateItem"


def test_errors_are_left_to_botocore():
    client = new_client(attempts=2)
    sent = []

    def send(request, **kwargs):
        sent.append(request)
        body = b'{"__type": "com.amazonaws.dynamodb.v20120810#ValidationException", "message": "no"}'
        return botocore.awsrequest.AWSResponse(request.url, 400, {"x-amzn-requestid": "r"}, Raw(body))

    client.meta.events.register("before-send.dynamodb", send)
    with pytest.raises(botocore.exceptions.ClientError):
        client.query(**QUERY_PARAMS)
    assert len(sent) == 1


@pytest.mark.parametrize("retries, attempts", [
    ({"mode": "standard", "total_max_attempts": 4}, 4),
    ({"mode": "standard", "max_attempts": 1}, 2),  # botocore's max_attempts counts retries
    ({"mode": "standard"}, 3),
    ({"mode": "legacy", "total_max_attempts": 2}, 2),
])
def test_the_check_keeps_to_the_client_s_attempts(retries, attempts, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    client = boto3.session.Session().client("dynamodb", region_name="us-east-1", endpoint_url="http://localhost:1",
                                            config=Config(retries=retries))
    install_checks(client)
    install_checks(client)  # idempotent
    server = Server(client, b"<html>")
    with pytest.raises(NotDynamoDBResponse):
        client.query(**QUERY_PARAMS)
    assert server.requests == attempts


def test_engines_check_every_client_they_send_through():
    injected = new_client(checks=False)
    server = Server(injected, BAD_BODIES["truncated"], GOOD_QUERY)
    engine = Engine(injected)
    assert answer(engine.session.call("query", QUERY_PARAMS)) == QUERY and server.requests == 2
    made = Engine(endpoint_url="http://localhost:1", region_name="us-east-1", max_attempts=2)
    server = Server(made.session.dynamodb, BAD_BODIES["html"])
    with pytest.raises(BadResponse):
        made.session.call("query", QUERY_PARAMS)
    assert server.requests == 2


# ---------------------------------------------------------------------------------------
# section 5: timeouts and attempts are engine options

def test_made_clients_take_the_engine_s_timeouts_and_attempts():
    engine = Engine(endpoint_url="http://localhost:1", region_name="us-east-1",
                    connect_timeout=2, read_timeout=3.5, max_attempts=2)
    for client in (engine.session.dynamodb, engine.session.dynamodbstreams):
        config = client.meta.config
        assert (config.connect_timeout, config.read_timeout) == (2, 3.5)
        assert config.retries["total_max_attempts"] == 2 and config.retries["mode"] == "standard"
    default = Engine(endpoint_url="http://localhost:1", region_name="us-east-1").session.dynamodb.meta.config
    assert (default.connect_timeout, default.read_timeout, default.retries["total_max_attempts"]) == (60, 60, 5)


def test_a_streams_client_made_next_to_an_injected_one_takes_its_settings():
    injected = boto3.client("dynamodb", region_name="us-east-1", endpoint_url="http://localhost:1",
                            config=Config(read_timeout=7, retries={"mode": "standard", "total_max_attempts": 3}))
    config = Engine(injected).session.dynamodbstreams.meta.config
    assert config.read_timeout == 7 and config.retries["total_max_attempts"] == 3


@pytest.mark.parametrize("option", [{"connect_timeout": 1}, {"read_timeout": 2.5}, {"max_attempts": 3}])
def test_transport_options_with_an_injected_client_are_refused(option):
    (name, value), = option.items()
    for make in (lambda: Engine(new_client(), **option), lambda: aio.AsyncEngine(new_client(), **option),
                 lambda: Engine(dynamodbstreams=new_client(), endpoint_url="http://localhost:1",
                                region_name="us-east-1", **option)):
        with pytest.raises(InvalidConfiguration) as excinfo:
            make()
        message = str(excinfo.value)
        assert f"{name}={value!r}" in message and "configure that client" in message and "Config(" in message


@pytest.mark.parametrize("option, error", [
    ({"connect_timeout": 0}, InvalidConfiguration),
    ({"read_timeout": -1}, InvalidConfiguration),
    ({"read_timeout": "5"}, InvalidType),
    ({"connect_timeout": True}, InvalidType),
    ({"max_attempts": 0}, InvalidConfiguration),
    ({"max_attempts": 2.0}, InvalidType),
])
def test_transport_options_are_checked(option, error):
    for make in (Engine, aio.AsyncEngine):
        with pytest.raises(error) as excinfo:
            make(endpoint_url="http://localhost:1", region_name="us-east-1", **option)
        assert next(iter(option)) in str(excinfo.value)
        assert isinstance(excinfo.value, ValueError)


def test_the_async_engine_makes_its_clients_with_them():
    pytest.importorskip("aiobotocore")

    async def made():
        engine = aio.AsyncEngine(endpoint_url="http://localhost:1", region_name="us-east-1",
                                 connect_timeout=2, read_timeout=3.5, max_attempts=2)
        async with engine:
            clients = [await engine.session.client("dynamodb"), await engine.session.client("dynamodbstreams")]
            return [(c.meta.config.connect_timeout, c.meta.config.read_timeout,
                     c.meta.config.retries["total_max_attempts"]) for c in clients]

    assert asyncio.run(made()) == [(2, 3.5, 2), (2, 3.5, 2)]


# ---------------------------------------------------------------------------------------
# section 8: the collector is paused only while responses become objects

def recording_op(states):
    def op():
        states.append(("start", gc.isenabled()))
        outcomes = yield [Call("get_item", {}), Call("get_item", {})]
        states.append(("objects", gc.isenabled()))
        yield Sleep(0.0)
        outcomes += yield [Call("get_item", {})]
        states.append(("objects", gc.isenabled()))
        return outcomes
    return op()


def test_the_sync_driver_runs_the_collector_during_sends_and_sleeps():
    states = []

    def send(calls):
        states.append(("send", gc.isenabled()))
        return [{} for _ in calls]

    operations.drive(recording_op(states), send, lambda seconds: states.append(("sleep", gc.isenabled())))
    assert states == [("start", False), ("send", True), ("objects", False), ("sleep", True), ("send", True),
                      ("objects", False)]
    assert gc.isenabled()


def test_the_async_driver_does_the_same():
    states = []

    async def send(calls):
        states.append(("send", gc.isenabled()))
        return [{} for _ in calls]

    async def sleep(seconds):
        states.append(("sleep", gc.isenabled()))

    asyncio.run(aio.drive(recording_op(states), send, sleep))
    assert states == [("start", False), ("send", True), ("objects", False), ("sleep", True), ("send", True),
                      ("objects", False)]
    assert gc.isenabled()


def test_the_fast_path_pauses_the_collector_only_while_it_decodes(monkeypatch):
    seen = []
    loads = fastpath._json_loads()

    def recording(body):
        seen.append(gc.isenabled())
        return loads(body)

    monkeypatch.setattr(fastpath, "_loads", recording)
    client = new_client(fast=True)
    sending = []
    client.meta.events.register("before-send.dynamodb", lambda **_: sending.append(gc.isenabled()))
    Server(client, GOOD_QUERY)
    assert answer(client.query(**QUERY_PARAMS)) == QUERY
    assert seen == [False] and sending == [True] and gc.isenabled()
    gc.disable()
    try:  # a collector the application disabled stays disabled
        client.query(**QUERY_PARAMS)
        assert not gc.isenabled()
    finally:
        gc.enable()

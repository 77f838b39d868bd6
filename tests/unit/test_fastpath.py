"""bloop.fastpath: responses and requests on the fast path equal botocore's own, byte for byte
where it matters (binary values included), and errors stay botocore's.

Responses are served by a ``before-send`` handler (as moto does), so each client runs its
whole botocore pipeline: signing, retries, the CRC32 check and parsing.
"""
import base64
import json
import zlib

import boto3
import botocore.awsrequest
import botocore.parsers
from botocore.config import Config
from botocore.stub import Stubber
import pytest

import bloop
from bloop import fastpath
from bloop.session import make_client
from tests.unit.helpers import dynamodb_client

B1, B2 = b"\x00\x01\xfe\xff", b"binary \xe9"


def b64(value):
    return base64.b64encode(value).decode()


def item(i):
    """A wire item with every type, binaries at every depth, as DynamoDB's JSON has it."""
    return {
        "id": {"S": f"id-{i}"}, "n": {"N": str(i)}, "b": {"B": b64(B1)}, "bs": {"BS": [b64(B1), b64(B2)]},
        "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "t": {"BOOL": True}, "z": {"NULL": True},
        "l": {"L": [{"B": b64(B2)}, {"S": "x"}, {"M": {"deep": {"BS": [b64(B1)]}}}]},
        "m": {"M": {"B": {"S": "a map key named B"}, "inner": {"B": b64(B2)}, "l": {"L": []}}},
        "e": {"S": ""}, "u": {"S": "\u00e9\u4e2d\U0001f600"},
    }


def key(i):
    return {"id": {"S": f"id-{i}"}, "n": {"N": str(i)}, "b": {"B": b64(B1)}}


RESPONSES = {
    "GetItem": {"Item": item(1), "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 0.5}},
    "Query": {"Items": [item(1), item(2)], "Count": 2, "ScannedCount": 3, "LastEvaluatedKey": key(2)},
    "Scan": {"Items": [], "Count": 0, "ScannedCount": 0},
    "BatchGetItem": {"Responses": {"t": [item(1)], "u": [item(2)]},
                     "UnprocessedKeys": {"t": {"Keys": [key(3)], "ConsistentRead": True}}},
    "PutItem": {"Attributes": item(1), "ItemCollectionMetrics": {"ItemCollectionKey": key(1),
                                                                 "SizeEstimateRangeGB": [0.0, 1.0]}},
    "UpdateItem": {"Attributes": item(2)},
    "DeleteItem": {},
    "BatchWriteItem": {"UnprocessedItems": {"t": [{"PutRequest": {"Item": item(4)}},
                                                  {"DeleteRequest": {"Key": key(5)}}]},
                       "ItemCollectionMetrics": {"t": [{"ItemCollectionKey": key(4),
                                                        "SizeEstimateRangeGB": [1.0, 2.0]}]}},
    "TransactGetItems": {"Responses": [{"Item": item(1)}, {}]},
    "TransactWriteItems": {"ItemCollectionMetrics": {"t": [{"ItemCollectionKey": key(6)}]}},
}


class Raw:
    """What urllib3 would hand botocore: a body to stream."""

    def __init__(self, body):
        self.body = body

    def stream(self, *args, **kwargs):
        yield self.body


class Server:
    """Answers every request of a client with one canned body, and records the requests."""

    def __init__(self, client, body, status=200, crc=None):
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.status = status
        self.crc = crc
        self.requests = []
        client.meta.events.register("before-send.dynamodb", self.send)

    def send(self, request, **kwargs):
        self.requests.append(request)
        crc = zlib.crc32(self.body) & 0xFFFFFFFF if self.crc is None else self.crc
        headers = {"x-amzn-requestid": "r", "x-amz-crc32": str(crc), "content-type": "application/x-amz-json-1.0"}
        return botocore.awsrequest.AWSResponse(request.url, self.status, headers, Raw(self.body))


def new_client(fast=False, requests=False):
    # at most one retry (a test that retries takes the retry_sleeps fixture, so nothing waits);
    # requests on the fast path need a client without botocore's validation
    config = Config(retries={"mode": "standard", "max_attempts": 2}, parameter_validation=not requests)
    client = boto3.session.Session().client("dynamodb", region_name="us-east-1",
                                            endpoint_url="http://localhost:1", config=config)
    if fast:
        fastpath.install(client, requests=requests)
    return client


PARAMS = {
    "GetItem": {"TableName": "t", "Key": key(1)},
    "Query": {"TableName": "t", "KeyConditionExpression": "#n = :v", "ExpressionAttributeNames": {"#n": "id"},
              "ExpressionAttributeValues": {":v": {"S": "x"}}},
    "Scan": {"TableName": "t"},
    "BatchGetItem": {"RequestItems": {"t": {"Keys": [key(1)]}, "u": {"Keys": [key(2)]}}},
    "PutItem": {"TableName": "t", "Item": item(1)},
    "UpdateItem": {"TableName": "t", "Key": key(1), "UpdateExpression": "SET #n = :v",
                   "ExpressionAttributeNames": {"#n": "x"}, "ExpressionAttributeValues": {":v": {"B": b64(B1)}}},
    "DeleteItem": {"TableName": "t", "Key": key(1)},
    "BatchWriteItem": {"RequestItems": {"t": [{"PutRequest": {"Item": item(1)}},
                                              {"DeleteRequest": {"Key": key(2)}}]}},
    "TransactGetItems": {"TransactItems": [{"Get": {"TableName": "t", "Key": key(1)}}]},
    "TransactWriteItems": {"TransactItems": [{"Put": {"TableName": "t", "Item": item(1)}}],
                           "ClientRequestToken": "token"},
}


def botocore_params(params):
    """Request parameters as a caller passes them to botocore: binary values as bytes."""
    def walk(value):
        if isinstance(value, dict):
            if set(value) == {"B"} and isinstance(value["B"], str):
                return {"B": base64.b64decode(value["B"])}
            if set(value) == {"BS"}:
                return {"BS": [base64.b64decode(x) for x in value["BS"]]}
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value
    return walk(params)


def call(client, operation):
    method = getattr(client, client.meta.method_to_api_mapping and
                     {v: k for k, v in client.meta.method_to_api_mapping.items()}[operation])
    response = method(**botocore_params(PARAMS[operation]))
    response.pop("ResponseMetadata")
    return response


@pytest.mark.parametrize("operation", sorted(RESPONSES))
def test_every_operation_decodes_as_botocore_does(operation):
    plain, fast = new_client(), new_client(fast=True)
    Server(plain, RESPONSES[operation])
    Server(fast, RESPONSES[operation])
    expected = call(plain, operation)
    assert call(fast, operation) == expected
    # and the response dicts really went the fast way
    assert fastpath.decode(operation, json.dumps(RESPONSES[operation]).encode()) == expected


def test_binaries_decode_to_bytes_everywhere():
    fast = new_client(fast=True)
    Server(fast, RESPONSES["Query"])
    response = call(fast, "Query")
    first = response["Items"][0]
    assert first["b"] == {"B": B1} and first["bs"] == {"BS": [B1, B2]}
    assert first["l"]["L"][0] == {"B": B2} and first["l"]["L"][2]["M"]["deep"] == {"BS": [B1]}
    assert first["m"]["M"]["B"] == {"S": "a map key named B"} and first["m"]["M"]["inner"] == {"B": B2}
    assert response["LastEvaluatedKey"]["b"] == {"B": B1}


def test_the_shape_walk_is_skipped(monkeypatch):
    fast = new_client(fast=True)
    Server(fast, RESPONSES["Query"])
    walked = []
    original = botocore.parsers.JSONParser._handle_structure

    def spy(self, shape, value):
        walked.append(shape.name)
        return original(self, shape, value)

    monkeypatch.setattr(botocore.parsers.JSONParser, "_handle_structure", spy)
    call(fast, "Query")
    assert walked == ["QueryOutput"]  # the output structure of an empty body; no item, no value


def test_other_operations_stay_botocore_s():
    fast = new_client(fast=True)
    Server(fast, {"Table": {"TableName": "t", "CreationDateTime": 1700000000.0}})
    table = fast.describe_table(TableName="t")["Table"]
    assert table["CreationDateTime"].year == 2023  # botocore's timestamp parsing


@pytest.mark.parametrize("status, code", [(400, "ConditionalCheckFailedException"),
                                          (400, "ValidationException")])
def test_errors_stay_botocore_s(status, code):
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "no", "Item": item(1)}
    errors = []
    for client in (new_client(), new_client(fast=True)):
        Server(client, body, status=status)
        with pytest.raises(client.exceptions.ClientError) as excinfo:
            client.put_item(**botocore_params(PARAMS["PutItem"]))
        response = dict(excinfo.value.response)
        response.pop("ResponseMetadata")
        errors.append(response)
    assert errors[0] == errors[1]
    assert errors[1]["Error"]["Code"] == code
    if code == "ConditionalCheckFailedException":  # a modeled error field, parsed by botocore
        assert errors[1]["Item"]["b"] == {"B": B1}


class _NoSleep:
    """botocore.endpoint's ``time`` for a test: its retry backoff is recorded, not slept."""

    def __init__(self):
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)


@pytest.fixture
def retry_sleeps(monkeypatch):
    """The backoff delays botocore's retries asked for (not slept: a unit test never waits)."""
    import botocore.endpoint
    no_sleep = _NoSleep()
    monkeypatch.setattr(botocore.endpoint, "time", no_sleep)
    return no_sleep.slept


def test_crc32_mismatch_is_retried_as_before(retry_sleeps):
    # the CRC32 check reads the HTTP body, which the fast path leaves alone
    sent = []
    for client in (new_client(), new_client(fast=True)):
        server = Server(client, RESPONSES["GetItem"], crc=12345)
        outcome = call(client, "GetItem")
        sent.append((len(server.requests), outcome))
    assert sent[0] == sent[1]
    assert sent[1][0] > 1  # retried
    # each retry came after a backoff botocore asked for, and the test did not wait for it
    assert len(retry_sleeps) == sent[0][0] - 1 + sent[1][0] - 1 and all(s >= 0 for s in retry_sleeps)


def test_a_body_that_is_not_json_is_left_to_botocore():
    assert fastpath.decode("Query", b"<html>") is None
    assert fastpath.decode("Query", b"[1]") is None
    assert fastpath.decode("Query", b'{"Items":[{"b":{"B":"not base64!"}}]}') is None
    assert fastpath.decode("DescribeTable", b"{}") is None


def test_json_fallback_without_orjson(monkeypatch):
    monkeypatch.setattr(fastpath, "_loads", json.loads)
    plain, fast = new_client(), new_client(fast=True)
    servers = Server(plain, b""), Server(fast, b"")
    for operation, response in RESPONSES.items():
        body = json.dumps(response).encode()
        for server in servers:
            server.body = body
        expected = call(plain, operation)
        assert call(fast, operation) == expected
        assert fastpath.decode(operation, body) == expected  # decoded with json, as botocore does


@pytest.mark.parametrize("operation", sorted(fastpath.REQUEST_OPERATIONS))
def test_requests_encode_as_botocore_does(operation):
    plain, fast = new_client(), new_client(fast=True, requests=True)
    sent = {}
    for name, client in (("plain", plain), ("fast", fast)):
        server = Server(client, RESPONSES[operation])
        call(client, operation)
        request = server.requests[-1]
        sent[name] = (json.loads(request.body), request.headers["X-Amz-Target"],
                      request.headers["Content-Type"], request.url)
    assert sent["fast"] == sent["plain"]
    assert sent["fast"][0] == PARAMS[operation]  # binaries in base64, as DynamoDB's JSON has them


def test_botocore_s_own_parameter_handlers_and_stubbers_see_the_real_request():
    fast = new_client(fast=True, requests=True)
    server = Server(fast, {})
    fast.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"id": {"B": B1}}}}])
    sent = json.loads(server.requests[-1].body)
    assert sent["ClientRequestToken"]  # filled in by botocore before the request was encoded
    assert sent["TransactItems"][0]["Put"]["Item"] == {"id": {"B": b64(B1)}}
    stubbed = new_client(fast=True, requests=True)
    with Stubber(stubbed) as stubber:
        stubber.add_response("put_item", {}, {"TableName": "t", "Item": {"id": {"S": "x"}}})
        stubbed.put_item(TableName="t", Item={"id": {"S": "x"}})
        stubber.assert_no_pending_responses()


def test_a_request_orjson_cannot_encode_is_left_to_botocore():
    fast = new_client(fast=True, requests=True)
    server = Server(fast, {})
    fast.put_item(TableName="t", Item={"ss": {"SS": ("a", "b")}, "x": {"S": "\ud800"}})
    assert json.loads(server.requests[-1].body)["Item"]["ss"] == {"SS": ["a", "b"]}


def test_install_is_idempotent_and_reversible():
    client = new_client()
    assert not fastpath.installed(client)
    fastpath.install(client)
    fastpath.install(client)
    assert fastpath.installed(client)
    Server(client, RESPONSES["Query"])
    assert call(client, "Query")["Items"][0]["b"] == {"B": B1}
    fastpath.uninstall(client)
    assert not fastpath.installed(client)
    with pytest.raises(ValueError):
        fastpath.install(boto3.session.Session().client("s3", region_name="us-east-1"))


def test_clients_bloop_makes_have_the_fast_path(monkeypatch):
    made = make_client(region_name="us-east-1", endpoint_url="http://localhost:1")
    assert fastpath.installed(made)
    assert not fastpath.installed(make_client(region_name="us-east-1", fast_path=False))
    assert fastpath.installed(bloop.Engine(region_name="us-east-1").session.dynamodb)
    assert not fastpath.installed(bloop.Engine(region_name="us-east-1", fast_path=False).session.dynamodb)
    injected = dynamodb_client()
    assert not fastpath.installed(bloop.Engine(injected).session.dynamodb)
    other = new_client()
    assert fastpath.installed(bloop.Engine(other, fast_path=True).session.dynamodb)


def test_validation_stays_on_in_the_test_suite():
    # tests/conftest.py sets BLOOP_VALIDATE_REQUESTS: a malformed request fails in botocore
    client = make_client(region_name="us-east-1", endpoint_url="http://localhost:1")
    Server(client, {})
    with pytest.raises(Exception) as excinfo:
        client.get_item(TableName="t", Key={"id": {"STRING": "x"}})
    assert type(excinfo.value).__name__ == "ParamValidationError"


def test_without_validation_bloop_requests_skip_the_serializer(monkeypatch):
    monkeypatch.delenv("BLOOP_VALIDATE_REQUESTS")
    client = make_client(region_name="us-east-1", endpoint_url="http://localhost:1")
    server = Server(client, {"UnprocessedItems": {}})
    params = botocore_params(PARAMS["BatchWriteItem"])
    client.batch_write_item(**params)
    assert json.loads(server.requests[-1].body) == PARAMS["BatchWriteItem"]


def test_the_fast_extra_reads_with_orjson(needs_extra):
    orjson = needs_extra("fast")  # without it the fast path reads with json (the test above)
    assert fastpath._json_loads() is orjson.loads

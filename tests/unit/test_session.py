"""bloop.session: the one transport, and its translation of botocore errors (through botocore's Stubber)."""
import botocore.exceptions
import pytest
from botocore.stub import Stubber

import bloop
from bloop.exceptions import (
    ConstraintViolation, InvalidConfiguration, RequestRejected, ServiceError, TableNotFound, Throttled,
    TransactionCanceled,
)
from bloop.session import Session, make_client, translate_error
from tests.unit.helpers import dynamodb_client


def client_error(code, operation="PutItem", **extra):
    response = {"Error": {"Code": code, "Message": "message"}, **extra}
    return botocore.exceptions.ClientError(response, operation)


@pytest.mark.parametrize("code, cls", [
    ("ConditionalCheckFailedException", ConstraintViolation),
    ("TransactionCanceledException", TransactionCanceled),
    ("ProvisionedThroughputExceededException", Throttled),
    ("ThrottlingException", Throttled),
    ("RequestLimitExceeded", Throttled),
    ("ResourceNotFoundException", TableNotFound),
    ("ValidationException", RequestRejected),
    ("ResourceInUseException", RequestRejected),
    ("InternalServerError", ServiceError),
])
def test_translate_client_errors(code, cls):
    error = translate_error(client_error(code), "PutItem")
    assert type(error) is cls
    assert error.code == code and error.operation == "PutItem"
    assert code in str(error)


def test_translate_keeps_the_payloads():
    old = {"id": {"S": "a"}}
    assert translate_error(client_error("ConditionalCheckFailedException", Item=old), "PutItem").old == old
    reasons = [{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Message": "failed"}]
    canceled = translate_error(client_error("TransactionCanceledException", CancellationReasons=reasons),
                               "TransactWriteItems")
    assert canceled.reasons == reasons


def test_translate_other_botocore_errors():
    rejected = translate_error(botocore.exceptions.ParamValidationError(report="bad"), "PutItem")
    assert type(rejected) is RequestRejected
    failed = translate_error(botocore.exceptions.EndpointConnectionError(endpoint_url="http://x"), "PutItem")
    assert type(failed) is ServiceError and failed.code == "EndpointConnectionError"


def test_session_call_returns_the_response():
    client = dynamodb_client()
    session = Session(client)
    with Stubber(client) as stubber:
        stubber.add_response("get_item", {"Item": {"id": {"S": "a"}}},
                             {"TableName": "t", "Key": {"id": {"S": "a"}}})
        assert session.call("get_item", {"TableName": "t", "Key": {"id": {"S": "a"}}})["Item"] == {"id": {"S": "a"}}


def test_session_call_chains_the_botocore_error():
    client = dynamodb_client()
    session = Session(client)
    with Stubber(client) as stubber:
        stubber.add_client_error("update_item", "ConditionalCheckFailedException", "failed",
                                 response_meta={}, modeled_fields={"Item": {"id": {"S": "a"}}})
        with pytest.raises(ConstraintViolation) as excinfo:
            session.call("update_item", {"TableName": "t", "Key": {"id": {"S": "a"}}})
    assert isinstance(excinfo.value.__cause__, botocore.exceptions.ClientError)
    assert excinfo.value.operation == "UpdateItem"
    assert excinfo.value.old == {"id": {"S": "a"}}


def test_session_call_malformed_request_is_rejected():
    client = dynamodb_client()
    with Stubber(client) as stubber:
        stubber.add_response("get_item", {})  # never reached: botocore validates first
        with pytest.raises(RequestRejected) as excinfo:
            Session(client).call("get_item", {"TableName": "t", "Key": {"id": {"STRING": "a"}}})
    assert isinstance(excinfo.value.__cause__, botocore.exceptions.ParamValidationError)


@pytest.fixture
def no_region(monkeypatch, tmp_path):
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))


def test_an_engine_without_a_region_is_refused_clearly(no_region):
    with pytest.raises(InvalidConfiguration, match="no AWS region") as caught:
        bloop.Engine()
    assert isinstance(caught.value.__cause__, botocore.exceptions.NoRegionError)
    assert isinstance(caught.value, ValueError)


def test_an_engine_with_a_bad_endpoint_is_refused_clearly():
    with pytest.raises(InvalidConfiguration, match="Invalid endpoint"):
        bloop.Engine(endpoint_url="not a url", region_name="us-east-1")


def sent_user_agent(client):
    """The User-Agent of one request (answered here, never sent)."""
    from botocore.awsrequest import AWSResponse
    seen = []

    def answer(request, **kwargs):
        seen.append(request.headers["User-Agent"].decode())
        return AWSResponse(request.url, 200, {}, type("Raw", (), {"stream": lambda self, **kw: iter([b"{}"])})())

    client.meta.events.register("before-send.dynamodb", answer)
    client.list_tables()
    return seen[0]


@pytest.fixture
def credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_SDK_UA_APP_ID", raising=False)


def test_made_clients_send_a_fixed_user_agent_naming_bloop(credentials):
    agent = sent_user_agent(make_client(endpoint_url="http://127.0.0.1:9", region_name="us-east-1"))
    assert agent.startswith(f"bloop/{bloop.__version__} Python/") and "Botocore/" in agent
    assert "ua/2.1" not in agent  # botocore's per-request structured form is not built


def test_an_application_id_keeps_botocores_user_agent(credentials, monkeypatch):
    monkeypatch.setenv("AWS_SDK_UA_APP_ID", "my-app")
    agent = sent_user_agent(make_client(endpoint_url="http://127.0.0.1:9", region_name="us-east-1"))
    assert "app/my-app" in agent and not agent.startswith("bloop/")

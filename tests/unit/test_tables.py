"""bloop.tables: CreateTable requests, comparing a described table, and the bind operation by hand."""
import copy

import pytest

from bloop import BaseModel, Column, GlobalSecondaryIndex, Integer, LocalSecondaryIndex, String, Timestamp
from bloop import tables
from bloop.exceptions import RequestRejected, TableMismatch, TableNotFound
from bloop.operations import Policy, Sleep
from tests.unit.fakes import Driver, FakeClock
from tests.unit.helpers import validate_request


class Game(BaseModel):
    class Meta:
        table_name = "games"
        billing = {"read": 5, "write": 6}
        ttl = {"column": "expires"}
        stream = {"include": ["new", "old"]}
        encryption = {"enabled": True}
        backups = {"enabled": True}
        tags = {"team": "games", "cost": 7}

    user = Column(String, hash_key=True)
    title = Column(String, range_key=True, dynamo_name="t")
    score = Column(Integer)
    rank = Column(Integer)
    expires = Column(Timestamp)
    by_score = GlobalSecondaryIndex(projection=["rank"], hash_key="title", range_key="score", read_units=1)
    by_title = GlobalSecondaryIndex(projection=["title", "user"], hash_key="title")
    by_rank = LocalSecondaryIndex(projection="all", range_key="rank")


class Plain(BaseModel):
    id = Column(String, hash_key=True)


def test_create_request_everything():
    request = tables.create_request(Game, "prefix-games")
    validate_request("create_table", request)
    assert request == {
        "TableName": "prefix-games",
        "KeySchema": [{"AttributeName": "user", "KeyType": "HASH"}, {"AttributeName": "t", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "user", "AttributeType": "S"},
                                 {"AttributeName": "t", "AttributeType": "S"},
                                 {"AttributeName": "score", "AttributeType": "N"},
                                 {"AttributeName": "rank", "AttributeType": "N"}],
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 6},
        "GlobalSecondaryIndexes": [
            {"IndexName": "by_score",
             "KeySchema": [{"AttributeName": "t", "KeyType": "HASH"}, {"AttributeName": "score", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["rank"]},
             "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 6}},
            {"IndexName": "by_title",
             "KeySchema": [{"AttributeName": "t", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"},
             "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 6}},
        ],
        "LocalSecondaryIndexes": [
            {"IndexName": "by_rank",
             "KeySchema": [{"AttributeName": "user", "KeyType": "HASH"}, {"AttributeName": "rank", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "ALL"}},
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "SSESpecification": {"Enabled": True},
        "Tags": [{"Key": "team", "Value": "games"}, {"Key": "cost", "Value": "7"}],
    }


def test_create_request_plain():
    request = tables.create_request(Plain, "Plain")
    validate_request("create_table", request)
    assert request == {
        "TableName": "Plain",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


def described(model, name="t", status="ACTIVE"):
    """A DescribeTable ``Table`` as DynamoDB would return it for the model's CreateTable."""
    table = copy.deepcopy(tables.create_request(model, name))
    table["TableStatus"] = status
    for index in table.get("GlobalSecondaryIndexes", []):
        index["IndexStatus"] = status
    return table


def test_compare_matching_table():
    assert tables.compare(Game, described(Game)) == []
    # a table may have more than the model uses
    table = described(Game)
    table["GlobalSecondaryIndexes"].append({"IndexName": "extra", "KeySchema": [], "Projection": {}})
    assert tables.compare(Game, table) == []


def test_compare_differences():
    table = described(Game)
    table["KeySchema"][0]["AttributeName"] = "other"
    table["GlobalSecondaryIndexes"] = table["GlobalSecondaryIndexes"][:1]
    table["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}
    table["LocalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}
    del table["StreamSpecification"]
    diffs = tables.compare(Game, table)
    assert len(diffs) == 5
    assert any("hash key is 'other'" in d for d in diffs)
    assert any("'by_title' is missing" in d for d in diffs)
    assert any("'by_score' does not project ['rank']" in d for d in diffs)
    assert any("'by_rank' projects KEYS_ONLY" in d for d in diffs)
    assert any("stream" in d for d in diffs)


def test_compare_key_type():
    table = described(Plain)
    table["AttributeDefinitions"][0]["AttributeType"] = "N"
    assert tables.compare(Plain, table) == ["table key 'id' has type N, the model has S"]


# ---------------------------------------------------------------------------------------
# bind, driven by hand

class MaxJitter:
    def uniform(self, low, high):
        return high


def drive(op, clock, answers):
    """Run ``op`` with bloop's driver on the shared fakes: each call is answered with
    ``answers[operation]`` (a list consumed in order); sleeps move the fake clock."""
    def respond(call):
        answer = answers[call.operation].pop(0)
        return answer(call) if callable(answer) else answer
    driver = Driver(op, clock, respond)
    value = driver.run()
    assert all(len(step) == 1 for step in driver.rounds)
    return ["sleep" if isinstance(step, Sleep) else step[0].operation for step in driver.steps], value


def policy():
    clock = FakeClock()
    return Policy(lambda model: model.Meta.table_name, clock, MaxJitter(), 30.0), clock


def test_bind_creates_waits_and_configures():
    pol, clock = policy()
    missing = TableNotFound("no table", code="ResourceNotFoundException", operation="DescribeTable")
    answers = {
        "describe_table": [missing, {"Table": described(Game, status="CREATING")},
                           {"Table": described(Game, status="ACTIVE")}],
        "create_table": [{}],
        "describe_time_to_live": [{"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}],
        "update_time_to_live": [{}],
        "describe_continuous_backups": [{"ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}}],
        "update_continuous_backups": [{}],
    }
    seen, table = drive(tables.bind(pol, Game, "t"), clock, answers)
    assert seen == ["describe_table", "create_table", "describe_table", "sleep", "describe_table",
                    "describe_time_to_live", "update_time_to_live", "describe_continuous_backups",
                    "update_continuous_backups"]
    assert table["TableStatus"] == "ACTIVE"


def test_bind_existing_table_does_nothing_more():
    pol, clock = policy()
    answers = {"describe_table": [{"Table": described(Plain)}]}
    seen, _ = drive(tables.bind(pol, Plain, "t"), clock, answers)
    assert seen == ["describe_table"]


def test_bind_tolerates_a_concurrent_create():
    pol, clock = policy()
    missing = TableNotFound("no table", code="ResourceNotFoundException", operation="DescribeTable")
    in_use = RequestRejected("in use", code="ResourceInUseException", operation="CreateTable")
    answers = {"describe_table": [missing, {"Table": described(Plain)}], "create_table": [in_use]}
    seen, _ = drive(tables.bind(pol, Plain, "t"), clock, answers)
    assert seen == ["describe_table", "create_table", "describe_table"]


def test_bind_mismatch():
    pol, clock = policy()
    table = described(Plain)
    table["KeySchema"] = [{"AttributeName": "other", "KeyType": "HASH"}]
    with pytest.raises(TableMismatch) as excinfo:
        drive(tables.bind(pol, Plain, "t"), clock, {"describe_table": [{"Table": table}]})
    assert excinfo.value.model is Plain and len(excinfo.value.differences) == 1


def test_bind_ttl_on_another_attribute():
    pol, clock = policy()
    answers = {"describe_table": [{"Table": described(Game)}],
               "describe_time_to_live": [{"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED",
                                                                    "AttributeName": "other"}}]}
    with pytest.raises(TableMismatch):
        drive(tables.bind(pol, Game, "t"), clock, answers)


def test_bind_gives_up_on_a_table_that_never_becomes_active():
    pol, clock = policy()
    answers = {"describe_table": [lambda call: {"Table": described(Plain, status="CREATING")}] * 1000}
    with pytest.raises(TableMismatch) as excinfo:
        drive(tables.bind(pol, Plain, "t"), clock, answers)
    assert "ACTIVE" in str(excinfo.value)
    assert clock.now <= tables.TABLE_READY_DEADLINE


def test_a_family_creates_each_index_with_what_every_type_projects_into_it():
    """An overloaded index: each type declares its own projection of the shared index (or an
    index only it uses); the table is created with all of them, whichever model binds it, and
    each model's own view of the table compares equal."""
    class Shop(BaseModel):
        class Meta:
            table_name = "shop"
        pk = Column(String, hash_key=True)
        sk = Column(String, range_key=True)
        gsi1pk = Column(String)
        gsi1sk = Column(String)
        kind = Column(String, discriminator=True, dynamo_name="type")
        by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk", range_key="gsi1sk", projection="keys")

    class Order(Shop, discriminator="order"):
        status = Column(String)
        total = Column(Integer, dynamo_name="t")
        by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk", range_key="gsi1sk", projection=["status", "total"])

    class Customer(Shop, discriminator="customer"):
        email = Column(String)
        by_gsi1 = GlobalSecondaryIndex(hash_key="gsi1pk", range_key="gsi1sk", projection=["email"])
        by_email = GlobalSecondaryIndex(hash_key="email", projection="all")

    for model in (Shop, Order, Customer):
        request = tables.create_request(model, "shop")
        validate_request("create_table", request)
        gsis = {g["IndexName"]: g for g in request["GlobalSecondaryIndexes"]}
        assert sorted(gsis) == ["by_email", "by_gsi1"]
        assert gsis["by_gsi1"]["Projection"] == {"ProjectionType": "INCLUDE",
                                                 "NonKeyAttributes": ["type", "status", "t", "email"]}
        assert gsis["by_email"]["Projection"] == {"ProjectionType": "ALL"}
        assert {a["AttributeName"] for a in request["AttributeDefinitions"]} == {"pk", "sk", "gsi1pk", "gsi1sk",
                                                                                 "email"}
        table = dict(request, TableStatus="ACTIVE")
        for other in (Shop, Order, Customer):
            assert tables.compare(other, table) == []

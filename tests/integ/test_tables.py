"""Tables made from Meta, the wait for ACTIVE, and TTL."""
import pytest

import bloop
from bloop import BaseModel, Column, Engine, GlobalSecondaryIndex, Integer, String, Timestamp


class Settings(BaseModel):
    class Meta:
        table_name = "settings"
        billing = {"read": 3, "write": 2}
        encryption = {"enabled": True}
        tags = {"team": "core"}

    id = Column(String, hash_key=True)
    kind = Column(String)
    by_kind = GlobalSecondaryIndex(projection="keys", hash_key="kind", read_units=1, write_units=1)


class Expiring(BaseModel):
    class Meta:
        table_name = "expiring"
        ttl = {"column": "expires"}
        backups = {"enabled": True}

    id = Column(String, hash_key=True)
    expires = Column(Timestamp)


def test_meta_settings_reach_the_table(engine, client, backend_name):
    engine.bind(Settings)
    table = client.describe_table(TableName=engine._table_name(Settings))["Table"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 2
    gsi, = table["GlobalSecondaryIndexes"]
    assert gsi["ProvisionedThroughput"]["ReadCapacityUnits"] == 1
    if backend_name != "dynalite":  # dynalite does not describe SSE or keep tags
        assert table["SSEDescription"]["Status"] in ("ENABLED", "ENABLING")
        tags = client.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
        assert {"Key": "team", "Value": "core"} in tags


class Streamed(BaseModel):
    class Meta:
        table_name = "streamed"
        stream = {"include": ["new", "old"]}

    id = Column(String, hash_key=True)


def test_stream(engine, client, backend_name):
    if backend_name == "dynalite":
        pytest.skip("dynalite does not implement DynamoDB Streams")
    engine.bind(Streamed)
    table = client.describe_table(TableName=engine._table_name(Streamed))["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_stream_mismatch(engine, client, prefix):
    class NoStream(BaseModel):
        class Meta:
            table_name = "settings"
        id = Column(String, hash_key=True)

    engine.bind(NoStream)  # creates the table without a stream

    class WantsStream(BaseModel):
        class Meta:
            table_name = "settings"
            stream = {"include": ["keys"]}
        id = Column(String, hash_key=True)

    with pytest.raises(bloop.TableMismatch, match="stream"):
        Engine(client, table_name_template=prefix + "{table_name}").bind(WantsStream)


def test_bind_waits_for_active(client, prefix, backend_name):
    slept = []
    engine = Engine(client, table_name_template=prefix + "{table_name}", sleep=slept.append)
    engine.bind(Settings)
    table = client.describe_table(TableName=engine._table_name(Settings))["Table"]
    assert table["TableStatus"] == "ACTIVE"
    if backend_name == "dynalite":  # dynalite keeps a new table CREATING for ~500 ms
        assert slept, "bind did not wait for the table to become ACTIVE"
        assert all(0 < s <= 2.0 for s in slept)


def test_ttl_and_backups(engine, client, backend_name):
    if backend_name == "dynalite":
        pytest.skip("dynalite implements neither TTL nor continuous backups (UnknownOperationException)")
    engine.bind(Expiring)
    name = engine._table_name(Expiring)
    ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] in ("ENABLED", "ENABLING") and ttl["AttributeName"] == "expires"
    backups = client.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    # binding again (another engine, same table) validates and changes nothing
    Engine(client, table_name_template=name.replace("expiring", "{table_name}")).bind(Expiring)


def test_provisioned_counts_are_integers():
    with pytest.raises(bloop.InvalidModel):
        class Bad(BaseModel):
            class Meta:
                billing = {"read": "3", "write": 1}
            id = Column(Integer, hash_key=True)

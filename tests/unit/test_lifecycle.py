"""bloop.lifecycle: plans from canned Describe answers, and apply's steps on a fake table and clock."""
import asyncio
import copy

import pytest

from bloop import BaseModel, Column, GlobalSecondaryIndex, Integer, LocalSecondaryIndex, String, Timestamp
from bloop import signals, tables
from bloop.aio import AsyncEngine
from bloop.exceptions import InvalidModel, TableMismatch, TableNotFound
from bloop import ApplyFailed, PlanRefused
from tests.unit.fakes import AsyncFakeTransport, FakeClock, fake_engine
from tests.unit.helpers import dynamodb_client, validate_request

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/"


class Old(BaseModel):
    """What the table was made from."""
    class Meta:
        table_name = "users"

    id = Column(String, hash_key=True)
    email = Column(String)
    expires = Column(Timestamp)


class User(BaseModel):
    """The same model, now with an index, a stream and TTL."""
    class Meta:
        table_name = "users"
        stream = {"include": ["new", "old"]}
        ttl = {"column": "expires"}

    id = Column(String, hash_key=True)
    email = Column(String)
    expires = Column(Timestamp)
    by_email = GlobalSecondaryIndex(projection="all", hash_key="email")


class Everything(BaseModel):
    class Meta:
        table_name = "everything"
        billing = {"read": 5, "write": 6}
        ttl = {"column": "expires"}
        stream = {"include": ["new"]}
        encryption = {"enabled": True}
        backups = {"enabled": True}
        tags = {"team": "games", "cost": 7}
        table_class = "infrequent_access"
        deletion_protection = True

    user = Column(String, hash_key=True)
    title = Column(String, range_key=True)
    score = Column(Integer)
    rank = Column(Integer)
    expires = Column(Timestamp)
    by_score = GlobalSecondaryIndex(projection=["rank"], hash_key="title", range_key="score")
    by_title = GlobalSecondaryIndex(projection="keys", hash_key="title")
    by_new = GlobalSecondaryIndex(projection="keys", hash_key="score")
    by_rank = LocalSecondaryIndex(projection="all", range_key="rank")


def described(model, name=None, **extra):
    """The DescribeTable answer for a table made from ``model`` (as CreateTable asks)."""
    request = tables.create_request(model, name or model.Meta.table_name)
    table = {key: copy.deepcopy(value) for key, value in request.items()
             if key in ("TableName", "KeySchema", "AttributeDefinitions", "LocalSecondaryIndexes",
                        "GlobalSecondaryIndexes", "StreamSpecification", "ProvisionedThroughput")}
    table["TableStatus"] = "ACTIVE"
    table["TableArn"] = ARN + table["TableName"]
    table["BillingModeSummary"] = {"BillingMode": request["BillingMode"]}
    for index in table.get("GlobalSecondaryIndexes", []):
        index["IndexStatus"] = "ACTIVE"
    if "SSESpecification" in request:
        table["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS"}
    table.update(extra)
    return table


class FakeDynamo:
    """One table in memory that answers the calls plan and apply send (each checked against
    botocore's model); after a change, the table (or a new index) stays busy for ``busy``
    DescribeTable answers."""

    def __init__(self, table=None, ttl=None, pitr="DISABLED", tags=None, busy=2, ignore=()):
        self.table = table
        self.ttl = ttl or {"TimeToLiveStatus": "DISABLED"}
        self.pitr = pitr
        self.tags = dict(tags or {})
        self.busy = busy
        self.pending = 0
        self.ignore = set(ignore)  # operations accepted and then not applied (as some emulators do)
        self.sent = []

    def __call__(self, call):
        validate_request(call.operation, call.request)
        self.sent.append(call.operation)
        request = call.request
        if call.operation == "describe_table":
            if self.table is None:
                return TableNotFound("no table", code="ResourceNotFoundException", operation="DescribeTable")
            answer = copy.deepcopy(self.table)
            if self.pending:
                self.pending -= 1
                answer["TableStatus"] = "UPDATING"
                for index in answer.get("GlobalSecondaryIndexes", []):
                    index["IndexStatus"] = "CREATING"
                    index["Backfilling"] = True
            return {"Table": answer}
        if call.operation in self.ignore:
            return {}
        self.pending = self.busy
        if call.operation == "create_table":
            self.table = described_request(request)
            self.tags = {t["Key"]: t["Value"] for t in request.get("Tags", [])}
        elif call.operation == "update_table":
            self.update(request)
        elif call.operation == "describe_time_to_live":
            self.pending = 0
            return {"TimeToLiveDescription": dict(self.ttl)}
        elif call.operation == "update_time_to_live":
            spec = request["TimeToLiveSpecification"]
            self.ttl = ({"TimeToLiveStatus": "ENABLED", "AttributeName": spec["AttributeName"]} if spec["Enabled"]
                        else {"TimeToLiveStatus": "DISABLED"})
        elif call.operation == "describe_continuous_backups":
            self.pending = 0
            return {"ContinuousBackupsDescription": {"ContinuousBackupsStatus": "ENABLED",
                                                     "PointInTimeRecoveryDescription": {
                                                         "PointInTimeRecoveryStatus": self.pitr}}}
        elif call.operation == "update_continuous_backups":
            on = request["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
            self.pitr = "ENABLED" if on else "DISABLED"
        elif call.operation == "list_tags_of_resource":
            self.pending = 0
            return {"Tags": [{"Key": k, "Value": v} for k, v in self.tags.items()]}
        elif call.operation == "tag_resource":
            self.tags.update((t["Key"], t["Value"]) for t in request["Tags"])
        elif call.operation == "untag_resource":
            for key in request["TagKeys"]:
                self.tags.pop(key)
        else:
            raise AssertionError(call.operation)
        return {}

    def update(self, request):
        table = self.table
        updates = request.get("GlobalSecondaryIndexUpdates", [])
        assert len([u for u in updates if "Create" in u or "Delete" in u]) <= 1, "one index change per UpdateTable"
        for update in updates:
            if "Create" in update:
                names = {a["AttributeName"] for a in request["AttributeDefinitions"]}
                assert all(k["AttributeName"] in names for k in update["Create"]["KeySchema"])
                table["AttributeDefinitions"] = request["AttributeDefinitions"]
                table.setdefault("GlobalSecondaryIndexes", []).append(dict(update["Create"], IndexStatus="ACTIVE"))
            elif "Update" in update:
                for index in table["GlobalSecondaryIndexes"]:
                    if index["IndexName"] == update["Update"]["IndexName"]:
                        index["ProvisionedThroughput"] = update["Update"]["ProvisionedThroughput"]
            elif "Delete" in update:
                table["GlobalSecondaryIndexes"] = [i for i in table["GlobalSecondaryIndexes"]
                                                   if i["IndexName"] != update["Delete"]["IndexName"]]
        if "StreamSpecification" in request:
            spec = request["StreamSpecification"]
            table["StreamSpecification"] = spec if spec["StreamEnabled"] else {"StreamEnabled": False}
        if "BillingMode" in request:
            table["BillingModeSummary"] = {"BillingMode": request["BillingMode"]}
        if "ProvisionedThroughput" in request:
            table["ProvisionedThroughput"] = request["ProvisionedThroughput"]
        if "SSESpecification" in request:
            table["SSEDescription"] = {"Status": "ENABLED" if request["SSESpecification"]["Enabled"] else "DISABLED"}
        if "TableClass" in request:
            table["TableClassSummary"] = {"TableClass": request["TableClass"]}
        if "DeletionProtectionEnabled" in request:
            table["DeletionProtectionEnabled"] = request["DeletionProtectionEnabled"]


def described_request(request):
    table = {key: copy.deepcopy(value) for key, value in request.items()
             if key in ("TableName", "KeySchema", "AttributeDefinitions", "LocalSecondaryIndexes",
                        "GlobalSecondaryIndexes", "StreamSpecification", "ProvisionedThroughput")}
    table["TableStatus"] = "ACTIVE"
    table["TableArn"] = ARN + request["TableName"]
    table["BillingModeSummary"] = {"BillingMode": request["BillingMode"]}
    for index in table.get("GlobalSecondaryIndexes", []):
        index["IndexStatus"] = "ACTIVE"
    if request.get("SSESpecification", {}).get("Enabled"):
        table["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS"}
    return table


def engine_on(fake, **options):
    clock = FakeClock()
    engine = fake_engine(respond=fake, table_name_template="{table_name}", clock=clock, sleep=clock.sleep,
                         **options)
    return engine, clock


# ---------------------------------------------------------------------------------------
# plans


USER_PLAN = """\
~ table 'users' (User): 3 changes
    + global index 'by_email' (hash email; ALL)  [slow: DynamoDB backfills it from every item before it can be queried]
    + stream NEW_AND_OLD_IMAGES  [online]
    + time to live on 'expires'  [online]
3 changes (2 online, 1 slow)"""


def test_plan_of_a_model_that_gained_an_index_a_stream_and_ttl():
    fake = FakeDynamo(described(Old))
    engine, _ = engine_on(fake)
    plan = engine.plan(User)
    assert str(plan) == USER_PLAN
    assert [(c.setting, c.action, c.impact) for c in plan] == [
        ("index", "add", "slow"), ("stream", "enable", "online"), ("ttl", "enable", "online")]
    # only describes: the table, and TTL because the model declares it
    assert fake.sent == ["describe_table", "describe_time_to_live"]


def test_plan_of_a_missing_table():
    engine, _ = engine_on(FakeDynamo(None))
    plan = engine.plan(Everything)
    assert [(c.setting, c.action, c.sign) for c in plan] == [
        ("table", "create", "+"), ("ttl", "enable", "+"), ("backups", "enable", "+"),
        ("table class", "update", "~"), ("deletion protection", "enable", "+")]
    assert plan.tables[0].exists is False
    assert "by_score" in plan.changes[0].summary and "provisioned (read 5, write 6)" in plan.changes[0].summary


def test_plan_of_a_matching_table_is_empty():
    table = described(Everything, TableClassSummary={"TableClass": "STANDARD_INFREQUENT_ACCESS"},
                      DeletionProtectionEnabled=True)
    fake = FakeDynamo(table, ttl={"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}, pitr="ENABLED",
                      tags={"team": "games", "cost": "7", "other": "kept"})
    engine, _ = engine_on(fake)
    plan = engine.plan(Everything)
    assert not plan and len(plan) == 0
    assert str(plan) == "  table 'everything' (Everything): no changes\n0 changes"
    assert fake.sent == ["describe_table", "describe_time_to_live", "describe_continuous_backups",
                         "list_tags_of_resource"]


def test_plan_marks_every_kind_of_difference():
    table = described(Everything)
    gsis = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
    gsis["by_score"]["Projection"] = {"ProjectionType": "KEYS_ONLY"}  # the model needs rank projected
    gsis["by_title"]["KeySchema"] = [{"AttributeName": "user", "KeyType": "HASH"}]
    del gsis["by_new"]
    table["GlobalSecondaryIndexes"] = list(gsis.values()) + [
        {"IndexName": "extra", "KeySchema": [{"AttributeName": "user", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}, "IndexStatus": "ACTIVE"}]
    table["LocalSecondaryIndexes"] = []
    table["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    table["ProvisionedThroughput"] = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    del table["SSEDescription"]
    fake = FakeDynamo(table, ttl={"TimeToLiveStatus": "ENABLED", "AttributeName": "old"},
                      tags={"team": "other", "stale": "x"})
    engine, _ = engine_on(fake)
    plan = engine.plan(Everything, prune=True)
    found = [(c.setting, c.name, c.action, c.impact) for c in plan]
    assert found == [
        ("billing", None, "update", "online"),
        ("index", "extra", "remove", "destructive"),
        ("index", "by_score", "replace", "destructive"),
        ("index", "by_title", "replace", "destructive"),
        ("index", "by_new", "add", "slow"),
        ("index", "by_rank", "add", "impossible"),
        ("stream", None, "replace", "destructive"),
        ("ttl", None, "replace", "destructive"),
        ("backups", None, "enable", "online"),
        ("encryption", None, "enable", "online"),
        ("tags", "team", "update", "online"),
        ("tags", "cost", "add", "online"),
        ("tags", "stale", "remove", "online"),
        ("table class", None, "update", "online"),
        ("deletion protection", None, "enable", "online"),
    ]
    text = str(plan)
    assert "~ throughput: read 1, write 1 -> read 5, write 6  [online]" in text
    assert "- global index 'extra' (hash user; ALL)  [destructive" in text
    assert "~ global index 'by_score' (hash title, range score; KEYS_ONLY -> hash title, range score; " \
           "INCLUDE rank)  [destructive" in text
    assert "~ stream KEYS_ONLY -> NEW_IMAGE  [destructive" in text
    assert "~ tag team: other -> games  [online]" in text
    assert text.endswith("15 changes (8 online, 1 slow, 5 destructive, 1 impossible)")
    # without prune, what the table has beyond the model stays
    plain = engine.plan(Everything)
    assert ("index", "extra") not in [c.key for c in plain] and ("tags", "stale") not in [c.key for c in plain]


def test_plan_table_key_and_billing_mode():
    table = described(Old, BillingModeSummary={"BillingMode": "PROVISIONED"},
                      ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    table["KeySchema"] = [{"AttributeName": "other", "KeyType": "HASH"}]
    engine, _ = engine_on(FakeDynamo(table))
    plan = engine.plan(Old)
    assert [(c.setting, c.impact) for c in plan] == [("keys", "impossible"), ("billing", "online")]
    assert "billing: provisioned (read 1, write 1) -> on demand" in str(plan)


def test_plan_stream_off_only_with_prune():
    table = described(Old, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    engine, _ = engine_on(FakeDynamo(table))
    assert not engine.plan(Old)
    change, = engine.plan(Old, prune=True)
    assert (change.setting, change.action, change.impact, change.sign) == ("stream", "disable", "destructive", "-")


@pytest.mark.parametrize("meta, message", [
    ({"table_class": "cold"}, "table_class"),
    ({"deletion_protection": "yes"}, "deletion_protection"),
])
def test_bad_declarations_fail_before_any_request(meta, message):
    model = type("Bad", (BaseModel,), {"Meta": type("Meta", (), meta), "id": Column(String, hash_key=True)})
    fake = FakeDynamo(None)
    engine, _ = engine_on(fake)
    with pytest.raises(InvalidModel, match=message):
        engine.plan(model)
    assert fake.sent == []


def test_plan_of_a_family_has_every_types_indexes():
    class Shop(BaseModel):
        class Meta:
            table_name = "shop"
        pk = Column(String, hash_key=True)
        kind = Column(String, discriminator=True)
        email = Column(String)
        total = Column(Integer)

    class Customer(Shop):
        by_email = GlobalSecondaryIndex(projection="keys", hash_key="email")

    class Order(Shop):
        by_total = GlobalSecondaryIndex(projection="keys", hash_key="total")

    table = described(Shop)
    del table["GlobalSecondaryIndexes"]
    engine, _ = engine_on(FakeDynamo(table))
    plan = engine.plan(Shop)
    assert len(plan.tables) == 1
    assert sorted(c.name for c in plan) == ["by_email", "by_total"]


# ---------------------------------------------------------------------------------------
# apply


def test_apply_one_index_change_per_update_and_waits():
    fake = FakeDynamo(described(Everything, DeletionProtectionEnabled=True,
                                TableClassSummary={"TableClass": "STANDARD_INFREQUENT_ACCESS"}),
                      ttl={"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}, pitr="ENABLED",
                      tags={"team": "games", "cost": "7"})
    fake.table["GlobalSecondaryIndexes"] = []
    engine, clock = engine_on(fake)
    plan = engine.plan(Everything)
    assert [c.name for c in plan] == ["by_score", "by_title", "by_new"]
    seen = []
    applied = engine.apply(plan, progress=seen.append)
    assert [c.name for c in applied] == ["by_score", "by_title", "by_new"]
    updates = [op for op in fake.sent if op == "update_table"]
    assert len(updates) == 3
    assert [(p.stage, p.change.name) for p in seen if p.stage != "waiting"] == [
        ("start", "by_score"), ("done", "by_score"), ("start", "by_title"), ("done", "by_title"),
        ("start", "by_new"), ("done", "by_new")]
    waiting = [p for p in seen if p.stage == "waiting"]
    assert len(waiting) == 6 and "backfilling" in waiting[0].detail and "UPDATING" in waiting[0].detail
    # backoff: two waits per step, the second longer than the first (before its jitter)
    assert len(clock.slept) == 6 and all(0 < s <= 20 for s in clock.slept)
    assert not engine.plan(Everything)


def test_apply_creates_a_table_then_what_create_table_cannot_set():
    fake = FakeDynamo(None)
    engine, _ = engine_on(fake)
    applied = engine.apply(engine.plan(Everything))
    assert [c.setting for c in applied] == ["table", "ttl", "backups", "table class", "deletion protection"]
    assert fake.sent.count("create_table") == 1
    assert fake.table["DeletionProtectionEnabled"] is True and fake.pitr == "ENABLED"
    assert not engine.plan(Everything)


def test_apply_refuses_destructive_changes_before_any_request():
    table = described(User)
    table["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}
    fake = FakeDynamo(table, ttl={"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"})
    engine, _ = engine_on(fake)
    plan = engine.plan(User)
    fake.sent.clear()
    with pytest.raises(PlanRefused, match="allow_destructive") as excinfo:
        engine.apply(plan)
    assert isinstance(excinfo.value, ValueError)
    assert "global index 'by_email'" in str(excinfo.value) and "nothing was sent" in str(excinfo.value)
    assert fake.sent == []
    # allowed: dropped, then made again with the projection the model needs
    applied = engine.apply(plan, allow_destructive=True)
    assert [(c.name, c.action) for c in applied] == [("by_email", "replace"), ("by_email", "add")]
    assert fake.table["GlobalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "ALL"}


def test_apply_refuses_impossible_changes():
    table = described(Everything)
    table["LocalSecondaryIndexes"] = []
    engine, _ = engine_on(FakeDynamo(table))
    with pytest.raises(PlanRefused, match="local index 'by_rank'"):
        engine.apply(engine.plan(Everything), allow_destructive=True)


def test_an_interrupted_apply_resumes_without_repeating_a_step():
    fake = FakeDynamo(described(Old))
    engine, _ = engine_on(fake)
    plan = engine.plan(User)

    def interrupt(progress):
        if progress.stage == "waiting":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.apply(plan, progress=interrupt)
    assert fake.sent.count("update_table") == 1  # the index is being made
    fake.sent.clear()
    applied = engine.apply(plan)  # the old plan: what is done is skipped
    assert [c.setting for c in applied] == ["stream", "ttl"]  # the index was made by the first apply
    assert fake.sent.count("update_table") == 1 and fake.sent.count("update_time_to_live") == 1
    assert not engine.plan(User)


def test_apply_stops_at_its_deadline_saying_what_was_done():
    fake = FakeDynamo(described(Old), busy=1000)
    engine, clock = engine_on(fake)
    with pytest.raises(ApplyFailed, match="deadline of 60s") as excinfo:
        engine.apply(engine.plan(User), deadline=60)
    assert excinfo.value.applied == [] and excinfo.value.change.name == "by_email"
    assert "applied before it stopped: nothing" in str(excinfo.value)
    assert clock.now <= 60


def test_apply_notices_a_step_that_did_not_take_effect():
    fake = FakeDynamo(described(Old), ignore={"update_time_to_live"}, busy=0)
    engine, _ = engine_on(fake)
    with pytest.raises(ApplyFailed, match="does not show it") as excinfo:
        engine.apply(engine.plan(User))
    assert [c.setting for c in excinfo.value.applied] == ["index", "stream"]


def test_bind_mismatch_shows_the_plan():
    fake = FakeDynamo(described(Old))
    engine, _ = engine_on(fake)
    with pytest.raises(TableMismatch) as excinfo:
        engine.bind(User)
    assert str(excinfo.value).endswith(USER_PLAN)
    assert "global secondary index 'by_email' is missing" in str(excinfo.value)
    assert len(excinfo.value.plan) == 3
    assert "update_table" not in fake.sent  # bind still only checks


def test_async_engine_plans_and_applies():
    fake = FakeDynamo(described(Old))
    clock = FakeClock()
    engine = AsyncEngine(dynamodb_client(), clock=clock, sleep=clock.async_sleep)
    engine.transport = AsyncFakeTransport(respond=fake)

    async def run():
        plan = await engine.plan(User)
        assert str(plan) == USER_PLAN
        applied = await engine.apply(plan)
        return applied, await engine.plan(User)

    applied, after = asyncio.run(run())
    assert len(applied) == 3 and not after


@pytest.mark.parametrize("body", [b"", b'""'], ids=["DynamoDB's empty body", "dynalite's JSON string"])
def test_tagging_answers_with_an_empty_body_are_successes(body):
    """DynamoDB documents TagResource and UntagResource as answering "HTTP 200 with an empty
    body" (dynalite sends ``""``): bloop's response check accepts that for them, at once."""
    from tests.unit.test_responses import Server, new_client

    client = new_client()
    server = Server(client, body)
    client.tag_resource(ResourceArn=ARN + "t", Tags=[{"Key": "a", "Value": "b"}])
    client.untag_resource(ResourceArn=ARN + "t", TagKeys=["a"])
    assert server.requests == 2  # never retried
    with pytest.raises(Exception, match="not an answer from DynamoDB"):  # other operations still check
        client.describe_table(TableName="t")


def test_index_throughput_is_planned_and_applied_on_a_provisioned_table():
    table = described(Everything, DeletionProtectionEnabled=True,
                      TableClassSummary={"TableClass": "STANDARD_INFREQUENT_ACCESS"})
    by_title = next(i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "by_title")
    by_title["ProvisionedThroughput"] = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    fake = FakeDynamo(table, ttl={"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}, pitr="ENABLED",
                      tags={"team": "games", "cost": "7"}, busy=0)
    engine, _ = engine_on(fake)
    change, = engine.plan(Everything)
    assert str(change) == "~ global index 'by_title' throughput: read 1, write 1 -> read 5, write 6  [online]"
    assert [c.action for c in engine.apply(engine.plan(Everything))] == ["update"]
    assert by_title["IndexName"] and not engine.plan(Everything)


def test_a_new_stream_view_is_two_steps_off_then_on():
    table = described(User, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    fake = FakeDynamo(table, ttl={"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}, busy=0)
    engine, _ = engine_on(fake)
    plan = engine.plan(User)
    assert str(plan.changes[0]).startswith("~ stream KEYS_ONLY -> NEW_AND_OLD_IMAGES  [destructive")
    applied = engine.apply(plan, allow_destructive=True)
    assert [(c.setting, c.action) for c in applied] == [("stream", "replace"), ("stream", "enable")]
    assert fake.table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_apply_sends_before_create_table():
    engine, _ = engine_on(FakeDynamo(None))
    seen = []

    def receiver(sender, model, table_name, request, **_):
        seen.append((sender, model, table_name, request["TableName"]))

    signals.before_create_table.connect(receiver)
    try:
        engine.apply(engine.plan(Old))
    finally:
        signals.before_create_table.disconnect(receiver)
    assert seen == [(engine, Old, "users", "users")]


def test_turning_things_off():
    class Off(BaseModel):
        class Meta:
            table_name = "off"
            backups = {"enabled": False}
            encryption = False
            deletion_protection = False

        id = Column(String, hash_key=True)

    table = described(Off, SSEDescription={"Status": "ENABLED", "SSEType": "KMS"}, DeletionProtectionEnabled=True)
    fake = FakeDynamo(table, ttl={"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}, pitr="ENABLED", busy=0)
    engine, _ = engine_on(fake)
    plan = engine.plan(Off, prune=True)
    assert [str(c) for c in plan] == [
        "- time to live on 'expires'  [online]",
        "- point-in-time recovery  [destructive: the restore points kept so far are lost]",
        "- encryption with a KMS key (back to DynamoDB's own key)  [online]",
        "- deletion protection  [online]",
    ]
    assert [c.setting for c in engine.plan(Off)] == ["backups", "encryption", "deletion protection"]  # TTL: prune
    engine.apply(plan, allow_destructive=True)
    assert not engine.plan(Off, prune=True)
    assert fake.pitr == "DISABLED" and fake.ttl == {"TimeToLiveStatus": "DISABLED"}

"""The seed example of SPEC.md runs unchanged against every backend."""
import runpy
from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed.py"


def run_seed(capsys):
    runpy.run_path(str(SEED), run_name="__main__")
    return capsys.readouterr().out.splitlines()


def test_seed_example(backend, monkeypatch, capsys):
    if backend["endpoint_url"]:
        # The seed makes its own Engine(): point botocore at the server the standard way.
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", backend["endpoint_url"])
        # Each test on a shared server needs its own table, but the seed names it
        # GameScores: start from a clean one.
        import boto3
        client = boto3.client("dynamodb", endpoint_url=backend["endpoint_url"])
        pages = client.get_paginator("list_tables").paginate()
        if "GameScores" in [n for page in pages for n in page["TableNames"]]:
            client.delete_table(TableName="GameScores")
            waiter = client.get_waiter("table_not_exists")
            waiter.wait(TableName="GameScores", WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    first = run_seed(capsys)
    assert first == [
        "Failed to load",
        "GameScores(user_id=101, game_title='Pong')",
        "GameScores(user_id=102, game_title='Doom')",
        "Saved",
        "Failed to delete",
    ]
    second = run_seed(capsys)
    assert second == ["Loaded", "Saved", "Failed to delete"]

"""A canned DynamoDB endpoint on 127.0.0.1 for the benchmark: it answers at once, from
responses built in memory, so a benchmark measures the client and nothing else.

Used when ``../shared/bench/bench/stub_server.py`` (the peer benchmark's stub, which
this one follows) is not beside the project.  Query and Scan return pages of at most
1 MB (as DynamoDB does) following ``ExclusiveStartKey``; BatchGetItem returns the
items asked for; writes succeed with nothing unprocessed; DescribeTable says ACTIVE.
Each response carries ``x-amz-crc32`` like DynamoDB's, so botocore checks it.

Run: ``python benchmarks/stub.py --port PORT``
"""
import argparse
import asyncio
import json
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workload import TABLE, hand_marshal, make_records, wire_size  # noqa: E402

try:
    import orjson

    def dumps(value):
        return orjson.dumps(value)
    loads = orjson.loads
except ImportError:  # the stub works without orjson, only more slowly
    def dumps(value):
        return json.dumps(value, separators=(",", ":")).encode()
    loads = json.loads

PAGE = 1024 * 1024
ITEMS = [hand_marshal(r) for r in make_records()]
BODIES = [dumps(item) for item in ITEMS]
SIZES = [wire_size(item) for item in ITEMS]
POSITION = {(item["pk"]["S"], item["sk"]["N"]): i for i, item in enumerate(ITEMS)}
PARTITIONS = {}
for i, item in enumerate(ITEMS):
    PARTITIONS.setdefault(item["pk"]["S"], []).append(i)
EVERYTHING = list(range(len(ITEMS)))
DESCRIPTION = {
    "TableName": TABLE, "TableStatus": "ACTIVE", "CreationDateTime": 1700000000.0,
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                             {"AttributeName": "sk", "AttributeType": "N"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
    "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0, "NumberOfDecreasesToday": 0},
    "TableSizeBytes": 0, "ItemCount": 0, "TableArn": f"arn:aws:dynamodb:us-east-1:000000000000:table/{TABLE}",
}
FIXED = {
    "BatchWriteItem": b'{"UnprocessedItems":{}}', "PutItem": b"{}", "UpdateItem": b"{}", "DeleteItem": b"{}",
    "DescribeTable": dumps({"Table": DESCRIPTION}), "CreateTable": dumps({"TableDescription": DESCRIPTION}),
    "DescribeTimeToLive": dumps({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}),
    "DescribeContinuousBackups": dumps(
        {"ContinuousBackupsDescription": {"ContinuousBackupsStatus": "DISABLED"}}),
    "ListTagsOfResource": b'{"Tags":[]}',
}
_pages = {}


def page(positions, start):
    """A Query/Scan body from ``positions[start:]``, cut at 1 MB."""
    end, size = start, 0
    while end < len(positions):
        size += SIZES[positions[end]]
        if size > PAGE and end > start:
            break
        end += 1
    body = b'{"Items":[' + b",".join(BODIES[i] for i in positions[start:end]) + \
        b'],"Count":%d,"ScannedCount":%d' % (end - start, end - start)
    if end < len(positions):
        last = ITEMS[positions[end - 1]]
        body += b',"LastEvaluatedKey":' + dumps({"pk": last["pk"], "sk": last["sk"]})
    return body + b"}"


def after(positions, start_key):
    if not start_key:
        return 0
    return positions.index(POSITION[(start_key["pk"]["S"], start_key["sk"]["N"])]) + 1


def answer(target, body):
    if target in FIXED:
        return 200, FIXED[target]
    request = loads(body) if body else {}
    if target in ("Query", "Scan"):
        if target == "Query":
            values = request.get("ExpressionAttributeValues", {}).values()
            partition = next(v["S"] for v in values if v.get("S", "").startswith("part-"))
            positions = PARTITIONS.get(partition, [])
        else:
            partition, positions = None, EVERYTHING
        start = after(positions, request.get("ExclusiveStartKey"))
        key = (target, partition, start)
        if key not in _pages:
            _pages[key] = page(positions, start)
        return 200, _pages[key]
    if target == "BatchGetItem":
        tables = []
        for table, spec in request["RequestItems"].items():
            found = b",".join(BODIES[POSITION[(k["pk"]["S"], k["sk"]["N"])]] for k in spec["Keys"])
            tables.append(dumps(table) + b":[" + found + b"]")
        return 200, b'{"Responses":{' + b",".join(tables) + b'},"UnprocessedKeys":{}}'
    if target == "GetItem":
        key = request["Key"]
        i = POSITION.get((key["pk"]["S"], key["sk"]["N"]))
        return 200, b"{}" if i is None else b'{"Item":' + BODIES[i] + b"}"
    return 400, dumps({"__type": "com.amazon.coral.service#UnknownOperationException",
                       "message": f"the benchmark stub does not answer {target}"})


class Protocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = bytearray()

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            headers = {}
            for line in bytes(self.buffer[:end]).decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4:end + 4 + length])
            del self.buffer[:end + 4 + length]
            target = headers.get("x-amz-target", "").rpartition(".")[2]
            try:
                status, payload = answer(target, body)
            except Exception as error:  # a stub bug shows as a 500
                status, payload = 500, dumps({"__type": "InternalServerError", "message": repr(error)})
            self.transport.write(
                b"HTTP/1.1 %d %s\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: %d\r\n"
                b"x-amzn-RequestId: bench\r\nx-amz-crc32: %d\r\nConnection: keep-alive\r\n\r\n"
                % (status, b"OK" if status == 200 else b"Error", len(payload), zlib.crc32(payload) & 0xFFFFFFFF)
                + payload)


async def serve(port):
    server = await asyncio.get_running_loop().create_server(Protocol, "127.0.0.1", port)
    print(f"stub on 127.0.0.1:{port} ({len(ITEMS)} items)", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))

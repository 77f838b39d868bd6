"""``make bench``: bloop against the raw botocore client, in one run, on a stub endpoint.

The workload and the stub endpoint are the peer benchmark's (``../shared/bench``) when
it is beside the project, otherwise this folder's own copies (``workload.py`` and
``stub.py``).  The stub answers from memory at once, so the figures are the clients'
own costs.  For each operation the two sides run round-robin (a warm-up each, then
rep 1 of both, rep 2 of both, ...) with a garbage collection before every rep and the
harness's inputs frozen out of the collector's view; the ratio is of the medians.

- batch write of 5,000 objects (``engine.save(list)``) vs ``batch_write_item`` of
  hand-built items; query, batch get (``engine.load``) and scan of 5,000 items into
  model objects vs the raw client's wire dicts; single-object saves (``engine.save(obj)``)
  vs ``update_item`` with a hand-written expression;
- in-process ``bloop.to_item`` / ``bloop.from_item`` vs hand-written code specialised to
  the schema;
- ``import bloop`` vs ``import boto3`` (fresh interpreters, ``-X importtime``);
- memory retained by the objects of a 5,000-item query (tracemalloc, fresh process),
  against the raw client's dicts and PynamoDB's objects when PynamoDB is installed.

Usage: ``python benchmarks/run.py [--reps 7] [--save-n 500] [--json out.json]``
(knobs also from ``BENCH_N``, ``BENCH_REPS``, ``BENCH_SAVE_N``).
"""
import argparse
import gc
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("BLOOP_PEERBENCH", os.path.join(ROOT, "..", "shared", "bench", "bench"))

# A stub endpoint needs no AWS account: fixed fake credentials, nothing from ~/.aws.
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                  AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull,
                  AWS_SHARED_CREDENTIALS_FILE=os.devnull)
for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB",
             "BLOOP_VALIDATE_REQUESTS"):
    os.environ.pop(name, None)
sys.path.insert(0, ROOT)


def _shared_usable():
    if not (os.path.isfile(os.path.join(SHARED, "common.py"))
            and os.path.isfile(os.path.join(SHARED, "stub_server.py"))):
        return False
    try:
        import orjson  # noqa: F401  (the shared stub needs it)
    except ImportError:
        return False
    return True


if _shared_usable():
    sys.path.insert(0, os.path.abspath(SHARED))
    import common as workload  # noqa: E402
    STUB = os.path.join(os.path.abspath(SHARED), "stub_server.py")
    SOURCE = "../shared/bench (workload and stub endpoint)"
else:
    sys.path.insert(0, HERE)
    import workload  # noqa: E402
    STUB = os.path.join(HERE, "stub.py")
    SOURCE = "benchmarks/ (own copy of the workload and stub endpoint)"

TABLE, REGION = workload.TABLE, workload.REGION


# ---------------------------------------------------------------------------------------
# the two sides

def chunks(seq, size):
    return [seq[i:i + size] for i in range(0, len(seq), size)]


class Raw:
    """boto3's low-level client with hand-built wire dicts; reads stay wire dicts."""

    def __init__(self, url, records):
        import boto3
        self.client = boto3.client("dynamodb", endpoint_url=url, region_name=REGION)
        self.wire = [workload.hand_marshal(r) for r in records]
        self.keys = [{"pk": w["pk"], "sk": w["sk"]} for w in self.wire]
        self.save_n = 0

    def write(self):
        for chunk in chunks(self.wire, 25):
            request = {TABLE: [{"PutRequest": {"Item": item}} for item in chunk]}
            while request:
                request = self.client.batch_write_item(RequestItems=request).get("UnprocessedItems")

    def _pages(self, call, request):
        out = []
        while True:
            response = call(**request)
            out.extend(response["Items"])
            if not response.get("LastEvaluatedKey"):
                return out
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def query(self):
        out = []
        for partition in workload.partitions():
            out += self._pages(self.client.query, {
                "TableName": TABLE, "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": partition}}})
        return out

    def batch_get(self):
        out = []
        for chunk in chunks(self.keys, 100):
            request = {TABLE: {"Keys": chunk}}
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                out.extend(response["Responses"].get(TABLE, ()))
                request = response.get("UnprocessedKeys")
        return out

    def scan(self):
        return self._pages(self.client.scan, {"TableName": TABLE})

    def save(self):
        for item in self.wire[:self.save_n]:
            names, values, sets = {}, {}, []
            for i, (name, value) in enumerate(item.items()):
                if name not in ("pk", "sk"):
                    names[f"#n{i}"], values[f":v{i}"] = name, value
                    sets.append(f"#n{i}=:v{i}")
            self.client.update_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]},
                                    UpdateExpression="SET " + ", ".join(sets),
                                    ExpressionAttributeNames=names, ExpressionAttributeValues=values)

    @staticmethod
    def key(wire):
        return wire["pk"]["S"], int(wire["sk"]["N"])


class Bloop:
    """bloop through its public API, with the client the engine makes for itself."""

    def __init__(self, url, records):
        from bloop import Boolean, Column, Engine, Float, Integer, List, Map, Set, String, Timestamp
        self.engine = Engine(endpoint_url=url or "http://127.0.0.1:9", region_name=REGION)

        class Item(self.engine.model):
            class Meta:
                table_name = TABLE
            pk = Column(String, hash_key=True)
            sk = Column(Integer, range_key=True)
            title = Column(String)
            qty = Column(Integer)
            score = Column(Float)
            active = Column(Boolean)
            tags = Column(Set(String))
            nums = Column(List(Integer))
            info = Column(Map(color=String, size=Integer, ok=Boolean))
            ts = Column(Timestamp)
            blob = Column(String)

        self.Item = Item
        if url is not None:
            self.engine.bind()
        self.objs = [Item(**{**r, "tags": set(r["tags"]), "nums": list(r["nums"]), "info": dict(r["info"])})
                     for r in records]
        self.keys = [(r["pk"], r["sk"]) for r in records]
        self.save_n = 0

    def write(self):
        self.engine.save(self.objs)

    def query(self):
        out, Item = [], self.Item
        for partition in workload.partitions():
            out.extend(self.engine.query(Item).key(Item.pk == partition))
        return out

    def batch_get(self):
        objs = [self.Item(pk=pk, sk=sk) for pk, sk in self.keys]
        self.engine.load(objs)
        return objs

    def scan(self):
        return list(self.engine.scan(self.Item))

    def save(self):
        for obj in self.objs[:self.save_n]:
            self.engine.save(obj)

    @staticmethod
    def key(obj):
        return obj.pk, obj.sk


# ---------------------------------------------------------------------------------------
# measuring

def timed(fn):
    gc.collect()
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def round_robin(sides, reps, warmup=1, check=None):
    """{side: median seconds} of ``fn`` for each side, run round-robin."""
    runs = {name: [] for name in sides}
    for name, fn in sides.items():
        for i in range(warmup):
            _, result = timed(fn)
            if check is not None and i == 0:
                check(name, result)
            del result
    for _ in range(reps):
        for name, fn in sides.items():
            seconds, result = timed(fn)
            runs[name].append(seconds)
            del result
    return {name: statistics.median(values) for name, values in runs.items()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_stub():
    port = free_port()
    process = subprocess.Popen([sys.executable, STUB, "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the stub endpoint exited: {process.stderr.read().decode()[-500:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the stub endpoint did not start")


def stop_stub(process):
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def network(url, records, reps, save_n):
    expected = {(r["pk"], r["sk"]) for r in records}
    sides = {"bloop": Bloop(url, records), "raw": Raw(url, records)}
    for side in sides.values():
        side.save_n = save_n

    def check(name, result):
        got = [sides[name].key(x) for x in result]
        if len(got) != len(expected) or set(got) != expected:
            raise AssertionError(f"{name}: {len(got)} results, not the {len(expected)} expected")

    gc.collect()
    gc.freeze()
    out = {}
    for op in ("write", "query", "batch_get", "scan", "save"):
        print(f"  {op} ...", file=sys.stderr, flush=True)
        out[op] = round_robin({name: getattr(side, op) for name, side in sides.items()},
                              reps if op != "save" else max(3, reps // 2), warmup=0 if op == "save" else 1,
                              check=check if op in ("query", "batch_get", "scan") else None)
    gc.unfreeze()
    return out


def inproc(records, reps):
    import bloop
    side = Bloop(None, records)
    wire = [workload.hand_marshal(r) for r in records]
    objs, Item = side.objs, side.Item

    def same_sets(item):  # a string set's order is the Python set's
        return {name: {"SS": sorted(v["SS"])} if "SS" in v else v for name, v in item.items()}
    assert [same_sets(bloop.to_item(o)) for o in objs] == [same_sets(w) for w in wire]
    loaded = [bloop.from_item(Item, w) for w in wire]
    assert [(o.pk, o.sk, o.ts, o.info) for o in loaded] == \
        [(r["pk"], r["sk"], r["ts"], r["info"]) for r in records]
    del loaded
    gc.collect()
    gc.freeze()
    out = {
        "to_item": round_robin({"bloop": lambda: [bloop.to_item(o) for o in objs],
                                "raw": lambda: [workload.hand_marshal(r) for r in records]}, reps),
        "from_item": round_robin({"bloop": lambda: [bloop.from_item(Item, w) for w in wire],
                                  "raw": lambda: [workload.hand_unmarshal(w) for w in wire]}, reps),
    }
    gc.unfreeze()
    return out


def import_ms(module, runs=5):
    """The cumulative import time of ``module`` in a fresh interpreter (best of ``runs``)."""
    best = None
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                              capture_output=True, text=True, cwd=ROOT, check=True)
        lines = [line for line in done.stderr.splitlines() if line.startswith("import time:") and "|" in line]
        top = [line for line in lines if line.split("|")[2].rstrip() == " " + module]
        if top:
            ms = int(top[-1].split("|")[1]) / 1000
            best = ms if best is None else min(best, ms)
    return best


def memory(side_name, url):
    """MiB retained by the results of a query of every item (run in a fresh process)."""
    import tracemalloc
    records = workload.make_records()
    if side_name == "pynamodb":
        side = _pynamodb(url)
    else:
        side = {"bloop": Bloop, "raw": Raw}[side_name](url, records)
    warm = side.query()  # one-time lazy set-up is not counted
    del warm
    gc.collect()
    tracemalloc.start()
    result = side.query()
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(result) == len(records)
    return current / 2 ** 20


def _pynamodb(url):
    from pynamodb.attributes import (BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute,
                                     TTLAttribute, UnicodeAttribute, UnicodeSetAttribute)
    from pynamodb.models import Model

    class Info(MapAttribute):
        color = UnicodeAttribute()
        size = NumberAttribute()
        ok = BooleanAttribute()

    class PItem(Model):
        class Meta:
            table_name, host, region = TABLE, url, REGION
        pk = UnicodeAttribute(hash_key=True)
        sk = NumberAttribute(range_key=True)
        title = UnicodeAttribute()
        qty = NumberAttribute()
        score = NumberAttribute()
        active = BooleanAttribute()
        tags = UnicodeSetAttribute()
        nums = ListAttribute(of=NumberAttribute)
        info = Info()
        ts = TTLAttribute()
        blob = UnicodeAttribute()

    class Side:
        def query(self):
            out = []
            for partition in workload.partitions():
                out.extend(PItem.query(partition))
            return out
    return Side()


def memory_in_subprocess(side_name, url):
    done = subprocess.run([sys.executable, __file__, "--memory", side_name, "--url", url],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return None
    return float(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------
# report

TARGETS = [  # label, section, op, max ratio
    ("batch write of N objects", "network", "write", 0.60),
    ("query of N into objects", "network", "query", 0.25),
    ("batch get of N into objects", "network", "batch_get", 0.40),
    ("scan of N into objects", "network", "scan", 0.25),
    ("single-object save (each)", "network", "save", 1.20),
    ("bloop.to_item vs hand-written", "inproc", "to_item", 2.0),
    ("bloop.from_item vs hand-written", "inproc", "from_item", 2.0),
]


def report(results):
    rows, met = [], 0
    for label, section, op, target in TARGETS:
        medians = results[section][op]
        ratio = medians["bloop"] / medians["raw"]
        ok = ratio <= target
        met += ok
        rows.append((label, f"{medians['bloop'] * 1000:.1f} ms", f"{medians['raw'] * 1000:.1f} ms",
                     f"{ratio:.2f}x", f"<= {target:.2f}x", "met" if ok else "MISSED"))
    bloop_ms, boto3_ms = results["import"]["bloop"], results["import"]["boto3"]
    if bloop_ms is not None and boto3_ms is not None:
        ok = bloop_ms <= boto3_ms + 50
        met += ok
        rows.append(("import bloop vs import boto3", f"{bloop_ms:.0f} ms", f"{boto3_ms:.0f} ms",
                     f"{bloop_ms - boto3_ms:+.0f} ms", "<= +50 ms", "met" if ok else "MISSED"))
    mem = results["memory"]
    if mem.get("bloop") is not None and mem.get("raw") is not None:
        rows.append(("memory: objects of a query of N", f"{mem['bloop']:.1f} MiB",
                     f"{mem['raw']:.1f} MiB (wire dicts)", f"{mem['bloop'] / mem['raw']:.2f}x", "-", "-"))
    if mem.get("bloop") is not None and mem.get("pynamodb") is not None:
        ok = mem["bloop"] <= mem["pynamodb"]
        met += ok
        rows.append(("memory vs PynamoDB's objects", f"{mem['bloop']:.1f} MiB", f"PynamoDB {mem['pynamodb']:.1f} MiB",
                     f"{mem['bloop'] / mem['pynamodb']:.2f}x", "<= 1.00x", "met" if ok else "MISSED"))
    print()
    print("| measure | bloop | raw botocore (same run) | ratio | target | |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    targets = sum(1 for row in rows if row[-1] != "-")
    print(f"\n{met} of {targets} targets met.  {results['machine']}")


def machine():
    import botocore
    try:
        import orjson
        fast = f"orjson {orjson.__version__}"
    except ImportError:
        fast = "no orjson (json fallback)"
    return (f"N={workload.N_ITEMS}, {os.cpu_count()} CPUs ({platform.machine()}), Python "
            f"{platform.python_version()}, botocore {botocore.__version__}, {fast}; workload from {SOURCE}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "7")))
    parser.add_argument("--save-n", type=int, default=int(os.environ.get("BENCH_SAVE_N", "500")))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--memory", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        print(memory(args.memory, args.url))
        return
    records = workload.make_records()
    results = {"machine": machine()}
    print(f"bloop benchmark: {results['machine']}", file=sys.stderr)
    print("in-process conversion ...", file=sys.stderr, flush=True)
    results["inproc"] = inproc(records, args.reps)
    process, url = start_stub()
    try:
        print(f"stub endpoint {url} ...", file=sys.stderr, flush=True)
        results["network"] = network(url, records, args.reps, args.save_n)
        print("memory ...", file=sys.stderr, flush=True)
        results["memory"] = {side: memory_in_subprocess(side, url) for side in ("bloop", "raw", "pynamodb")}
    finally:
        stop_stub(process)
    print("import time ...", file=sys.stderr, flush=True)
    results["import"] = {"bloop": import_ms("bloop"), "boto3": import_ms("boto3")}
    report(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

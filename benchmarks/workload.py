"""The benchmark workload: 5,000 items of eleven mixed attributes in five partitions.

The same records as ``../shared/bench/bench/common.py`` (same seed and schema), so
figures compare with the peer benchmark.  ``hand_marshal`` / ``hand_unmarshal`` are the
hand-written, schema-specialised conversions that bloop's codecs are measured against.
"""
import datetime
import os
import random
import string

TABLE = "bench"
REGION = "us-east-1"
N_ITEMS = int(os.environ.get("BENCH_N", "5000"))
N_PARTS = 5
UTC = datetime.timezone.utc
TS_BASE = 1_700_000_000
COLORS = ["red", "green", "blue", "cyan", "magenta", "yellow", "black", "white"]


def make_records(n=N_ITEMS, parts=N_PARTS, seed=20240601):
    rnd = random.Random(seed)
    alphabet = string.ascii_letters + string.digits
    out = []
    for p in range(parts):
        for s in range(n // parts):
            out.append({
                "pk": f"part-{p}",
                "sk": s,
                "title": f"title-{p}-{s}-{rnd.randrange(10**6)}",
                "qty": rnd.randrange(10**6),
                "score": round(rnd.uniform(0, 1000), 3),
                "active": rnd.random() < 0.5,
                "tags": {f"tag{rnd.randrange(50)}" for _ in range(3)},
                "nums": [rnd.randrange(1000) for _ in range(5)],
                "info": {"color": rnd.choice(COLORS), "size": rnd.randrange(100), "ok": rnd.random() < 0.5},
                "ts": datetime.datetime.fromtimestamp(TS_BASE + rnd.randrange(10**7), tz=UTC),
                "blob": "".join(rnd.choice(alphabet) for _ in range(200)),
            })
    return out


def partitions():
    return [f"part-{p}" for p in range(N_PARTS)]


def hand_marshal(r):
    info = r["info"]
    return {
        "pk": {"S": r["pk"]},
        "sk": {"N": str(r["sk"])},
        "title": {"S": r["title"]},
        "qty": {"N": str(r["qty"])},
        "score": {"N": repr(r["score"])},
        "active": {"BOOL": r["active"]},
        "tags": {"SS": list(r["tags"])},
        "nums": {"L": [{"N": str(x)} for x in r["nums"]]},
        "info": {"M": {"color": {"S": info["color"]}, "size": {"N": str(info["size"])},
                       "ok": {"BOOL": info["ok"]}}},
        "ts": {"N": str(int(r["ts"].timestamp()))},
        "blob": {"S": r["blob"]},
    }


_fromtimestamp = datetime.datetime.fromtimestamp


def hand_unmarshal(w):
    info = w["info"]["M"]
    return {
        "pk": w["pk"]["S"],
        "sk": int(w["sk"]["N"]),
        "title": w["title"]["S"],
        "qty": int(w["qty"]["N"]),
        "score": float(w["score"]["N"]),
        "active": w["active"]["BOOL"],
        "tags": set(w["tags"]["SS"]),
        "nums": [int(x["N"]) for x in w["nums"]["L"]],
        "info": {"color": info["color"]["S"], "size": int(info["size"]["N"]), "ok": info["ok"]["BOOL"]},
        "ts": _fromtimestamp(int(w["ts"]["N"]), UTC),
        "blob": w["blob"]["S"],
    }


def wire_size(w):
    """DynamoDB's approximate size of a wire item, for paging at 1 MB like the service."""
    def size(value):
        (kind, inner), = value.items()
        if kind == "S":
            return len(inner.encode())
        if kind == "N":
            return len(inner.lstrip("-").replace(".", "")) // 2 + 1
        if kind in ("BOOL", "NULL"):
            return 1
        if kind in ("SS", "NS"):
            return sum(len(x.encode()) if kind == "SS" else len(x) // 2 + 1 for x in inner)
        if kind == "L":
            return 3 + sum(1 + size(x) for x in inner)
        if kind == "M":
            return 3 + sum(1 + len(k.encode()) + size(x) for k, x in inner.items())
        raise ValueError(kind)
    return sum(len(name.encode()) + size(value) for name, value in w.items())

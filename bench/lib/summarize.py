#!/usr/bin/env python3
"""Combines bench/run.sh's per-pass JSON files into latest.json and prints the table.

Usage: summarize.py PARTS_DIR OUT_JSON. Medians over repetitions; ratios as defined in
docs/benchmarks.md. Missing passes give null values and "missing" verdicts.
"""
import glob
import json
import os
import statistics
import sys
from datetime import datetime, timezone

parts, out = sys.argv[1], sys.argv[2]


def read(name):
    p = os.path.join(parts, name)
    if not os.path.exists(p) or os.path.getsize(p) == 0:
        return {}
    with open(p) as f:
        return json.load(f)


def served(name):
    reps = []
    for p in sorted(glob.glob(os.path.join(parts, "served-%s-*.json" % name))):
        with open(p) as f:
            reps.append(json.load(f))
    ok = [r for r in reps if r.get("succeeded", 0) > 0]
    if not ok:
        return None
    return {
        "images_per_s": statistics.median(r["tps"] for r in ok),
        "p50_ms": statistics.median(r["latency_ms"]["p50"] for r in ok),
        "p99_ms": statistics.median(r["latency_ms"]["p99"] for r in ok),
        "errors": sum(r.get("errors", 0) for r in reps),
        "reps": len(ok),
    }


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def rnd(v, n=3):
    return None if v is None else round(v, n)


meta = {**read("meta.json"), **read("meta-end.json")}
inproc = read("inprocess.json")
pf = read("pf.json")
kb = read("keybroker.json")
s = {n: served(n) for n in ["grpc_b1", "grpc_b8", "grpc_b32", "rest_b1", "c16_unbatched",
                            "c16_batched", "tls_b1", "tls_b32"]}


def sv(n, k="images_per_s"):
    return None if s.get(n) is None else s[n][k]


key_release = None
for k, v in kb.items():
    if "p50" in k and isinstance(v, (int, float)):
        key_release = v
        break

res = {
    "served_vs_inprocess": rnd(ratio(sv("grpc_b32"), inproc.get("raw_b32_images_per_s"))),
    "confidential_vs_plain": rnd(ratio(sv("tls_b32"), sv("grpc_b32"))),
    "batching_gain": rnd(ratio(sv("c16_batched"), sv("c16_unbatched"))),
    "added_p50_ms": rnd(None if sv("grpc_b1", "p50_ms") is None
                        or inproc.get("raw_b1_p50_ms") is None
                        else sv("grpc_b1", "p50_ms") - inproc["raw_b1_p50_ms"]),
    "rest_vs_grpc": rnd(ratio(sv("rest_b1"), sv("grpc_b1"))),
    "decrypt_mb_s": rnd(pf.get("decrypt_mb_s"), 1),
    "encrypted_load_ratio": rnd(ratio(inproc.get("encrypted_load_ms"), inproc.get("plain_load_ms"))),
    "key_release_p50_ms": rnd(key_release),
    "inprocess_images_per_s": rnd(inproc.get("raw_b32_images_per_s"), 2),
}
targets = {
    "served_vs_inprocess": (">=", 0.97),
    "confidential_vs_plain": (">=", 0.98),
    "batching_gain": (">=", 1.4),
    "added_p50_ms": ("<=", 1.0),
    "rest_vs_grpc": (">=", 0.9),
}
verdicts = {}
for k, (op, t) in targets.items():
    v = res[k]
    verdicts[k] = "missing" if v is None else (
        "pass" if (v >= t if op == ">=" else v <= t) else "miss")

table = {
    "inprocess": inproc,
    "served": s,
    "served_vs_inprocess_by_batch": {
        b: rnd(ratio(sv("grpc_b%d" % b), inproc.get("raw_b%d_images_per_s" % b)))
        for b in (1, 8, 32)},
    "served_vs_predict_by_batch": {
        b: rnd(ratio(sv("grpc_b%d" % b), inproc.get("predict_b%d_images_per_s" % b)))
        for b in (1, 8, 32)},
    "confidential_vs_plain_b1": rnd(ratio(sv("tls_b1"), sv("grpc_b1"))),
    "pf": pf,
    "keybroker": kb or "missing (bench/keybroker/run.sh not present or failed)",
}
doc = {
    **res,
    "targets": {k: {"op": op, "value": t, "verdict": verdicts[k]}
                for k, (op, t) in targets.items()},
    "mode": meta.get("mode"),
    "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "started": meta.get("started"),
    "load_average": "start %s / end %s" % (meta.get("load_start"), meta.get("load_end")),
    "confidential_mode": meta.get("confidential_mode"),
    "machine": "%d CPUs" % os.cpu_count(),
    "table": table,
}
with open(out, "w") as f:
    json.dump(doc, f, indent=2, sort_keys=False)
    f.write("\n")

print("ccserve benchmark (%s run), load average %s" % (doc["mode"], doc["load_average"]))
print("%-24s %12s  %-10s %s" % ("figure", "value", "target", "verdict"))
for k in res:
    t = targets.get(k)
    print("%-24s %12s  %-10s %s" % (k, "missing" if res[k] is None else res[k],
                                    "%s %s" % t if t else "-", verdicts.get(k, "")))
print()
print("%-16s %12s %10s %10s" % ("pass", "images/s", "p50 ms", "p99 ms"))
for b in (1, 8, 32):
    for kind in ("raw", "predict"):
        v = inproc.get("%s_b%d_images_per_s" % (kind, b))
        if v is not None:
            print("%-16s %12.2f %10.1f %10s" % ("inproc_%s_b%d" % (kind, b), v,
                                                inproc["%s_b%d_p50_ms" % (kind, b)], "-"))
for n, v in s.items():
    if v:
        print("%-16s %12.2f %10.1f %10.1f" % (n, v["images_per_s"], v["p50_ms"], v["p99_ms"]))
    else:
        print("%-16s %12s" % (n, "missing"))
if "plain_load_ms" in inproc:
    print("model load: plain %.0f ms, encrypted %.0f ms (median)" % (
        inproc["plain_load_ms"], inproc["encrypted_load_ms"]))

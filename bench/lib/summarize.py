#!/usr/bin/env python3
"""Combines bench/run.sh's per-pass JSON files into latest.json and prints the table.

Usage: summarize.py PARTS_DIR OUT_JSON. Each ratio is formed within one round (passes run back
to back) and the median over rounds is reported; absolute figures are medians over rounds.
CPU-based ratios use the serving process's CPU time per image (client excluded) against the
in-process JVM's CPU time per image. Missing passes give null values and "missing" verdicts.
"""
import glob
import json
import os
import re
import statistics
import sys
from datetime import datetime, timezone

parts, out = sys.argv[1], sys.argv[2]
PASSES = ["grpc_b1", "grpc_b8", "grpc_b32", "rest_b1", "tls_b1", "tls_b32", "c16_unbatched",
          "c16_batched"]
BATCH = {"grpc_b1": 1, "grpc_b8": 8, "grpc_b32": 32, "rest_b1": 1, "tls_b1": 1, "tls_b32": 32,
         "c16_unbatched": 1, "c16_batched": 1}


def read(path):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return {}
    with open(path) as f:
        return json.load(f)


def med(vals):
    v = [x for x in vals if x is not None]
    return statistics.median(v) if v else None


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def rnd(v, n=3):
    return None if v is None else round(v, n)


rounds = sorted({int(m.group(1)) for p in glob.glob(os.path.join(parts, "inprocess-*.json"))
                 for m in [re.search(r"inprocess-(\d+)\.json$", p)] if m})
R = {}
for r in rounds:
    d = {"inprocess": read(os.path.join(parts, "inprocess-%d.json" % r))}
    for n in PASSES:
        rep = read(os.path.join(parts, "served-%s-%d.json" % (n, r)))
        cpu = read(os.path.join(parts, "cpu-%s-%d.json" % (n, r)))
        if rep.get("succeeded", 0) > 0:
            images = rep["succeeded"] * BATCH[n]
            d[n] = {"images_per_s": rep["tps"], "p50_ms": rep["latency_ms"]["p50"],
                    "p99_ms": rep["latency_ms"]["p99"], "errors": rep.get("errors", 0),
                    "server_cpu_ms_per_image": (cpu["server_cpu_s"] * 1000 / images
                                                if "server_cpu_s" in cpu else None)}
        else:
            d[n] = None
    R[r] = d


def tp(d, n, k="images_per_s"):
    return None if d.get(n) is None else d[n][k]


def per_round(f):
    return med(f(R[r]) for r in rounds)


res = {
    "served_vs_inprocess": rnd(per_round(
        lambda d: ratio(tp(d, "grpc_b32"), d["inprocess"].get("raw_b32_images_per_s")))),
    "confidential_vs_plain": rnd(per_round(lambda d: ratio(tp(d, "tls_b32"), tp(d, "grpc_b32")))),
    "batching_gain": rnd(per_round(
        lambda d: ratio(tp(d, "c16_batched"), tp(d, "c16_unbatched")))),
    "added_p50_ms": rnd(per_round(
        lambda d: None if tp(d, "grpc_b1", "p50_ms") is None
        or d["inprocess"].get("raw_b1_p50_ms") is None
        else tp(d, "grpc_b1", "p50_ms") - d["inprocess"]["raw_b1_p50_ms"])),
    "rest_vs_grpc": rnd(per_round(lambda d: ratio(tp(d, "rest_b1"), tp(d, "grpc_b1")))),
}
pf = read(os.path.join(parts, "pf.json"))
kb = read(os.path.join(parts, "keybroker.json"))
load = read(os.path.join(parts, "load.json"))
ttr = read(os.path.join(parts, "ttr.json"))
key_release = next((v for k, v in kb.items() if "p50" in k and isinstance(v, (int, float))), None)
res.update({
    "decrypt_mb_s": rnd(pf.get("decrypt_mb_s"), 1),
    "encrypted_load_ratio": rnd(ratio(load.get("encrypted_load_ms"), load.get("plain_load_ms"))),
    "key_release_p50_ms": rnd(key_release),
    "time_to_ready_ms": ttr.get("time_to_ready_p50_ms"),
    "time_to_ready_plain_ms": ttr.get("time_to_ready_plain_p50_ms"),
    "inprocess_images_per_s": rnd(per_round(
        lambda d: d["inprocess"].get("raw_b32_images_per_s")), 2),
})


def cpu(d, n):
    return tp(d, n, "server_cpu_ms_per_image")


cpu_ratios = {
    # higher is better, as for the wall-clock ratios
    "served_vs_inprocess_b32": rnd(per_round(
        lambda d: ratio(d["inprocess"].get("raw_b32_cpu_ms_per_image"), cpu(d, "grpc_b32")))),
    "served_vs_inprocess_b1": rnd(per_round(
        lambda d: ratio(d["inprocess"].get("raw_b1_cpu_ms_per_image"), cpu(d, "grpc_b1")))),
    "confidential_vs_plain_b32": rnd(per_round(lambda d: ratio(cpu(d, "grpc_b32"),
                                                               cpu(d, "tls_b32")))),
    "confidential_vs_plain_b1": rnd(per_round(lambda d: ratio(cpu(d, "grpc_b1"),
                                                              cpu(d, "tls_b1")))),
    "batching_gain": rnd(per_round(lambda d: ratio(cpu(d, "c16_unbatched"),
                                                   cpu(d, "c16_batched")))),
    "rest_vs_grpc_b1": rnd(per_round(lambda d: ratio(cpu(d, "grpc_b1"), cpu(d, "rest_b1")))),
}
targets = {
    "served_vs_inprocess": (">=", 0.97),
    "confidential_vs_plain": (">=", 0.98),
    "batching_gain": (">=", 1.4),
    "added_p50_ms": ("<=", 1.0),
    "rest_vs_grpc": (">=", 0.9),
    "encrypted_load_ratio": ("<=", 1.15),
    "key_release_p50_ms": ("<=", 100.0),
}
verdicts = {}
for k, (op, t) in targets.items():
    v = res[k]
    verdicts[k] = "missing" if v is None else (
        "pass" if (v >= t if op == ">=" else v <= t) else "miss")

inproc_keys = sorted({k for r in rounds for k in R[r]["inprocess"] if k != "bench"})
table = {
    "rounds": len(rounds),
    "inprocess_median": {k: rnd(per_round(lambda d: d["inprocess"].get(k))) for k in inproc_keys},
    "served_median": {n: {k: rnd(per_round(lambda d: tp(d, n, k)))
                          for k in ("images_per_s", "p50_ms", "p99_ms", "server_cpu_ms_per_image")}
                      for n in PASSES},
    "served_vs_inprocess_by_batch": {b: rnd(per_round(lambda d: ratio(
        tp(d, "grpc_b%d" % b), d["inprocess"].get("raw_b%d_images_per_s" % b)))) for b in (1, 8, 32)},
    "served_vs_predict_by_batch": {b: rnd(per_round(lambda d: ratio(
        tp(d, "grpc_b%d" % b), d["inprocess"].get("predict_b%d_images_per_s" % b)))) for b in (1, 8, 32)},
    "confidential_vs_plain_b1": rnd(per_round(lambda d: ratio(tp(d, "tls_b1"), tp(d, "grpc_b1")))),
    "cpu_ratios": cpu_ratios,
    "model_load_ms": load,
    "batcher": read(os.path.join(parts, "batching-metrics.json")),
    "pf": pf,
    "keybroker": kb or "missing (bench/keybroker/run.sh not present or failed)",
    "time_to_ready": ttr or "missing (bench/keybroker/ready.sh failed)",
    "per_round": R,
}
meta = {**read(os.path.join(parts, "meta.json")), **read(os.path.join(parts, "meta-end.json"))}
doc = {
    **res,
    "targets": {k: {"op": op, "value": t, "verdict": verdicts[k]} for k, (op, t) in targets.items()},
    "mode": meta.get("mode"),
    "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "started": meta.get("started"),
    "load_average": "start %s / end %s" % (meta.get("load_start"), meta.get("load_end")),
    "confidential_mode": meta.get("confidential_mode"),
    "machine": "%d CPUs" % os.cpu_count(),
    "table": table,
}
with open(out, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")

print("ccserve benchmark (%s run, %d round(s)), load average %s"
      % (doc["mode"], len(rounds), doc["load_average"]))
print("%-24s %10s  %-9s %-8s %s" % ("figure", "value", "target", "verdict", "CPU-time ratio"))
cpu_for = {"served_vs_inprocess": "served_vs_inprocess_b32",
           "confidential_vs_plain": "confidential_vs_plain_b32",
           "batching_gain": "batching_gain", "rest_vs_grpc": "rest_vs_grpc_b1"}
for k in res:
    t = targets.get(k)
    print("%-24s %10s  %-9s %-8s %s" % (k, "missing" if res[k] is None else res[k],
                                        "%s %s" % t if t else "-", verdicts.get(k, ""),
                                        cpu_ratios.get(cpu_for.get(k), "") or ""))
print()
print("%-18s %10s %10s %10s %12s" % ("pass (median)", "images/s", "p50 ms", "p99 ms",
                                      "CPU ms/img"))
im = table["inprocess_median"]
for b in (1, 8, 32):
    for kind in ("raw", "predict"):
        v = im.get("%s_b%d_images_per_s" % (kind, b))
        if v is not None:
            print("%-18s %10.2f %10.1f %10s %12.1f" % (
                "inproc_%s_b%d" % (kind, b), v, im["%s_b%d_p50_ms" % (kind, b)], "-",
                im.get("%s_b%d_cpu_ms_per_image" % (kind, b)) or 0))
for n, v in table["served_median"].items():
    if v["images_per_s"] is not None:
        print("%-18s %10.2f %10.1f %10.1f %12s" % (n, v["images_per_s"], v["p50_ms"], v["p99_ms"],
                                                   v["server_cpu_ms_per_image"]))
if table["batcher"]:
    print("batcher: %s" % table["batcher"])
if load:
    print("model load: plain %.0f ms, encrypted %.0f ms (medians of %s pairs; median of the "
          "pairs' own ratios %s)" % (load["plain_load_ms"], load["encrypted_load_ms"],
                                     load.get("load_pairs", "?"),
                                     load.get("load_pair_ratio_median", "?")))

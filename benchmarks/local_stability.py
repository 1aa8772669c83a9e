# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""How stable is the local benchmark, and does it agree with a long measurement of the same servers?

Run through ``benchmarks/local_stability``. Each run is a pair, order alternating: playbooks/benchmark.yml with
the local inventory's settings (what ``make run`` measures: levels 1 and 16, lengthened while not valid), and
one long level at the highest concurrency of those settings (``--long`` s, same workload, no lengthening).
Prints every run's ratios (vLLM texts/s over Caikit texts/s) with their validity, then per ratio the median and
the spread (min-max, and max-min over the median), and the agreement of the two concurrency-16 ratios
(|short / long - 1| per run, and of the medians). Exit status 1 when the medians are more than
``--agreement`` apart (default 0.25).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import statistics
import sys
import tempfile

from bench_common import load_average, machine, run_playbook, start_local_servers, vllm_version


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True, help=argparse.SUPPRESS)
    parser.add_argument("--vllm-url", help="vLLM base URL; without it and --caikit-url, the local servers are started")
    parser.add_argument("--caikit-url", help="Caikit base URL")
    parser.add_argument("--model", default="minilm", help="catalog key, served and Caikit model name (default: minilm)")
    parser.add_argument("--runs", type=int, default=5, help="pairs of measurements, at least 3 (default: 5)")
    parser.add_argument("--long", type=int, default=30, help="seconds of the long level (default: 30)")
    parser.add_argument("--extra", type=json.loads, default={},
                        help="JSON of benchmark settings for both measurements, e.g. '{\"benchmark_batch_size\": 32}'")
    parser.add_argument("--agreement", type=float, default=0.25, help="allowed relative gap of the medians (default: 0.25)")
    args = parser.parse_args()
    if args.runs < 3:
        parser.error("--runs must be at least 3 (the figures are medians)")
    if bool(args.vllm_url) != bool(args.caikit_url):
        parser.error("give both --vllm-url and --caikit-url, or neither")
    return args


def benchmark(root, workdir, args, urls, settings):
    """One playbooks/benchmark.yml run; returns its performance record of ``args.model``."""
    reports = tempfile.mkdtemp(dir=workdir, prefix="reports-")
    extra = dict(settings, vllm_migration_candidate_url=urls["vllm"], vllm_migration_reference_url=urls["caikit"],
                 vllm_migration_benchmark_model=args.model, vllm_migration_reference_model=args.model,
                 vllm_migration_report_dir=reports)
    done = run_playbook(root, "benchmark.yml", extra)
    found = glob.glob(os.path.join(reports, "benchmark-*", "benchmark.json"))
    if done.returncode != 0 or not found:
        sys.exit("playbooks/benchmark.yml failed:\n" + done.stdout[-3000:])
    with open(found[0]) as handle:
        return json.load(handle)[args.model]


def by_concurrency(record):
    return {level["concurrency"]: level for level in record["levels"]}


def describe(level):
    ref, cand = level["reference"], level["candidate"]
    reason = level.get("invalid_reason") or ""
    verdict = "valid" if level.get("valid") else "INVALID (%s)" % (reason if len(reason) < 120 else reason[:117] + "...")
    return "c%d %s x (vLLM %.1f, Caikit %.1f texts/s; windows %.0f/%.0f s; %s)" % (
        level["concurrency"], "%.2f" % level["ratio"] if level["ratio"] is not None else "n/a",
        cand["texts_per_s"] or 0, ref["texts_per_s"] or 0, cand["window_s"], ref["window_s"], verdict)


def spread(name, values):
    values = [v for v in values if v is not None]
    if not values:
        return "  %s: no value" % name
    median = statistics.median(values)
    return "  %s: median %.2f, min %.2f, max %.2f, spread %.0f%% of the median (%d runs)" % (
        name, median, min(values), max(values), 100.0 * (max(values) - min(values)) / median, len(values))


def main():
    args = parse_args()
    root = args.root
    workdir = tempfile.mkdtemp(prefix="local_stability-")
    started = None
    try:
        urls = {"vllm": args.vllm_url, "caikit": args.caikit_url}
        if not args.vllm_url:
            started, urls = start_local_servers(root, workdir, args.model)
        print("machine: %s; vLLM %s; load average at start %s" % (machine(), vllm_version(urls["vllm"]), load_average()),
              flush=True)
        short_settings = dict(args.extra)  # the local inventory's benchmark settings (make run's), unless --extra says

        ratios = {"c1": [], "c16": [], "long": []}
        gaps = []
        for run in range(args.runs):
            order = ("short", "long") if run % 2 == 0 else ("long", "short")
            records = {}
            for which in order:
                if which == "short":
                    records["short"] = benchmark(root, workdir, args, urls, short_settings)
                else:
                    high = max(by_concurrency(records["short"])) if "short" in records else 16
                    records["long"] = benchmark(root, workdir, args, urls, dict(
                        args.extra, benchmark_levels=[high], benchmark_duration=args.long, benchmark_max_duration=args.long))
            short, long_ = by_concurrency(records["short"]), by_concurrency(records["long"])
            high = max(short)
            for name, level in (("c1", short.get(1)), ("c16", short[high]), ("long", long_[max(long_)])):
                ratios[name].append(level["ratio"] if level and level.get("valid") else None)
            gap = (abs(short[high]["ratio"] / long_[max(long_)]["ratio"] - 1.0)
                   if short[high].get("valid") and long_[max(long_)].get("valid") else None)
            gaps.append(gap)
            print("run %d of %d (load average %s):" % (run + 1, args.runs, load_average()), flush=True)
            for level in records["short"]["levels"]:
                print("  local settings: %s" % describe(level))
            print("  %d s level:      %s" % (args.long, describe(long_[max(long_)])))
            print("  concurrency %d, local settings against %d s: %s" % (
                high, args.long, "%.0f%% apart" % (100 * gap) if gap is not None else "not comparable (an invalid level)"),
                flush=True)
        print("summary over %d runs (ratio = vLLM texts/s / Caikit texts/s; invalid levels left out):" % args.runs)
        print(spread("concurrency 1, local settings", ratios["c1"]))
        print(spread("concurrency 16, local settings", ratios["c16"]))
        print(spread("concurrency 16, %d s level" % args.long, ratios["long"]))
        known = [g for g in gaps if g is not None]
        medians = [statistics.median(values) if values else None
                   for values in ([v for v in ratios[k] if v is not None] for k in ("c16", "long"))]
        apart = abs(medians[0] / medians[1] - 1.0) if None not in medians else None
        print("  agreement at concurrency 16: %s; per run: %s" % (
            "medians %.2f and %.2f, %.0f%% apart" % (medians[0], medians[1], 100 * apart) if apart is not None
            else "no median on both sides (invalid levels)", ", ".join("%.0f%%" % (100 * g) for g in known) or "none comparable"))
        print("load average at the end: %s" % load_average())
        return 0 if apart is not None and apart <= args.agreement else 1
    finally:
        if started:
            run_playbook(root, "cleanup.yml", started)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Our load generator against wrk on the same vLLM endpoint, same request, same concurrency.

Run through ``benchmarks/harness_vs_wrk`` (it finds wrk and the controller venv). Each run is a pair
(wrk then ours, then ours then wrk, ...) so drift hits both; prints the median throughput of each, the
median of the paired ratios (target: ours >= 0.95 x wrk), and our client CPU seconds per 1,000 requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

import aiohttp

from ansible_collections.vllm_pooling.migration.plugins.module_utils.load_generator import Target, closed_loop
from bench_common import load_average, machine, run_playbook, start_local_servers, vllm_version

TEXT = ("Retrieval-augmented generation combines a search index with a language model: the retriever finds "
        "passages relevant to the question and the generator writes an answer grounded in them.")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", required=True, help=argparse.SUPPRESS)
    parser.add_argument("--url", help="vLLM base URL; without it a local vLLM (minilm) is started and stopped")
    parser.add_argument("--model", default="minilm", help="served model name (default: minilm)")
    parser.add_argument("--api-key", default=os.environ.get("VLLM_API_KEY", ""), help="bearer token (default: $VLLM_API_KEY)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections for both tools (default: 16)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default: 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each tool, at least 3 (default: 3)")
    parser.add_argument("--text", default=TEXT, help="the text embedded by every request")
    args = parser.parse_args()
    if args.runs < 3:
        parser.error("--runs must be at least 3 (the ratio is a median)")
    return args


def start_vllm(root, workdir):
    extra, urls = start_local_servers(root, workdir)
    return extra, urls["vllm"]


def wrk_run(url, body_file, api_key, concurrency, duration, lua):
    threads = min(concurrency, os.cpu_count() or 1)
    # --timeout 60s as for our generator: wrk's default (2 s) counts slow answers as timeouts (it still waits for them).
    command = ["wrk", "-t%d" % threads, "-c%d" % concurrency, "-d%ds" % duration, "--timeout", "60s", "-s", lua,
               url + "/v1/embeddings", "--", body_file, api_key]
    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = errors and any(int(n) for n in errors.groups())
    if bad or errors:
        sys.exit("wrk saw failures, the comparison would be meaningless:\n" + out)
    return rate


def ours_run(url, body, api_key, concurrency, duration):
    async def go():
        target = Target("candidate", "openai", url, "", api_key=api_key or None)
        async with target.session(concurrency, 60) as session:
            return await closed_loop(session, [(url + "/v1/embeddings", body)], concurrency, duration)
    samples = asyncio.run(go())
    failed = [o for o in samples.outcomes if o != "ok"]
    if failed:
        sys.exit("our generator saw %d failed requests (%s): the comparison would be meaningless"
                 % (len(failed), samples.error_samples))
    # Answers within the window over the window, as wrk counts (load_generator.Samples.counted).
    return len(samples.counted()) / samples.window, samples.client_cpu_s * 1000.0 / len(samples.outcomes)


def versions(url):
    wrk = subprocess.run(["wrk", "-v"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False).stdout
    return {"machine": machine(), "load average": load_average(), "aiohttp": aiohttp.__version__,
            "vllm": vllm_version(url), "wrk": (wrk.splitlines() or ["unknown"])[0]}


def main():
    args = parse_args()
    workdir = tempfile.mkdtemp(prefix="harness_vs_wrk-")
    started = None
    try:
        url = args.url
        if not url:
            started, url = start_vllm(args.root, workdir)
        url = url.rstrip("/")
        body = json.dumps({"model": args.model, "input": args.text, "encoding_format": "float"}).encode()
        body_file = os.path.join(workdir, "body.json")
        with open(body_file, "wb") as handle:
            handle.write(body)
        lua = os.path.join(args.root, "benchmarks", "wrk_post.lua")
        print("versions: %s" % json.dumps(versions(url)), flush=True)
        print("warm-up: 3 s with our generator", flush=True)
        ours_run(url, body, args.api_key, args.concurrency, 3)
        wrk_rates, our_rates, cpu_per_1000 = [], [], []
        for run in range(args.runs):
            # Pairs back to back, who goes first alternating: a pair's ratio is immune to slow drift of the machine.
            for tool in (("wrk", "ours") if run % 2 == 0 else ("ours", "wrk")):
                if tool == "wrk":
                    wrk_rates.append(wrk_run(url, body_file, args.api_key, args.concurrency, args.duration, lua))
                else:
                    rate, cpu = ours_run(url, body, args.api_key, args.concurrency, args.duration)
                    our_rates.append(rate)
                    cpu_per_1000.append(cpu)
            print("run %d of %d: wrk %.1f req/s, ours %.1f req/s (ratio %.3f; %.3f client CPU s per 1,000 requests)"
                  % (run + 1, args.runs, wrk_rates[-1], our_rates[-1], our_rates[-1] / wrk_rates[-1], cpu_per_1000[-1]),
                  flush=True)
        wrk_median, our_median = statistics.median(wrk_rates), statistics.median(our_rates)
        ratio = statistics.median(ours / theirs for ours, theirs in zip(our_rates, wrk_rates))
        print("concurrency %d, %d s per run, median of %d runs:" % (args.concurrency, args.duration, args.runs))
        print("  wrk:  %.1f requests/s" % wrk_median)
        print("  ours: %.1f requests/s" % our_median)
        print("  ratio ours/wrk: %.3f median of the paired runs (%.3f ratio of the medians); target >= 0.95 -> %s"
              % (ratio, our_median / wrk_median, "OK" if ratio >= 0.95 else "BELOW TARGET"))
        print("  our client CPU: %.3f s per 1,000 requests (median), so one core would drive about %.0f requests/s"
              % (statistics.median(cpu_per_1000), 1000.0 / max(statistics.median(cpu_per_1000), 1e-6)))
        return 0 if ratio >= 0.95 else 1
    finally:
        if started:
            run_playbook(args.root, "cleanup.yml", started)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

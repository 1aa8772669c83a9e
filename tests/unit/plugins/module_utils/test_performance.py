"""Benchmark math, the performance gate on recorded results, the Markdown table, the chart, the local dtype."""

from __future__ import annotations

import math

import pytest

from ansible_collections.vllm_pooling.migration.plugins.filter.benchmark import benchmark_markdown
from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_client import client_record
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import (
    DEFAULT_CATALOG, cpu_flags, local_dtype, resolve_models, vllm_args)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.load_generator import Samples
from ansible_collections.vllm_pooling.migration.plugins.module_utils.performance import (
    SCHEMA, combine_level, level_stats, not_measured_record, percentiles_ms, performance_record, rate, ratio)


def test_percentiles_interpolate_linearly_in_milliseconds():
    latencies = [i / 1000.0 for i in range(1, 101)]  # 1 ms .. 100 ms
    assert percentiles_ms(latencies) == {"p50": 50.5, "p95": 95.05, "p99": 99.01}
    assert percentiles_ms([]) == {"p50": None, "p95": None, "p99": None}
    assert percentiles_ms([0.02]) == {"p50": 20.0, "p95": 20.0, "p99": 20.0}


def test_rate_and_ratio():
    assert rate(10, 2.0) == 5.0
    assert rate(5, 0) == 0.0
    assert ratio(8.0, 10.0) == pytest.approx(0.8)
    assert ratio(1.0, 0.0) is None and ratio(None, 3.0) is None


def test_level_stats_counts_only_successes_in_rates_and_latencies():
    table = [{"shape": "query", "texts": 1, "tokens": 10}, {"shape": "batch", "texts": 32, "tokens": 4000}]
    samples = Samples()
    samples.add(0.0, 0.010, "ok", 0)
    samples.add(0.1, 0.200, "ok", 1)
    samples.add(0.2, 0.030, "ok", 0)
    samples.add(0.3, 5.000, "timeout", 1, "no answer within the timeout")
    samples.add(0.4, 0.001, "http_5xx", 0, "HTTP 503: busy")
    samples.elapsed = 2.0
    stats = level_stats(samples, table)
    assert stats["requests"] == 5 and stats["succeeded"] == 3
    assert stats["errors"] == {"timeout": 1, "http_4xx": 0, "http_5xx": 1, "connection": 0} and stats["error_count"] == 2
    assert stats["requests_per_s"] == 1.5 and stats["texts_per_s"] == 17.0 and stats["tokens_per_s"] == 2010.0
    assert stats["latency_ms"]["max"] == 200.0  # the 5 s timeout is not a latency
    assert stats["single_text_p95_ms"] == pytest.approx(29.0)  # queries only: 10 ms and 30 ms
    assert stats["by_shape"]["batch"]["requests"] == 1
    assert stats["error_samples"]["http_5xx"] == ["HTTP 503: busy"]


def side(texts_per_s, errors=None, p95=20.0):
    errors = dict({"timeout": 0, "http_4xx": 0, "http_5xx": 0, "connection": 0}, **(errors or {}))
    return {"requests": 100, "succeeded": 100 - sum(errors.values()), "errors": errors,
            "error_count": sum(errors.values()), "error_samples": {}, "duration_s": 10.0,
            "requests_per_s": texts_per_s / 2.0, "texts_per_s": texts_per_s, "tokens_per_s": texts_per_s * 50,
            "latency_ms": {"p50": p95 / 2, "p95": p95, "p99": p95 * 1.2, "mean": p95 / 2, "max": p95 * 2},
            "single_text_p95_ms": p95, "by_shape": {}, "client_cpu_s": 0.5}


def record(pairs, **kwargs):
    """Levels 1, 4, 16, 64 from (candidate side, reference side) pairs."""
    levels = [combine_level(c, "closed", cand, ref) for c, (cand, ref) in zip((1, 4, 16, 64), pairs)]
    return performance_record(levels, candidate={"url": "http://v", "model": "minilm"},
                              reference={"type": "caikit", "url": "http://c", "model": "minilm"}, **kwargs)


def test_gate_passes_when_every_level_holds_the_ratio_and_p95_is_under_the_bound():
    rec = record([(side(90), side(100)), (side(300), side(280)), (side(500), side(450))])
    assert rec["schema"] == SCHEMA and rec["status"] == "passed" and rec["advisory"] is False
    assert rec["gates"]["throughput_ratio"]["passed"] and rec["gates"]["latency_p95"]["passed"]
    assert [e["ratio"] for e in rec["gates"]["throughput_ratio"]["levels"]] == [0.9, 1.071, 1.111]
    assert "lowest 0.90 at concurrency 1" in rec["reason"]


def test_gate_fails_at_one_level_and_says_which_and_by_how_much():
    rec = record([(side(40), side(100)), (side(300), side(280))])
    assert rec["status"] == "failed"
    gate = rec["gates"]["throughput_ratio"]
    assert gate["passed"] is False and [e["passed"] for e in gate["levels"]] == [False, True]
    assert "concurrency 1: 0.40 x the reference, 50% short of 0.80" in rec["reason"]
    assert "1 of 2 levels" in rec["reason"]


def test_p95_over_the_bound_fails_with_the_numbers():
    rec = record([(side(100, p95=150.0), side(100))], bound_ms=100.0)
    assert rec["status"] == "failed" and rec["gates"]["throughput_ratio"]["passed"]
    assert rec["gates"]["latency_p95"] == {"passed": False, "bound_ms": 100.0, "p95_ms": 150.0, "level": "concurrency 1",
                                           "reason": "p95 of single-text requests 150.0 ms > 100 ms at concurrency 1 (50% over)",
                                           "gating": True}
    assert rec["client"] is None  # a record built without knowing where its client ran says so


def test_a_p95_measured_through_the_router_keeps_its_numbers_but_does_not_gate():
    through_router = client_record("controller", "openshift", "https://vllm-minilm.apps.example.com",
                                   "https://caikit.apps.example.com")
    rec = record([(side(100, p95=150.0), side(100))], bound_ms=100.0, client=through_router)
    gate = rec["gates"]["latency_p95"]
    assert rec["status"] == "passed" and rec["client"] == through_router
    assert gate["passed"] is False and gate["gating"] is False and gate["p95_ms"] == 150.0
    assert gate["reason"].endswith("(50% over) (measured through the router: not gating)")
    assert "measured through the router: not gating" in rec["reason"]
    # the throughput ratio still gates on that path
    slow = record([(side(40, p95=150.0), side(100))], bound_ms=100.0, client=through_router)
    assert slow["status"] == "failed" and "0.40 x the reference" in slow["reason"]
    # opted in, or measured inside the cluster, the same p95 fails the record
    opted_in = client_record("controller", "openshift", "https://vllm-minilm.apps.example.com",
                             "https://caikit.apps.example.com", p95_gate_through_router=True)
    in_cluster = client_record("cluster_job", "openshift", "http://vllm-minilm.ns.svc:8000",
                               "http://caikit-predictor.rag.svc.cluster.local")
    for client in (opted_in, in_cluster):
        gated = record([(side(100, p95=150.0), side(100))], bound_ms=100.0, client=client)
        assert gated["status"] == "failed" and gated["gates"]["latency_p95"]["gating"] is True
        assert "not gating" not in gated["reason"]


def judged(stats, reason=None):
    """``stats`` with a validity verdict: valid without ``reason``."""
    return dict(stats, valid=reason is None, invalid_reason=reason)


def test_p95_is_read_at_the_lowest_level_where_vllm_was_valid_and_names_the_level_it_skipped():
    short = "window 5.0 s < 10 x the p99 of batch (6.99 s)"
    rec = record([(judged(side(90, p95=500.0), short), judged(side(100))), (judged(side(300, p95=60.0)), judged(side(280)))])
    gate = rec["gates"]["latency_p95"]
    assert gate["passed"] is True and gate["p95_ms"] == 60.0 and gate["level"] == "concurrency 4"
    assert gate["reason"] == ("p95 of single-text requests 60.0 ms <= 100 ms at concurrency 4 "
                              "(concurrency 1 excluded: %s)" % short)


def test_p95_with_no_valid_level_is_not_evaluated_and_fails():
    rec = record([(judged(side(90, p95=5.0), "stopped by the stop rule: error rate 50.0% > 5.0% after 20 answers"),
                   judged(side(100)))])
    gate = rec["gates"]["latency_p95"]
    assert gate["passed"] is False and gate["p95_ms"] is None and gate["level"] is None
    assert gate["reason"].startswith("not evaluated: no level where vLLM's measurement was valid (concurrency 1 excluded: stopped")


def test_a_level_where_the_reference_had_errors_is_not_compared():
    rec = record([(side(90), side(100)), (side(100), side(500, errors={"http_5xx": 3}))])
    levels = rec["gates"]["throughput_ratio"]["levels"]
    assert [e["passed"] for e in levels] == [True, None]
    assert rec["status"] == "passed"
    assert "not compared: concurrency 4 (excluded: the reference had 3 errors)" in rec["reason"]


def test_a_level_where_only_vllm_had_errors_fails():
    rec = record([(side(90), side(100)), (side(400, errors={"timeout": 2, "connection": 1}), side(100))])
    assert rec["status"] == "failed"
    assert "concurrency 4: vLLM had 3 errors (timeout 2, connection 1) that the reference did not" in rec["reason"]


def test_no_comparable_level_is_an_error_not_a_pass():
    rec = record([(side(90), side(100, errors={"timeout": 1}))])
    assert rec["status"] == "error" and rec["gates"]["throughput_ratio"]["passed"] is False
    assert "no level where both servers ran without errors" in rec["reason"]


def test_advisory_mode_keeps_the_failure_and_says_it_does_not_block():
    rec = record([(side(40), side(100))], advisory=True, platform_note="2 CPU cores do not predict GPU serving")
    assert rec["status"] == "failed" and rec["advisory"] is True
    assert rec["reason"].startswith("advisory only (does not block): ")
    assert rec["platform_note"] == "2 CPU cores do not predict GPU serving"


def test_nothing_measured_is_not_measured():
    rec = performance_record([])
    assert rec["status"] == "not_measured" and rec["levels"] == []
    assert not_measured_record("check mode: no load was sent")["reason"] == "check mode: no load was sent"


def test_markdown_table_has_both_servers_per_level_and_the_verdict():
    rec = record([(side(40), side(100)), (side(300), side(280, errors={"http_5xx": 2}))], advisory=True,
                 platform_note="local: advisory")
    text = benchmark_markdown({"minilm": rec})
    assert "### minilm" in text and "performance **failed** (advisory" in text
    assert "| 1 | vLLM | 20.0 | 40.0 |" in text and "| 1 | Caikit | 50.0 | 100.0 |" in text
    assert "0.40" in text and "fail" in text and "http_5xx 2" in text and "not compared" in text
    assert "local: advisory" in text
    assert "not measured" in benchmark_markdown({"granite": not_measured_record("no endpoint")})
    # a single record renders too
    assert benchmark_markdown(rec).count("| concurrency |") == 1
    assert "Client:" not in text  # no client recorded, none shown


def test_markdown_says_where_the_client_ran_and_that_a_p95_through_the_router_does_not_gate():
    client = client_record("controller", "kubernetes", "https://vllm-minilm.apps.example.com", "https://caikit.example.com")
    text = benchmark_markdown({"minilm": record([(side(100, p95=150.0), side(100))], client=client)})
    assert "Client: controller, path to vLLM ingress, to the reference ingress (p95 not gating)." in text
    assert "- latency (not gating): fail: p95 of single-text requests 150.0 ms > 100 ms" in text
    job = client_record("cluster_job", "kubernetes", "http://vllm-minilm.ns.svc:8000", "https://caikit.example.com")
    text = benchmark_markdown({"minilm": record([(side(100, p95=150.0), side(100))], client=job)})
    assert "Client: cluster_job, path to vLLM service, to the reference ingress." in text
    assert "- latency: fail:" in text and "internal_url" in text  # the paths differ: the note says what to give


def test_chart_is_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_chart import render_chart
    rec = record([(side(40), side(100)), (side(300), side(280, errors={"http_5xx": 2}))])
    path = render_chart("minilm", rec, str(tmp_path / "sub" / "minilm.png"))
    data = (tmp_path / "sub" / "minilm.png").read_bytes()
    assert path.endswith("minilm.png") and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10000


def test_chart_keeps_invalid_levels_off_the_line_and_marks_them(tmp_path):
    pytest.importorskip("matplotlib")
    from ansible_collections.vllm_pooling.migration.plugins.module_utils import benchmark_chart
    short = "window 5.0 s < 10 x the p99 of batch (6.99 s)"
    rec = record([(judged(side(40)), judged(side(100))), (judged(side(300)), judged(side(14.4), short))])
    counted, invalid = benchmark_chart._series(rec["levels"], "reference", ["texts_per_s"])
    assert counted[0] == 100 and math.isnan(counted[1])  # the line stops at the invalid level
    assert math.isnan(invalid[0]) and invalid[1] == 14.4
    counted, invalid = benchmark_chart._series(rec["levels"], "candidate", ["texts_per_s"])
    assert counted == [40, 300] and all(math.isnan(v) for v in invalid)
    benchmark_chart.render_chart("minilm", rec, str(tmp_path / "minilm.png"))
    assert (tmp_path / "minilm.png").read_bytes()[:4] == b"\x89PNG"


# Recorded /proc/cpuinfo flag lines (trimmed): a 2-core AVX2 cloud VM, a Sapphire Rapids VM, an Ice Lake
# server (AVX-512 without bf16), an AMD Zen 4 (avx512_bf16, no fp16) and an aarch64 Graviton3 (Features line).
AVX2_ONLY = "processor\t: 0\nflags\t\t: fpu vme sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c avx2 bmi2\n"
SAPPHIRE_RAPIDS = ("flags\t\t: fpu avx f16c avx2 avx512f avx512bw avx512_bf16 avx512_vnni amx_bf16 avx512_fp16 "
                   "amx_tile amx_int8\n")
ICE_LAKE = "flags\t\t: fpu avx f16c avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_vbmi2\n"
ZEN4 = "flags\t\t: fpu avx f16c avx2 avx512f avx512_bf16 avx512_vnni\n"
GRAVITON3 = "processor\t: 0\nFeatures\t: fp asimd fphp asimdhp bf16 sve\n"


@pytest.mark.parametrize("cpuinfo, chosen", [
    (AVX2_ONLY, "float32"), (ICE_LAKE, "float32"), (SAPPHIRE_RAPIDS, "bfloat16"), (ZEN4, "bfloat16"),
    ("flags : avx2 avx512_fp16", "float16"), (GRAVITON3, "float32"), ("", "float32")])
def test_local_dtype_follows_the_cpu(cpuinfo, chosen):
    assert local_dtype("auto", cpuinfo) == chosen


def test_explicit_dtype_is_kept_and_flags_are_parsed():
    assert local_dtype("float16", AVX2_ONLY) == "float16"
    assert "avx512_bf16" in cpu_flags(SAPPHIRE_RAPIDS) and "avx2" in cpu_flags(AVX2_ONLY)
    assert cpu_flags("avx2 amx_bf16") == {"avx2", "amx_bf16"}


def test_rates_count_answers_within_the_window_and_latencies_count_all():
    table = [{"shape": "query", "texts": 1, "tokens": 10}]
    samples = Samples()
    samples.add(0.0, 0.5, "ok", 0)
    samples.add(0.5, 0.4, "ok", 0)
    samples.add(0.9, 0.6, "ok", 0)  # answered at 1.5 s, in the drain after a 1 s window
    samples.elapsed, samples.window = 1.5, 1.0
    stats = level_stats(samples, table)
    assert stats["requests_per_s"] == 2.0 and stats["duration_s"] == 1.0
    assert stats["succeeded"] == 3 and stats["latency_ms"]["max"] == 600.0


def test_validity_needs_a_window_ten_times_the_slowest_p99_and_completions_of_every_shape():
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.level_validity import ValidityRule
    table = [{"shape": "query", "texts": 1, "tokens": 10}, {"shape": "batch", "texts": 32, "tokens": 4000}]
    samples = Samples()
    for number in range(50):
        samples.add(number * 0.1, 0.05, "ok", 0)
    samples.add(0.0, 6.0, "ok", 1)  # a batch answered after the 5 s window
    samples.add(1.0, 7.0, "ok", 1)
    samples.elapsed, samples.window = 8.0, 5.0
    rule = ValidityRule(window_factor=10, min_completions=5, max_duration=120)
    verdict = rule.judge(samples, table)
    assert verdict["completions_by_shape"] == {"batch": 0, "query": 50}
    assert verdict["slowest_shape"] == "batch" and verdict["slowest_p99_ms"] == pytest.approx(6990.0)
    assert verdict["valid"] is False
    assert verdict["invalid_reason"] == ("window 5.0 s < 10 x the p99 of batch (6.99 s); fewer than 5 completions "
                                         "inside the window (batch 0)")
    assert rule.next_duration(5.0, verdict) == 84  # 10 x 6.99 s x 1.2, rounded up
    assert ValidityRule(max_duration=60).next_duration(5.0, verdict) == 60
    assert ValidityRule(max_duration=5).next_duration(5.0, verdict) is None
    stats = level_stats(samples, table)
    assert stats["valid"] is False and stats["invalid_reason"] == "not judged (no validity rule)"


def test_vllm_args_with_the_cpu_flags_choose_the_local_dtype():
    (entry,) = resolve_models({}, ["minilm"])
    assert entry["dtype"] == DEFAULT_CATALOG["minilm"].get("dtype", "auto") == "auto"
    args = vllm_args(entry, "/w", AVX2_ONLY)
    assert args[args.index("--dtype") + 1] == "float32"
    assert vllm_args(entry, "/w")[vllm_args(entry, "/w").index("--dtype") + 1] == "auto"  # no cpuinfo: as the entry says
    explicit = dict(entry, dtype="float16")
    assert vllm_args(explicit, "/w", AVX2_ONLY)[vllm_args(explicit, "/w", AVX2_ONLY).index("--dtype") + 1] == "float16"

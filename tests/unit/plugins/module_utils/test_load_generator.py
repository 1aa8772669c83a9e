"""The load generator against a real local aiohttp server: outcomes by class, bounds, calibration, sweeps."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from types import SimpleNamespace

import pytest
from aiohttp import web

from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_workload import (
    build_workload, check_answer, encode_request, long_chunk_words, text_count)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.load_generator import (
    Target, calibrate, classify_exception, classify_status, closed_loop, open_loop, run_sweep)


class FakePoolingServer:
    """An aiohttp server in its own thread that answers like vLLM (/v1/...) and Caikit (/api/v1/task/...),
    plus /status/<code>, /slow and /drop for error paths. Counts requests per path."""

    def __init__(self, delay=0.0, delays=None):
        self.delay = delay
        self.delays = dict(delays or {})  # per path, instead of ``delay``
        self.hits = {}
        self.bodies = []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)

    async def _handle(self, request):
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        body = await request.read()
        payload = json.loads(body) if body else {}
        self.bodies.append((path, payload))
        if path.startswith("/status/"):
            return web.json_response({"error": {"message": "scripted"}}, status=int(path.rsplit("/", 1)[1]))
        if path == "/slow":
            await asyncio.sleep(2)
        if path == "/drop":
            request.transport.close()
            return web.Response()
        if self.delays.get(path, self.delay):
            await asyncio.sleep(self.delays.get(path, self.delay))
        if path == "/v1/embeddings":
            texts = payload["input"] if isinstance(payload["input"], list) else [payload["input"]]
            return web.json_response({"data": [{"index": i, "embedding": [0.1, 0.2]} for i in range(len(texts))],
                                      "usage": {"prompt_tokens": 7 * len(texts), "total_tokens": 7 * len(texts)}})
        if path == "/v1/rerank":
            return web.json_response({"results": [{"index": i, "relevance_score": 0.5} for i in range(len(payload["documents"]))],
                                      "usage": {"total_tokens": 99}})
        if path == "/api/v1/task/embedding":
            return web.json_response({"result": {"data": {"values": [0.1, 0.2]}}, "input_token_count": 7})
        if path == "/api/v1/task/embedding-tasks":
            return web.json_response({"results": {"vectors": [{"data": {"values": [0.1]}} for _text in payload["inputs"]]}})
        if path == "/api/v1/task/rerank":
            return web.json_response({"result": {"scores": [{"index": i, "score": 0.5} for i in range(len(payload["inputs"]["documents"]))]}})
        return web.json_response({"ok": True})

    def _serve(self, ready):
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.url = "http://127.0.0.1:%d" % site._server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    def close(self):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def fake_server():
    server = FakePoolingServer()
    yield server
    server.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_closed(url, paths, concurrency=2, duration=5.0, max_requests=0, timeout=5.0):
    async def go():
        target = Target("candidate", "openai", url, "m")
        async with target.session(concurrency, timeout) as session:
            return await closed_loop(session, [(url + p, b"{}") for p in paths], concurrency, duration, max_requests)
    return asyncio.run(go())


@pytest.mark.parametrize("status, outcome", [(200, "ok"), (204, "ok"), (400, "http_4xx"), (404, "http_4xx"),
                                             (429, "http_4xx"), (500, "http_5xx"), (503, "http_5xx")])
def test_classify_status(status, outcome):
    assert classify_status(status) == outcome


def test_classify_exception_puts_timeouts_before_connection_errors():
    import aiohttp
    assert classify_exception(asyncio.TimeoutError()) == "timeout"
    assert classify_exception(aiohttp.ServerTimeoutError("slow")) == "timeout"
    assert classify_exception(aiohttp.ServerDisconnectedError()) == "connection"


def test_closed_loop_stops_at_max_requests_and_cycles_the_bodies(fake_server):
    samples = run_closed(fake_server.url, ["/a", "/b", "/c"], concurrency=3, max_requests=10)
    assert len(samples.outcomes) == 10 and set(samples.outcomes) == {"ok"}
    assert fake_server.hits == {"/a": 4, "/b": 3, "/c": 3}
    assert sorted(samples.spec_index) == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert samples.elapsed > 0 and all(lat > 0 for lat in samples.latencies)


def test_closed_loop_stops_at_its_duration(fake_server):
    fake_server.delay = 0.05
    began = time.perf_counter()
    samples = run_closed(fake_server.url, ["/a"], concurrency=2, duration=0.5)
    took = time.perf_counter() - began
    # 2 workers x 0.5 s / 0.05 s: about 20 requests, and nothing starts after the deadline
    assert 10 <= len(samples.outcomes) <= 22
    assert max(samples.starts) < 0.5 and took < 1.5


def test_errors_are_classified_5xx_4xx_timeout(fake_server):
    samples = run_closed(fake_server.url, ["/status/503", "/status/404", "/slow"], concurrency=3, max_requests=3,
                         timeout=0.3)
    assert sorted(samples.outcomes) == ["http_4xx", "http_5xx", "timeout"]
    assert "HTTP 503" in samples.error_samples["http_5xx"][0] and "scripted" in samples.error_samples["http_5xx"][0]


def test_refused_and_dropped_connections_are_connection_errors(fake_server):
    refused = run_closed("http://127.0.0.1:%d" % free_port(), ["/x"], concurrency=1, max_requests=2)
    assert refused.outcomes == ["connection", "connection"]
    dropped = run_closed(fake_server.url, ["/drop"], concurrency=1, max_requests=1)
    assert dropped.outcomes == ["connection"]


def test_open_loop_keeps_its_schedule_and_counts_latency_from_it(fake_server):
    fake_server.delay = 0.2

    async def go():
        target = Target("candidate", "openai", fake_server.url, "m")
        async with target.session(4, 5) as session:
            return await open_loop(session, [(fake_server.url + "/a", b"{}")], rate=50, duration=0.4)
    samples = asyncio.run(go())
    assert len(samples.outcomes) == 20 and set(samples.outcomes) == {"ok"}
    # starts follow the schedule (every 20 ms) even though each answer takes 200 ms
    assert sorted(samples.starts)[-1] == pytest.approx(0.38, abs=0.01)
    # 20 requests through 4 connections at 200 ms each take ~1 s: the last one scheduled at 0.38 s
    # is answered near 1.0 s, so its latency (~0.6 s) includes its wait for a free connection
    assert max(samples.latencies) > 0.5 and min(samples.latencies) >= 0.2


def test_calibration_rejects_http_errors_and_wrong_answers_with_model_and_url(fake_server):
    workload = build_workload("embedding", max_tokens=64, variants=1)
    specs = workload["requests"][:1]

    async def go(target):
        async with target.session(1, 5) as session:
            prepared = [encode_request(target.server_type, target.base_url, target.model, s) for s in specs]
            return await calibrate(session, target, "minilm", specs, prepared)
    assert asyncio.run(go(Target("candidate", "openai", fake_server.url, "m"))) == [7]
    with pytest.raises(CheckError) as err:
        asyncio.run(go(Target("reference", "openai", fake_server.url + "/status/500", "m")))
    assert "minilm" in err.value.message and "/status/500/v1/embeddings" in err.value.message
    assert "HTTP 500" in err.value.message
    with pytest.raises(CheckError) as err:
        asyncio.run(go(Target("reference", "openai", "http://127.0.0.1:%d" % free_port(), "m")))
    assert "cannot connect" in err.value.message


def test_check_answer_counts_results():
    spec = {"shape": "batch", "texts": ["a", "b"]}
    assert check_answer("openai", spec, {"data": [{}, {}], "usage": {"prompt_tokens": 9}}) == (None, 9)
    problem, tokens = check_answer("openai", spec, {"data": [{}]})
    assert problem == "expected 2 results, got 1" and tokens is None
    problem, tokens = check_answer("caikit", spec, {"result": {}})
    assert "missing" in problem and tokens is None
    assert check_answer("caikit", {"shape": "query", "texts": ["a"]},
                        {"result": {"data": {"values": [1]}}, "input_token_count": 3}) == (None, 3)


def test_workload_shapes_sizes_and_encodings():
    workload = build_workload("embedding", max_tokens=256, batch_size=32, variants=2)
    shapes = [r["shape"] for r in workload["requests"]]
    assert shapes.count("query") == 8 and shapes.count("chunk") == 4 and shapes.count("long_chunk") == 2
    assert shapes.count("batch") == 2 and shapes[:4] == ["query", "chunk", "long_chunk", "batch"]
    long_chunk = next(r for r in workload["requests"] if r["shape"] == "long_chunk")["texts"][0]
    assert len(long_chunk.split()) == long_chunk_words(256) < 256
    batch = next(r for r in workload["requests"] if r["shape"] == "batch")
    assert text_count(batch) == 32
    url, body = encode_request("caikit", "http://c/", "minilm", batch)
    assert url == "http://c/api/v1/task/embedding-tasks" and json.loads(body)["inputs"] == batch["texts"]
    url, body = encode_request("openai", "http://v", "minilm", workload["requests"][0])
    assert url == "http://v/v1/embeddings" and isinstance(json.loads(body)["input"], str)
    # same seed, same texts: the candidate and the reference get the same inputs
    assert build_workload("embedding", max_tokens=256, variants=2) == build_workload("embedding", max_tokens=256, variants=2)
    rerank = build_workload("reranker", max_tokens=512, documents=5, variants=1)["requests"][0]
    assert rerank["shape"] == "rerank" and len(rerank["documents"]) == 5
    url, body = encode_request("caikit", "http://c", "ms", rerank)
    assert url.endswith("/api/v1/task/rerank") and json.loads(body)["inputs"]["documents"][0] == {"text": rerank["documents"][0]}


def test_sweep_alternates_order_and_reads_tokens(fake_server):
    messages = []
    workload = build_workload("embedding", max_tokens=64, variants=1, batch_size=4)
    targets = [Target("candidate", "openai", fake_server.url, "m"), Target("reference", "caikit", fake_server.url, "m")]
    measured, table = run_sweep("minilm", targets, workload, [1, 2], duration=0.3, warmup=0.05, progress=messages.append)
    assert [level for level, _runs in measured] == [1, 2]
    assert all(set(runs) == {"candidate", "reference"} for _level, runs in measured)
    level_messages = [m for m in messages if "level" in m]
    assert level_messages[0].startswith("minilm: candidate, level 1 of 2")
    assert level_messages[2].startswith("minilm: reference, level 2 of 2")  # the reference goes first at level 2
    assert [row["tokens"] for row in table][:4] == [7, 7, 7, 28] and all(r["tokens_reported"] for r in table)
    assert fake_server.hits["/api/v1/task/embedding-tasks"] > 0 and fake_server.hits["/v1/embeddings"] > 0


def benchmark_call(server, previous_levels=(), calibration=None, **overrides):
    """The keyword arguments of run_benchmark: typed settings as the module builds them, and the earlier calls' state."""
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark import Benchmark, reference_limits
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.level_validity import ValidityRule
    options = dict(kind="embedding", max_tokens=64, mode="closed", levels=[1], duration=0.3, max_requests=0,
                   warmup=0.0, max_connections=8, mix=None, batch_size=4, documents=3, throughput_ratio=0.1,
                   p95_bound_ms=5000.0, advisory=False, platform_note="", reference_first=False, timeout=5.0)
    # Plumbing tests need valid levels on a busy CI machine: a 0.3 s level at factor 10 was invalid after one 30 ms
    # hiccup. Factor 2 with room to lengthen the level (the module's own remedy); validity tests set their own rule.
    rule = dict(window_factor=2.0, max_duration=3.0)
    rule.update({name: overrides.pop(name) for name in ("window_factor", "min_completions", "max_duration")
                 if name in overrides})
    limits = {name[len("reference_"):]: overrides.pop(name) for name in
              ("reference_max_concurrency", "reference_max_rate", "reference_high_load_allowed",
               "reference_stop_error_rate", "reference_stop_p99_ms") if name in overrides}
    reference_model = overrides.pop("reference_model", "mini")
    options.update(overrides)
    candidate = Target("candidate", "openai", server.url, "minilm", api_key="s3cret")
    reference = Target("reference", "caikit", server.url, reference_model)
    settings = Benchmark("minilm", candidate, reference, rule=ValidityRule(**rule), limits=reference_limits(**limits),
                         **options)
    return dict(settings=settings, previous_levels=previous_levels, calibration=calibration)


def test_run_benchmark_builds_the_record_level_by_level(fake_server, tmp_path):
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark import run_benchmark
    first, calibration = run_benchmark(**benchmark_call(fake_server, levels=[1]))
    assert first["status"] == "passed" and [lv["concurrency"] for lv in first["levels"]] == [1]
    # the same server on both sides (the gate is set low: this tests the plumbing, not the speed of a busy CI box)
    assert 0.1 < first["levels"][0]["ratio"] < 10
    assert first["reference"] == {"type": "caikit", "url": fake_server.url, "model": "mini"}
    assert first["workload"]["tokens_reported_by_server"] is True
    second, _calibration = run_benchmark(**benchmark_call(fake_server, levels=[2], previous_levels=first["levels"],
                                                          reference_first=True, calibration=calibration),
                                         chart_path=str(tmp_path / "minilm-benchmark.png") if _has_matplotlib() else None)
    assert [lv["concurrency"] for lv in second["levels"]] == [1, 2]
    assert [e["passed"] for e in second["gates"]["throughput_ratio"]["levels"]] == [True, True]
    if _has_matplotlib():
        assert second["chart"] == str(tmp_path / "minilm-benchmark.png") and (tmp_path / "minilm-benchmark.png").exists()
    # the API key goes to the candidate only, as a bearer token
    assert any(path == "/v1/embeddings" for path, _body in fake_server.bodies)


def test_run_benchmark_in_check_mode_sends_nothing(fake_server):
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark import run_benchmark
    record, calibration = run_benchmark(**benchmark_call(fake_server), check_mode=True)
    assert record["status"] == "not_measured" and record["reason"] == "check mode: no load was sent"
    assert calibration == {}
    assert fake_server.hits == {}


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401  pylint: disable=unused-import
    except ImportError:
        return False
    return True


def test_a_matching_calibration_skips_the_calibration_pass_and_a_foreign_one_does_not(fake_server):
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark import run_benchmark
    messages = []
    first, calibration = run_benchmark(**benchmark_call(fake_server, levels=[1]), progress=messages.append)
    assert any("calibrating" in m for m in messages)
    assert len(calibration["fingerprint"]) == 64 and calibration["table"]
    assert {row["shape"] for row in calibration["table"]} == set(first["workload"]["shapes"])

    # Token counts come from the table handed in: mark them to see they were used, not measured again.
    marked = dict(calibration, table=[dict(row, tokens=1000) for row in calibration["table"]])
    messages.clear()
    second, again = run_benchmark(**benchmark_call(fake_server, levels=[2], calibration=marked), progress=messages.append)
    assert not any("calibrating" in m for m in messages)
    assert all(shape["tokens_per_request"] == 1000 for shape in second["workload"]["shapes"].values())
    assert again == marked

    # Made for other servers (another reference model) or another workload: ignored, calibration runs.
    for params in (benchmark_call(fake_server, levels=[2], reference_model="other", calibration=marked),
                   benchmark_call(fake_server, levels=[2], batch_size=3, calibration=marked),
                   benchmark_call(fake_server, levels=[2], calibration=dict(marked, table=marked["table"][:-1]))):
        messages.clear()
        record, fresh = run_benchmark(**params, progress=messages.append)
        assert any("calibrating" in m for m in messages)
        assert all(shape["tokens_per_request"] != 1000 for shape in record["workload"]["shapes"].values())
        assert fresh["table"] != marked["table"]


BATCH_S = 0.6  # Caikit's batch requests in the slow fake: longer than the 0.5 s window


@pytest.fixture
def slow_batches():
    """vLLM answers everything in 5 ms; Caikit answers single texts in 10 ms and batches in BATCH_S."""
    server = FakePoolingServer(delays={"/v1/embeddings": 0.005, "/api/v1/task/embedding": 0.01,
                                       "/api/v1/task/embedding-tasks": BATCH_S})
    yield server
    server.close()


def test_batches_slower_than_the_window_are_not_silently_dropped_from_the_rate(slow_batches):
    """Issue 19: with a window shorter than the reference's batch latency, only its single texts were counted and
    its texts/s read as its requests/s, inflating vLLM's lead. The level is lengthened until it is valid, and the
    reference's texts/s is then what it sustains: per worker a round of 7 single texts (10 ms each) and one
    batch of 4 texts (BATCH_S), i.e. 2 workers x 11 texts per (7 x 0.01 + BATCH_S) s."""
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark import run_benchmark
    sustained = 2 * 11 / (7 * 0.01 + BATCH_S)
    record, _calibration = run_benchmark(**benchmark_call(slow_batches, levels=[2], duration=0.5, window_factor=8,
                                                          min_completions=5, max_duration=12))
    ref = record["levels"][0]["reference"]
    assert ref["texts_per_s"] == pytest.approx(sustained, rel=0.2)
    assert ref["texts_per_s"] > 1.25 * ref["requests_per_s"]  # 11 texts per 8 requests, not one per request
    assert ref["valid"] is True and ref["invalid_reason"] is None
    assert ref["windows_tried_s"][0] == 0.5 and ref["window_s"] >= 8 * ref["slowest_p99_ms"] / 1000.0
    assert ref["slowest_shape"] == "batch" and ref["completions_by_shape"]["batch"] >= 5
    assert record["levels"][0]["valid"] is True and record["gates"]["throughput_ratio"]["levels"][0]["passed"] is True


def test_a_level_that_stays_too_short_is_invalid_and_never_counted(slow_batches):
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark import run_benchmark
    # factor 2: the reference's 0.6 s batches need a 1.2 s window, while the candidate (5 ms answers) stays valid
    # with a p99 up to 250 ms, which a busy CI machine's hiccups do not reach (at factor 8 it was 62 ms, and failed)
    record, _calibration = run_benchmark(**benchmark_call(slow_batches, levels=[2], duration=0.5, window_factor=2,
                                                          min_completions=5, max_duration=0))
    level = record["levels"][0]
    assert level["valid"] is False and level["reference"]["valid"] is False and level["candidate"]["valid"] is True
    assert "batch" in level["reference"]["invalid_reason"] and "window 0.5 s" in level["reference"]["invalid_reason"]
    gate = record["gates"]["throughput_ratio"]
    assert gate["passed"] is False and gate["levels"][0]["passed"] is None
    assert gate["levels"][0]["note"].startswith("excluded: invalid level (reference: window 0.5 s")
    assert record["status"] == "not_measured" and "no valid level" in record["reason"]


def test_the_reference_is_not_sent_levels_above_its_cap_and_the_record_says_what_it_received(fake_server):
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark import run_benchmark
    first, calibration = run_benchmark(**benchmark_call(fake_server, levels=[2], reference_max_concurrency=2))
    second, _calibration = run_benchmark(**benchmark_call(fake_server, levels=[4], reference_max_concurrency=2,
                                                          previous_levels=first["levels"], calibration=calibration))
    low, high = second["levels"]
    assert low["reference"]["load"]["concurrency"] == 2 and low["reference"]["requests"] > 0
    assert high["reference"]["requests"] == 0 and high["reference"]["texts_per_s"] is None
    assert high["reference"]["not_sent"] == "not sent: concurrency 4 is above reference_max_concurrency 2"
    assert high["candidate"]["requests"] > 0 and high["ratio"] is None
    entry = second["gates"]["throughput_ratio"]["levels"][1]
    assert entry["passed"] is None and entry["note"].startswith("excluded: the reference was not sent")
    load = second["reference_load"]
    assert load["max_concurrency"] == 2 and load["not_sent"] == ["concurrency 4"]
    assert load["requests"] == low["reference"]["load"]["requests"] >= low["reference"]["requests"]
    assert load["limits"]["max_concurrency"] == 2 and load["limits"]["stop_rule"]["max_error_rate"] == 0.05


def test_a_high_reference_cap_needs_the_explicit_switch():
    def settings_problems(**overrides):
        return benchmark_call(SimpleNamespace(url="http://127.0.0.1:9"), **overrides)["settings"].problems()

    assert settings_problems() == []
    (problem,) = settings_problems(reference_max_concurrency=16)
    assert "above 4" in problem and "reference_high_load_allowed=true" in problem
    assert settings_problems(reference_max_concurrency=16, reference_high_load_allowed=True) == []
    assert len(settings_problems(reference_max_concurrency=0, window_factor=-1)) == 2


def test_the_stop_rule_ends_the_reference_level_and_spares_it_the_higher_ones(fake_server):
    """A reference answering slower than the bound: its level stops early, is not compared, and the next call
    (the role's next level) sends it nothing."""
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark import run_benchmark
    fake_server.delay = 0.03
    first, calibration = run_benchmark(**benchmark_call(fake_server, levels=[2], duration=2.0, reference_stop_p99_ms=10,
                                                        max_duration=0))
    ref = first["levels"][0]["reference"]
    assert ref["stopped"].startswith("p99 latency above 10 ms") and ref["valid"] is False
    assert ref["load"]["seconds"] < 1.5  # stopped after about 20 answers, not after 2 s
    assert first["levels"][0]["candidate"]["stopped"] is None  # the rule protects the reference only
    assert first["gates"]["throughput_ratio"]["levels"][0]["note"].startswith(
        "excluded: invalid level (reference: stopped by the stop rule")
    second, _calibration = run_benchmark(**benchmark_call(
        fake_server, duration=2.0, reference_stop_p99_ms=10, max_duration=0, levels=[4], previous_levels=first["levels"],
        calibration=calibration))
    assert second["levels"][1]["reference"]["not_sent"].startswith("not sent: the stop rule stopped the reference")
    assert second["reference_load"]["stopped"][0]["level"] == "concurrency 2"
    assert second["status"] == "not_measured"

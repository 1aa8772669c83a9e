# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The serving_benchmark module's main() against a scripted vLLM and Caikit: the record and the state a next
call takes (levels, calibration), fail_on_gate, arguments rejected by name, a golden reference, check mode."""

from __future__ import annotations

import pytest

from ansible_collections.vllm_pooling.migration.plugins.modules import serving_benchmark


def serve(server):
    def embeddings(body):
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return {"data": [{"index": i, "embedding": [0.1, 0.2]} for i in range(len(texts))],
                "usage": {"prompt_tokens": 7 * len(texts), "total_tokens": 7 * len(texts)}}

    server.route("/v1/embeddings", body=embeddings)
    server.route("/api/v1/task/embedding", body={"result": {"data": {"values": [0.1, 0.2]}}, "input_token_count": 7})
    server.route("/api/v1/task/embedding-tasks", body=lambda body: {
        "results": {"vectors": [{"data": {"values": [0.1, 0.2]}} for _text in body["inputs"]]}})


@pytest.fixture
def run_module(run_main):
    return lambda args: run_main(serving_benchmark.main, args)


def module_args(server, **extra):
    args = dict(model="minilm", max_tokens=64, candidate_url=server.url, candidate_model="minilm",
                reference_type="caikit", reference_url=server.url, reference_model="mini", levels=[1], duration=0.3,
                warmup=0, mix={"query": 2, "batch": 1}, batch_size=4, window_factor=1, min_completions=1,
                # a level too short on a busy machine is measured again for longer instead of not counting
                max_duration=10, throughput_ratio=0.01, p95_bound_ms=10000)
    args.update(extra)
    return args


def test_a_level_gives_the_record_and_the_state_of_the_next_call(scripted_server, run_module):
    serve(scripted_server)
    first = run_module(module_args(scripted_server))
    assert not first.get("failed"), first["msg"]
    record = first["performance"]
    assert record["status"] == "passed" and first["changed"] is False  # no chart asked for
    assert first["msg"] == "model 'minilm': performance passed: %s" % record["reason"]
    assert first["levels"] == record["levels"] and [lv["concurrency"] for lv in record["levels"]] == [1]
    assert record["reference"] == {"type": "caikit", "url": scripted_server.url, "model": "mini"}
    # where the client ran and the path it took: here, over loopback, so the p95 gate judges
    assert {k: record["client"][k] for k in ("location", "path", "reference_path", "latency_gating")} == {
        "location": "controller", "path": "local", "reference_path": "local", "latency_gating": True}
    assert record["gates"]["latency_p95"]["gating"] is True
    assert len(first["calibration"]["fingerprint"]) == 64
    second = run_module(module_args(scripted_server, levels=[2], previous_levels=first["levels"],
                                    calibration=first["calibration"], reference_first=True))
    assert [lv["concurrency"] for lv in second["levels"]] == [1, 2]
    assert second["calibration"]["fingerprint"] == first["calibration"]["fingerprint"]


def test_a_failed_gate_fails_the_task_only_with_fail_on_gate_and_never_when_advisory(scripted_server, run_module):
    serve(scripted_server)
    reported = run_module(module_args(scripted_server, throughput_ratio=1000))
    assert not reported.get("failed") and reported["performance"]["status"] == "failed"
    failed = run_module(module_args(scripted_server, throughput_ratio=1000, fail_on_gate=True))
    assert failed["failed"] is True and failed["msg"].startswith("model 'minilm': performance failed: ")
    assert failed["performance"]["gates"]["throughput_ratio"]["passed"] is False
    advisory = run_module(module_args(scripted_server, throughput_ratio=1000, fail_on_gate=True, advisory=True))
    assert not advisory.get("failed") and advisory["performance"]["advisory"] is True


@pytest.mark.parametrize("extra,message", [
    ({"levels": [0]}, "levels must be positive, got [0.0]"),
    ({"duration": 0}, "duration and timeout must be positive"),
    ({"reference_max_concurrency": 16}, "reference_high_load_allowed=true"),
    ({"reference_type": "golden", "reference_path": "/tmp/minilm.json"},
     "reference_type=golden is a file, which serves no load; benchmark against a server (reference_type caikit or openai)"),
])
def test_settings_that_cannot_work_are_rejected_before_any_request(scripted_server, run_module, extra, message):
    result = run_module(module_args(scripted_server, **extra))
    assert result["failed"] is True and result["msg"].startswith("model 'minilm': ") and message in result["msg"]
    assert scripted_server.requests == []


def test_an_unreachable_reference_fails_with_an_error_record(scripted_server, run_module):
    serve(scripted_server)
    result = run_module(module_args(scripted_server, reference_url="http://127.0.0.1:9"))
    assert result["failed"] is True and result["performance"]["status"] == "error"
    assert result["levels"] == [] and result["calibration"] == {} and "127.0.0.1:9" in result["msg"]


def test_the_reference_is_loaded_through_its_own_ca(behind_two_cas, run_module):
    candidate, router_ca, reference, service_ca = behind_two_cas(serve)
    args = module_args(candidate, reference_url=reference.url, ca_path=router_ca)
    refused = run_module(args)
    assert refused["failed"] is True and refused["performance"]["status"] == "error" and reference.url in refused["msg"]
    measured = run_module(dict(args, reference_ca_path=service_ca))
    assert not measured.get("failed"), measured["msg"]
    assert measured["performance"]["levels"][0]["reference"]["succeeded"] > 0


def test_check_mode_sends_no_load(scripted_server, run_module):
    serve(scripted_server)
    result = run_module(module_args(scripted_server, _ansible_check_mode=True, client_location="cluster_job",
                                    platform="openshift"))
    assert result["performance"]["status"] == "not_measured" and result["performance"]["reason"] == "check mode: no load was sent"
    assert result["performance"]["client"]["location"] == "cluster_job"
    assert result["calibration"] == {} and scripted_server.requests == []


def test_a_v1_base_url_is_used_without_it_with_a_warning(scripted_server, run_module):
    serve(scripted_server)
    result = run_module(module_args(scripted_server, candidate_url=scripted_server.url + "/v1"))
    assert result["performance"]["candidate"]["url"] == scripted_server.url
    # a warning is a string, or a dict with its text from ansible-core 2.19 on
    assert "candidate_url: base URL %s/v1 ends in /v1" % scripted_server.url in str(result["warnings"])

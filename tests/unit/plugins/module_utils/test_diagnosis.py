# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Diagnosis of a vLLM pod that did not become ready: recorded cluster states, odd shapes, precedence."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.diagnosis import (
    CAUSES, MAX_EVIDENCE_CHARS, MAX_EVIDENCE_ITEMS, classify)

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "diagnosis"
FIXTURES = sorted(FIXTURE_DIR.glob("*.json"))

# vLLM's own wording (vllm 0.32 source), used to build states the fixtures do not cover.
ARCHITECTURE_ERROR = ("  Value error, Model architectures ['FancyEncoderModel'] are not supported for now. "
                      "Supported architectures: dict_keys(['BertModel', 'XLMRobertaModel'])")
ST_WARNING = ("(APIServer pid=1) WARNING 11-23 09:17:10 [config.py:1012] Unable to determine Sentence Transformers "
              "pooling type from 1_Pooling/config.json; unless configured explicitly, vLLM will fall back to the "
              "model architecture default.")
CUDA_OOM_ERROR = ("(EngineCore pid=212) ERROR 11-23 09:17:31 [core.py:1510] ValueError: No available memory for the "
                  "cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.")


def load(name):
    with open(FIXTURE_DIR / (name + ".json")) as handle:
        return json.load(handle)


def run(fixture):
    return classify(fixture["pods"], fixture["events"], fixture["logs"])


def running_pod(name="minilm-vllm-1", restarts=0):
    return {
        "metadata": {"name": name, "namespace": "vllm-migration"},
        "spec": {"nodeName": "gpu-worker-1", "containers": [{"name": "vllm"}]},
        "status": {"phase": "Running",
                   "conditions": [{"type": "PodScheduled", "status": "True"}],
                   "containerStatuses": [{"name": "vllm", "ready": False, "restartCount": restarts,
                                          "state": {"running": {"startedAt": "2025-11-23T09:12:44Z"}},
                                          "lastState": {}}]},
    }


def crashing_pod(name="minilm-vllm-1", exit_code=1):
    pod = running_pod(name, restarts=3)
    pod["status"]["containerStatuses"][0]["state"] = {
        "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting failed container=vllm"}}
    pod["status"]["containerStatuses"][0]["lastState"] = {"terminated": {"exitCode": exit_code, "reason": "Error"}}
    return pod


def probe_event(pod_name="minilm-vllm-1"):
    return {"reason": "Unhealthy", "type": "Warning", "count": 12,
            "message": 'Startup probe failed: Get "http://10.131.0.45:8000/health": connect: connection refused',
            "involvedObject": {"kind": "Pod", "name": pod_name}}


# --- recorded states ---

def test_there_is_a_fixture_for_every_cause():
    covered = {json.loads(path.read_text())["expected_cause"] for path in FIXTURES}
    assert covered == set(CAUSES)


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_recorded_state_is_classified(path):
    fixture = json.loads(path.read_text())
    result = run(fixture)
    assert result["cause"] == fixture["expected_cause"], result
    assert result["hint"].strip()
    assert result["summary"].strip()
    assert any(fixture["expected_evidence"] in item for item in result["evidence"]), result["evidence"]
    assert 0 < len(result["evidence"]) <= MAX_EVIDENCE_ITEMS
    # "log: " or a pod/container label comes before each clipped text
    assert all(len(item) <= MAX_EVIDENCE_CHARS + 80 for item in result["evidence"])


def test_long_log_line_is_clipped_around_the_match():
    fixture = load("unsupported_architecture")
    longest = max(fixture["logs"].splitlines(), key=len)
    assert len(longest) > 5000  # the real line lists every architecture vLLM supports
    evidence = run(fixture)["evidence"][0]
    assert "['FancyEncoderModel'] are not supported for now" in evidence
    assert len(evidence) < 400


def test_traceback_frame_brings_the_exception_that_ended_it():
    evidence = run(load("missing_sentence_transformers_config"))["evidence"]
    assert "in get_pooling_config" in evidence[0]
    assert "AttributeError: 'NoneType' object has no attribute 'items'" in evidence[1]


def test_crash_loop_shows_the_last_log_lines():
    evidence = run(load("crash_loop"))["evidence"]
    assert evidence[-1] == "log: api_server.py: error: unrecognized arguments: --task"
    assert any("exit code 2" in item for item in evidence)


def test_oom_killed_names_the_memory_limit():
    assert "memory limit 2Gi" in run(load("oom_killed"))["evidence"][0]


# --- hints say which remedy applies ---

def test_unschedulable_hint_tells_gpu_capacity_from_taints_and_selectors():
    no_gpu = run(load("unschedulable"))["hint"]
    assert "Insufficient nvidia.com/gpu" in no_gpu and "gpu: 0" in no_gpu
    assert "toleration" not in no_gpu
    tainted = run(load("unschedulable_taint_selector"))["hint"]
    assert "tolerations" in tainted and "nodeSelector" in tainted
    assert "Insufficient nvidia.com/gpu" not in tainted


def test_image_pull_hint_leads_with_the_registry_answer():
    assert run(load("image_pull"))["hint"].startswith("The registry does not have this image or tag")
    fixture = load("image_pull")
    for event in fixture["events"]:
        if "manifest unknown" in event["message"]:
            event["message"] = event["message"].replace("manifest unknown", "unauthorized: access to the requested "
                                                        "resource is not authorized")
    assert run(fixture)["hint"].startswith("The registry refused access: fix the pull secret")


def test_architecture_hint_leads_with_the_flag_the_error_asks_for():
    logs = ("ValueError: Loading /models/gte contains custom code which must be executed to correctly load the "
            "model. Please pass the argument `trust_remote_code=True` to allow custom code to be run.")
    result = classify([crashing_pod()], [], logs)
    assert result["cause"] == "unsupported_architecture"
    assert result["hint"].startswith("The model ships custom code: add --trust-remote-code")
    logs = ("Value error, This model does not support `--runner pooling`. You can pass `--convert <embed|classify> "
            "to adapt it into a pooling model.")
    assert classify([crashing_pod()], [], logs)["hint"].startswith("The model is generative: add --convert")


def test_hint_commands_name_the_pod_and_namespace():
    hint = run(load("unknown"))["hint"]
    assert "oc describe pod minilm-vllm-7c9d5f8b6-b5vnw -n vllm-migration" in hint


# --- empty and odd inputs ---

@pytest.mark.parametrize("pods, events, logs", [
    (None, None, None),
    ([], [], ""),
    ({}, {}, {}),
])
def test_nothing_to_read_is_unknown(pods, events, logs):
    result = classify(pods, events, logs)
    assert result["cause"] == "unknown"
    assert result["evidence"] == ["no pod status, events or logs were available"]
    assert "No pod of the server was found" in result["hint"]


def test_called_without_arguments_is_unknown():
    assert classify()["cause"] == "unknown"


ODD_PODS = [
    None, "pod", 42, [],
    {"metadata": None, "spec": None, "status": None},
    {"metadata": {"name": None}, "status": {"conditions": [None, "x", {"type": "PodScheduled"}],
                                            "containerStatuses": {"not": "a list"}}},
    {"status": {"containerStatuses": [None, {"state": None, "lastState": {"terminated": None}},
                                      {"state": {"waiting": None, "terminated": {"exitCode": "oops"}},
                                       "restartCount": None}]}},
    {"spec": {"containers": [None, {"resources": None}, {"resources": {"limits": None}}]}},
]
ODD_EVENTS = [None, "event", {"involvedObject": None, "message": None}, {"count": "many", "reason": 7},
              {"regarding": {"kind": "Pod"}, "note": None, "series": None}]


@pytest.mark.parametrize("logs", [None, 42, ["line one", None, 3], b"bytes \xff log", "\x1b[31mcolored\x1b[0m"])
def test_odd_shapes_do_not_raise(logs):
    result = classify(ODD_PODS, ODD_EVENTS, logs)
    assert result["cause"] in CAUSES
    assert isinstance(result["evidence"], list) and all(isinstance(item, str) for item in result["evidence"])


def test_odd_shapes_still_show_what_was_seen():
    result = classify([{"status": {"phase": "Pending"}}], [None], None)
    assert result["cause"] == "unknown"
    assert "?: Pending" in result["evidence"]


def test_bytes_and_list_logs_are_read_as_text():
    assert classify([crashing_pod()], [], [b"starting", ARCHITECTURE_ERROR.encode()])["cause"] == \
        "unsupported_architecture"
    assert classify([crashing_pod()], [], ARCHITECTURE_ERROR.encode())["cause"] == "unsupported_architecture"
    assert classify([crashing_pod()], [], ["starting", ARCHITECTURE_ERROR])["cause"] == "unsupported_architecture"


def test_terminal_colours_do_not_hide_a_log_line():
    logs = "\x1b[1;31mERROR\x1b[0m torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB."
    result = classify([crashing_pod()], [], logs)
    assert result["cause"] == "cuda_oom"
    assert "\x1b" not in result["evidence"][0]


def test_a_huge_log_is_classified_quickly():
    config_dump = "(EngineCore pid=3) INFO 11-23 09:17:21 [core.py:133] config: " + "x=1, " * 40000
    logs = "\n".join([config_dump] * 20 + [ST_WARNING])
    started = time.monotonic()
    result = classify([crashing_pod()], [], logs)
    assert time.monotonic() - started < 2
    assert result["cause"] == "missing_sentence_transformers_config"


# --- precedence ---

def test_log_cause_beats_crash_loop():
    fixture = load("crash_loop")
    assert run(fixture)["cause"] == "crash_loop"
    fixture["logs"] += "\n" + ARCHITECTURE_ERROR
    assert run(fixture)["cause"] == "unsupported_architecture"


def test_architecture_beats_cuda_oom_and_cuda_oom_beats_sentence_transformers_warning():
    pods = [crashing_pod()]
    assert classify(pods, [], "\n".join([ST_WARNING, CUDA_OOM_ERROR]))["cause"] == "cuda_oom"
    assert classify(pods, [], "\n".join([CUDA_OOM_ERROR, ARCHITECTURE_ERROR]))["cause"] == "unsupported_architecture"


def test_image_pull_and_scheduling_need_no_logs_and_beat_log_causes():
    fixture = load("image_pull")
    fixture["logs"] = ARCHITECTURE_ERROR
    assert run(fixture)["cause"] == "image_pull"
    fixture = load("unschedulable")
    fixture["logs"] = CUDA_OOM_ERROR
    assert run(fixture)["cause"] == "unschedulable"


def test_image_pull_beats_unschedulable_across_pods():
    pull = load("image_pull")
    pending = load("unschedulable")
    result = classify(pending["pods"] + pull["pods"], pending["events"] + pull["events"], "")
    assert result["cause"] == "image_pull"
    assert "granite-vllm-84c6d7f9b-9zt2m" in result["summary"] and "granite-vllm-84c6d7f9b-4hq7s" in result["summary"]


def test_oom_killed_beats_log_causes():
    fixture = load("oom_killed")
    fixture["logs"] += "\n" + CUDA_OOM_ERROR
    assert run(fixture)["cause"] == "oom_killed"


def test_stale_pull_and_scheduling_events_are_ignored_once_the_container_ran():
    fixture = load("probe_failure")
    stale = copy.deepcopy(load("image_pull")["events"])
    stale += copy.deepcopy(load("unschedulable")["events"])
    pod_name = fixture["pods"][0]["metadata"]["name"]
    for event in stale:
        event["involvedObject"]["name"] = pod_name
    fixture["events"] = stale + fixture["events"]
    assert run(fixture)["cause"] == "probe_failure"


def test_events_of_other_pods_are_not_read():
    fixture = load("crash_loop")
    other = copy.deepcopy(load("unschedulable")["events"])  # about granite-vllm-..., not this pod
    fixture["events"] += other
    assert run(fixture)["cause"] == "crash_loop"


def test_replica_set_events_stay_as_evidence():
    quota = {"reason": "FailedCreate", "type": "Warning", "count": 9,
             "involvedObject": {"kind": "ReplicaSet", "name": "minilm-vllm-7c9d5f8b6"},
             "message": 'Error creating: pods "minilm-vllm-7c9d5f8b6-abcde" is forbidden: exceeded quota: gpu-quota, '
                        "requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=1, "
                        "limited: requests.nvidia.com/gpu=1"}
    result = classify([], [quota], "")
    assert result["cause"] == "unknown"
    assert any("exceeded quota: gpu-quota" in item for item in result["evidence"])
    assert "quota" in result["hint"]
    pending = {"metadata": {"name": "minilm-vllm-1"}, "status": {"phase": "Pending"}}
    assert any("exceeded quota" in item for item in classify([pending], [quota], "")["evidence"])


def test_summary_is_a_sentence_naming_the_pods():
    assert run(load("oom_killed"))["summary"] == (
        "pod bge-reranker-vllm-5b7f6c9d8-kk2xq: the container was killed for exceeding its memory limit (OOMKilled).")


def test_without_pods_every_event_is_read():
    events = load("unschedulable")["events"]
    assert classify([], events, "")["cause"] == "unschedulable"
    assert classify([], [probe_event()], "")["cause"] == "probe_failure"


def test_sentence_transformers_warning_explains_a_crash_but_not_a_failing_probe():
    assert classify([crashing_pod()], [], ST_WARNING)["cause"] == "missing_sentence_transformers_config"
    assert classify([running_pod()], [probe_event()], ST_WARNING)["cause"] == "probe_failure"


def test_sentence_transformers_error_line_beats_a_failing_probe():
    error = ("OSError: /models/minilm does not appear to have a file named modules.json. Checkout "
             "'https://huggingface.co//models/minilm/tree/main' for available files.")
    result = classify([running_pod()], [probe_event()], error)
    assert result["cause"] == "missing_sentence_transformers_config"
    assert "modules.json" in result["evidence"][0]


def test_found_sentence_transformers_files_are_no_evidence():
    logs = "\n".join([
        "(APIServer pid=1) INFO 11-23 04:25:30 [config.py:1098] Found sentence-transformers tokenize configuration.",
        "(APIServer pid=1) INFO 11-23 04:25:30 [config.py:978] Found sentence-transformers modules configuration.",
        "(APIServer pid=1) INFO 11-23 04:25:30 [config.py:1001] Found pooling configuration.",
        "api_server.py: error: unrecognized arguments: --task",
    ])
    assert classify([crashing_pod(exit_code=2)], [], logs)["cause"] == "crash_loop"


def test_probe_kills_are_not_a_crash_but_an_own_exit_is():
    fixture = load("precedence_probe_kills_slow_start")
    assert run(fixture)["cause"] == "probe_failure"
    last = fixture["pods"][0]["status"]["containerStatuses"][0]["lastState"]["terminated"]
    last["exitCode"] = 1
    assert run(fixture)["cause"] == "crash_loop"


def test_readiness_failures_between_crashes_are_a_crash_loop():
    assert run(load("precedence_crash_with_readiness_failures"))["cause"] == "crash_loop"
    pod = running_pod(restarts=4)
    assert classify([pod], [probe_event()], "")["cause"] == "probe_failure"

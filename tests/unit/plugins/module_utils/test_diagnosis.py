# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Diagnosis of a vLLM pod that did not become ready: recorded cluster states, odd shapes, precedence."""

from __future__ import annotations

import copy
import re
import json
import time
from pathlib import Path

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.diagnosis import (
    CAUSES, MAX_EVIDENCE_CHARS, MAX_EVIDENCE_ITEMS, classify, hopeless)

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
    return classify(fixture["pods"], fixture["events"], fixture["logs"], fixture.get("namespace"),
                    fixture.get("deployment"))


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


def test_replica_set_refusal_names_the_quota_without_pods_and_stays_evidence_with_them():
    quota = {"reason": "FailedCreate", "type": "Warning", "count": 9,
             "involvedObject": {"kind": "ReplicaSet", "name": "minilm-vllm-7c9d5f8b6"},
             "message": 'Error creating: pods "minilm-vllm-7c9d5f8b6-abcde" is forbidden: exceeded quota: gpu-quota, '
                        "requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=1, "
                        "limited: requests.nvidia.com/gpu=1"}
    result = classify([], [quota], "", "rag-prod", "minilm-vllm")
    assert result["cause"] == "quota_exceeded"
    assert any("exceeded quota: gpu-quota" in item for item in result["evidence"])
    assert "oc describe resourcequota -n rag-prod" in result["hint"]
    # a pod exists: the refusal may be stale, so it is only evidence of what was seen
    pending = {"metadata": {"name": "minilm-vllm-1"}, "status": {"phase": "Pending"}}
    result = classify([pending], [quota], "")
    assert result["cause"] == "unknown"
    assert any("exceeded quota" in item for item in result["evidence"])


def test_replica_sets_of_other_deployments_are_left_out_when_the_deployment_is_named():
    fixture = load("quota_exceeded")
    other = [e for e in fixture["events"] if e["involvedObject"]["name"].startswith("minilm-vllm")]
    assert other and classify([], other, "", "vllm-migration", "minilm-vllm")["cause"] == "admission_refused"
    assert classify([], other, "", "vllm-migration", "bge-reranker-vllm")["cause"] == "unknown"
    assert not hopeless([], other, "bge-reranker-vllm")["hopeless"]


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


# --- the causes added for a real cluster: cache misses, drivers, volumes, refused pods ---

@pytest.mark.parametrize("line", [
    "huggingface_hub.errors.LocalEntryNotFoundError: Cannot find an appropriate cached snapshot folder for the "
    "specified revision on the local disk and outgoing traffic has been disabled. To enable repo look-ups and "
    "downloads online, pass 'local_files_only=False' as input.",
    "OSError: We couldn't connect to 'https://huggingface.co' to load the files, and couldn't find them in the "
    "cached files. Check your internet connection or see how to run the library in offline mode.",
    "huggingface_hub.errors.OfflineModeIsEnabled: Cannot reach https://huggingface.co/api/models/BAAI/bge-reranker-"
    "v2-m3: offline mode is enabled. To disable it, please unset the `HF_HUB_OFFLINE` environment variable.",
])
def test_offline_cache_misses_name_the_cache(line):
    result = classify([crashing_pod()], [], line)
    assert result["cause"] == "model_not_cached"
    assert "model_cache_prefetch" in result["hint"]


def test_a_missing_sentence_transformers_file_offline_is_not_a_cache_miss_of_the_model():
    line = ("huggingface_hub.errors.LocalEntryNotFoundError: Cannot find the requested files in the disk cache and "
            "outgoing traffic has been disabled (modules.json)")
    assert classify([crashing_pod()], [], line)["cause"] == "missing_sentence_transformers_config"


def test_cache_miss_beats_the_sentence_transformers_warning_before_it():
    result = run(load("model_not_cached"))
    assert result["cause"] == "model_not_cached"
    assert not any("modules.json" in item for item in result["evidence"])


@pytest.mark.parametrize("line", [
    "RuntimeError: Unexpected error from cudaGetDeviceCount(). Did you run some cuda functions before calling "
    "NumCudaDevices() that might have already set an error? Error 804: forward compatibility was attempted on non "
    "supported HW",
    "RuntimeError: CUDA error: CUDA driver version is insufficient for CUDA runtime version",
    "Error 803: system has unsupported display driver / cuda driver combination",
])
def test_driver_too_old_for_the_image_is_named_from_the_log(line):
    result = classify([crashing_pod()], [], line + "\n" + CUDA_OOM_ERROR)
    assert result["cause"] == "cuda_driver"
    assert "driver" in result["hint"] and "GPU operator" in result["hint"]


def test_container_hook_refusal_is_a_driver_cause_without_any_log():
    result = run(load("cuda_driver_container_hook"))
    assert result["cause"] == "cuda_driver"
    assert result["evidence"][0].startswith("msmarco-vllm-6f5c8d7b9-j5p8s/vllm: ")


def test_multi_attach_hint_names_the_access_mode_and_serial_models():
    hint = run(load("volume_multi_attach"))["hint"]
    assert "ReadWriteOnce" in hint and "ReadWriteMany" in hint and "serial_models" in hint


def test_a_missing_secret_volume_is_named_in_the_hint():
    event = {"reason": "FailedMount", "type": "Warning", "involvedObject": {"kind": "Pod", "name": "minilm-vllm-1"},
             "message": 'MountVolume.SetUp failed for volume "proxy-tls" : secret "vllm-minilm-proxy-tls" not found'}
    # a container that runs proves the volumes were mounted since: the event is history
    assert classify([running_pod()], [event], "")["cause"] != "volume_mount"
    pending = {"metadata": {"name": "minilm-vllm-1", "namespace": "rag"}, "spec": {"nodeName": "n1"},
               "status": {"phase": "Pending", "containerStatuses": [
                   {"name": "vllm", "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]}}
    result = classify([pending], [event], "")
    assert result["cause"] == "volume_mount"
    assert result["hint"].startswith("The Secret vllm-minilm-proxy-tls that a volume of the pod needs does not exist "
                                     "in namespace rag")


@pytest.mark.parametrize("message, lead", [
    ('pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false',
     "The namespace's Pod Security admission"),
    ('pods "x" is forbidden: error looking up service account rag/vllm: serviceaccount "vllm" not found',
     "The ServiceAccount the pod names (vllm_server_service_account) does not exist in rag"),
    ('pods "x" is forbidden: maximum memory usage per Container is 8Gi, but limit is 16Gi',
     "A LimitRange of namespace rag"),
    ('admission webhook "validate.kyverno.svc" denied the request: images must come from the mirror',
     "An admission webhook denied the pod"),
])
def test_admission_hint_names_the_step_that_refused(message, lead):
    event = {"reason": "FailedCreate", "type": "Warning", "message": "Error creating: " + message,
             "involvedObject": {"kind": "ReplicaSet", "name": "vllm-minilm-5c8d"}}
    result = classify([], [event], "", "rag", "vllm-minilm")
    assert result["cause"] == "admission_refused"
    assert result["hint"].startswith(lead)


def test_scc_refusal_hint_says_to_leave_the_user_unpinned():
    hint = run(load("admission_refused_scc"))["hint"]
    assert "security context constraints" in hint and "vllm_server_run_as_user" in hint
    assert "oc describe replicaset -n vllm-migration" in hint


# --- hints name the real objects, never a placeholder ---

def _every_state():
    states = [(f.stem, run(json.loads(f.read_text()))) for f in FIXTURES]
    states.append(("nothing", classify()))
    states.append(("nothing, named", classify([], [], "", "rag-prod", "vllm-minilm")))
    return states


@pytest.mark.parametrize("name, result", _every_state(), ids=lambda value: value if isinstance(value, str) else "")
def test_no_hint_prints_a_placeholder(name, result):
    assert not re.search(r"<(pod|namespace|deployment)>", result["hint"]), (name, result["hint"])
    assert "-n  " not in result["hint"] and "namespace  " not in result["hint"]


def test_no_pod_hint_names_the_deployment_and_namespace():
    hint = classify([], [], "", "rag-prod", "vllm-minilm")["hint"]
    assert "oc describe deployment vllm-minilm -n rag-prod" in hint
    assert "`oc describe deployment`" in classify()["hint"]


# --- hopeless: states that waiting cannot heal end the rollout wait early ---

@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_recorded_state_is_hopeless_or_not(path):
    fixture = json.loads(path.read_text())
    expected = fixture.get("expected_hopeless", HOPELESS_OLD_FIXTURES.get(path.stem))
    assert expected is not None, "say in %s whether it is hopeless (expected_hopeless)" % path.name
    verdict = hopeless(fixture["pods"], fixture["events"], fixture.get("deployment"))
    assert verdict["hopeless"] is expected, verdict
    assert bool(verdict["reason"]) is expected


# The fixtures recorded before hopeless existed, and why each is or is not hopeless.
HOPELESS_OLD_FIXTURES = {
    "crash_loop": True,                                 # 6 restarts in CrashLoopBackOff
    "cuda_oom": True,                                   # 5 restarts
    "image_pull": True,                                 # manifest unknown
    "missing_sentence_transformers_config": True,       # 3 restarts, the limit
    "oom_killed": True,                                 # 3 restarts
    "precedence_crash_loop_with_cuda_oom_log": True,    # 4 restarts
    "precedence_crash_with_readiness_failures": False,  # running again right now
    "precedence_probe_kills_slow_start": True,          # killed by its startup probe 3 times
    "precedence_stale_scheduling_event_oom_killed": False,  # 2 restarts: under the limit
    "probe_failure": False,                             # still starting
    "unknown": True,                                    # CreateContainerConfigError: a Secret is missing
    "unschedulable": False,                             # a GPU may free up
    "unschedulable_taint_selector": True,               # taints and selectors do not change by themselves
    "unsupported_architecture": True,                   # 4 restarts
}


def test_restart_limit_decides_a_crash_loop():
    pod = crashing_pod()  # 3 restarts
    assert hopeless([pod], [], restart_limit=3)["hopeless"]
    assert not hopeless([pod], [], restart_limit=4)["hopeless"]
    assert "restarted 3 times and waits in CrashLoopBackOff (limit 3)" in hopeless([pod])["reason"]


def test_a_transient_registry_error_is_worth_waiting_for():
    fixture = load("image_pull")
    status = fixture["pods"][0]["status"]["containerStatuses"][0]["state"]["waiting"]
    status["message"] = 'Back-off pulling image: pinging container registry quay.io: Get "https://quay.io/v2/": dial tcp: i/o timeout'
    assert not hopeless(fixture["pods"], fixture["events"])["hopeless"]


def test_insufficient_gpus_wait_but_a_selector_alone_does_not_and_a_scale_up_does():
    selector = ("0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes "
                "are available: 4 Preemption is not helpful for scheduling.")
    mixed = "0/4 nodes are available: 1 Insufficient nvidia.com/gpu, 3 node(s) didn't match Pod's node affinity/selector."
    pod = {"metadata": {"name": "minilm-vllm-1"}, "status": {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": selector}]}}
    assert hopeless([pod])["hopeless"]
    scale_up = {"reason": "TriggeredScaleUp", "type": "Normal", "involvedObject": {"kind": "Pod", "name": "minilm-vllm-1"},
                "message": "pod triggered scale-up: [{MachineSet/openshift-machine-api/gpu-a 0->1 (max: 2)}]"}
    assert not hopeless([pod], [scale_up])["hopeless"]
    pod["status"]["conditions"][0]["message"] = mixed
    assert not hopeless([pod])["hopeless"]


def test_a_mount_that_waits_is_not_hopeless():
    assert not hopeless(load("volume_multi_attach")["pods"], load("volume_multi_attach")["events"])["hopeless"]


@pytest.mark.parametrize("pods, events", [(None, None), ([], []), (ODD_PODS, ODD_EVENTS)])
def test_hopeless_reads_odd_shapes_without_raising(pods, events):
    assert hopeless(pods, events, None, "x")["hopeless"] in (True, False)


def test_hopeless_reads_only_the_named_deployments_pods():
    crashing = load("crash_loop")["pods"]  # owned by ReplicaSet msmarco-vllm-6f5c8d7b9
    assert hopeless(crashing, [], "msmarco-vllm")["hopeless"]
    assert not hopeless(crashing, [], "minilm-vllm")["hopeless"]
    labelled = crashing_pod("vllm-minilm-1")
    labelled["metadata"]["labels"] = {"app.kubernetes.io/instance": "vllm-minilm"}
    assert hopeless([labelled], [], "vllm-minilm")["hopeless"]
    assert not hopeless([labelled], [], "vllm-granite")["hopeless"]

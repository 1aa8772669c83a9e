# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The rollout wait (module_utils/rollout.py) on a scripted reader and a fake clock: states, early stops,
timeouts, read failures, diagnoses, endpoint records and the weights digest a copy init container logged. Also the event selection of diagnosis.server_events,
which the role did in Jinja before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import rollout, storage_plan
from ansible_collections.vllm_pooling.migration.plugins.module_utils.diagnosis import early_stop_summary, server_events

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "diagnosis"
NS = "vllm-migration"
SERVERS = [{"key": "minilm", "name": "vllm-minilm"}, {"key": "msmarco", "name": "vllm-msmarco"}]


def deployment(state):
    """A Deployment as the API returns it: rolled out, failed at the deadline, or still rolling out."""
    if state is None:
        return None
    status = {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "conditions": []}
    if state == "rolled_out":
        status["availableReplicas"] = 1
    elif state == "failed":
        status["conditions"] = [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                 "message": "ReplicaSet \"vllm-x-1\" has timed out progressing."}]
    return {"metadata": {"generation": 1}, "spec": {"replicas": 1}, "status": status}


def crashing_pod(name, instance, restarts=5):
    return {"metadata": {"name": name, "namespace": NS, "labels": {"app.kubernetes.io/instance": instance}},
            "spec": {"containers": [{"name": "vllm"}]},
            "status": {"phase": "Running", "conditions": [{"type": "PodScheduled", "status": "True"}],
                       "containerStatuses": [{"name": "vllm", "ready": False, "restartCount": restarts,
                                              "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                              "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}]}}


class Reader(object):
    """A scripted cluster: ``states`` is a list of {deployment name: state} per look (the last one repeats)."""

    def __init__(self, states, pods=(), events=(), logs=None, errors=None):
        self.states, self.pods_list, self.events_list = list(states), list(pods), list(events)
        self.logs = logs or {}
        self.errors = list(errors or [])  # per look: None or a RolloutError raised at its first read
        self.looks, self.reads = 0, []
        self._name_of_look = None

    def deployment(self, name):
        if name == SERVERS[0]["name"] or self._name_of_look is None:
            index = min(self.looks, len(self.states) - 1)
            error = self.errors[self.looks] if self.looks < len(self.errors) else None
            self.looks += 1
            self._name_of_look = index
            if error is not None:
                raise error
        self.reads.append(("deployment", name))
        return deployment(self.states[self._name_of_look].get(name))

    def pods(self, label_selector):
        self.reads.append(("pods", label_selector))
        return list(self.pods_list)

    def events(self):
        self.reads.append(("events",))
        return list(self.events_list)

    def log(self, pod, container, previous, tail_lines):
        self.reads.append(("log", pod, container, previous, tail_lines))
        return self.logs.get((pod, previous))


class Clock(object):
    def __init__(self):
        self.now, self.sleeps = 100.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def run_wait(reader, timeout=60, poll=10, limit=3):
    clock = Clock()
    return rollout.wait(reader, SERVERS, timeout, poll, limit, clock=clock, sleep=clock.sleep), clock


def test_rolled_out_servers_end_the_wait_at_the_first_look():
    reader = Reader([{"vllm-minilm": "rolled_out", "vllm-msmarco": "rolled_out"}])
    verdicts, clock = run_wait(reader)
    assert {k: v["state"] for k, v in verdicts.items()} == {"minilm": "rolled_out", "msmarco": "rolled_out"}
    assert clock.sleeps == [] and ("events",) not in reader.reads  # nothing rolling out: no pods or events read


def test_the_wait_polls_until_the_last_server_rolls_out():
    reader = Reader([{"vllm-minilm": "rolled_out", "vllm-msmarco": None},
                     {"vllm-minilm": "rolled_out", "vllm-msmarco": "progressing"},
                     {"vllm-minilm": "rolled_out", "vllm-msmarco": "rolled_out"}])
    verdicts, clock = run_wait(reader, timeout=60, poll=10)
    assert verdicts["msmarco"]["state"] == "rolled_out"
    assert clock.sleeps == [10, 10]
    # Only the server still rolling out has its pods judged, by the component's and its model's labels.
    assert ("pods", "app.kubernetes.io/managed-by=vllm_pooling.migration,app.kubernetes.io/component=vllm-server,"
                    "vllm-migration/model=msmarco") in reader.reads


def test_a_server_still_rolling_out_when_the_time_is_up_is_timed_out():
    reader = Reader([{"vllm-minilm": "rolled_out", "vllm-msmarco": "progressing"}])
    verdicts, clock = run_wait(reader, timeout=25, poll=10)
    assert verdicts["msmarco"] == {"name": "vllm-msmarco", "state": "timed_out",
                                   "reason": "still rolling out when the wait of 25 s ended"}
    assert clock.sleeps == [10, 10, 5]  # the last sleep ends at the deadline, then one more look


def test_wait_timeout_zero_looks_once():
    reader = Reader([{"vllm-minilm": "progressing", "vllm-msmarco": "failed"}])
    verdicts, clock = run_wait(reader, timeout=0)
    assert clock.sleeps == [] and reader.looks == 1
    assert verdicts["minilm"]["state"] == "timed_out"
    assert verdicts["msmarco"]["state"] == "failed"
    assert "ProgressDeadlineExceeded" in verdicts["msmarco"]["reason"]


def test_a_crash_loop_past_the_limit_stops_the_wait_at_once():
    reader = Reader([{"vllm-minilm": "rolled_out", "vllm-msmarco": "progressing"}],
                    pods=[crashing_pod("vllm-msmarco-7f9b8c6d5-q4w7z", "vllm-msmarco", restarts=5)])
    verdicts, clock = run_wait(reader, limit=3)
    assert verdicts["msmarco"]["state"] == "hopeless" and clock.sleeps == []
    assert "restarted 5 times and waits in CrashLoopBackOff (limit 3)" in verdicts["msmarco"]["reason"]
    # Under the limit it is waited for.
    verdicts, clock = run_wait(Reader(reader.states, pods=reader.pods_list), timeout=20, limit=6)
    assert verdicts["msmarco"]["state"] == "timed_out" and clock.sleeps == [10, 10]


def test_a_failed_deployment_is_not_judged_hopeless():
    reader = Reader([{"vllm-minilm": "failed", "vllm-msmarco": "rolled_out"}],
                    pods=[crashing_pod("vllm-minilm-1-a", "vllm-minilm")])
    verdicts, _clock = run_wait(reader)
    assert verdicts["minilm"]["state"] == "failed"
    assert not [read for read in reader.reads if read[0] == "pods"]


def test_a_read_that_fails_is_tried_again_until_the_time_is_up():
    reader = Reader([{"vllm-minilm": "rolled_out", "vllm-msmarco": "rolled_out"}],
                    errors=[rollout.RolloutError("could not read Deployment vllm-minilm (500 boom)", 500)])
    verdicts, clock = run_wait(reader)
    assert verdicts["minilm"]["state"] == "rolled_out" and clock.sleeps == [10]
    failing = Reader([{}], errors=[rollout.RolloutError("connection reset", None)] * 10)
    with pytest.raises(rollout.RolloutError, match="connection reset"):
        run_wait(failing, timeout=15)
    assert failing.looks == 3  # at 0, 10 and 15 s


def test_a_refused_read_ends_the_wait_at_once():
    reader = Reader([{}], errors=[rollout.RolloutError("could not read Deployment vllm-minilm (403 Forbidden)", 403)])
    with pytest.raises(rollout.RolloutError, match="403"):
        run_wait(reader)
    assert reader.looks == 1


@pytest.mark.parametrize("servers, message", [
    ([{"key": "minilm"}], r"servers\[0\] needs a key"),
    (["minilm"], r"servers\[0\] needs a key"),
    ([{"key": "a", "name": "x"}, {"key": "a", "name": "y"}], "model 'a' is listed twice"),
])
def test_servers_need_a_key_and_a_name(servers, message):
    with pytest.raises(rollout.RolloutError, match=message):
        rollout.check_servers(servers)


def test_not_awaited_reads_nothing():
    assert rollout.not_awaited(SERVERS, "check mode")["minilm"] == {
        "name": "vllm-minilm", "state": "not_awaited", "reason": "check mode"}


def fixture(name):
    return json.loads((FIXTURE_DIR / (name + ".json")).read_text())


def test_diagnose_reads_previous_then_current_logs_and_keeps_other_servers_events_out():
    recorded = fixture("cuda_oom")
    pod = recorded["pods"][0]
    name, deployment_name = pod["metadata"]["name"], recorded.get("deployment") or "bge-reranker-vllm"
    other = {"involvedObject": {"kind": "Pod", "name": "rag-indexer-0"}, "reason": "FailedScheduling",
             "type": "Warning", "message": "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}
    reader = Reader([{}], pods=[pod], events=recorded["events"] + [other],
                    logs={(name, True): recorded["logs"], (name, False): ""})
    server = {"key": "bge_reranker", "name": deployment_name}
    result = rollout.diagnose(reader, NS, server, {"state": "failed", "reason": "x"}, 120)
    assert result["cause"] == "cuda_oom"
    assert [r for r in reader.reads if r[0] == "log"] == [("log", name, "vllm", True, 120), ("log", name, "vllm", False, 120)]
    assert result["logs_read"] == [{"pod": name, "previous": True, "found": True},
                                   {"pod": name, "previous": False, "found": True}]
    assert ("pods", "app.kubernetes.io/managed-by=vllm_pooling.migration,vllm-migration/model=bge_reranker") in reader.reads
    assert not [e for e in result["evidence"] if "Insufficient" in e]
    assert result["msg"].startswith("model 'bge_reranker' in namespace 'vllm-migration': the vLLM server did not "
                                    "become ready (cuda_oom): ")
    assert "Stopped waiting" not in result["summary"]


def test_a_hopeless_servers_summary_says_why_the_wait_stopped():
    reader = Reader([{}], pods=[crashing_pod("vllm-msmarco-1-a", "vllm-msmarco")])
    result = rollout.diagnose(reader, NS, SERVERS[1], {"state": "hopeless", "reason": "it crash-loops."}, 10)
    assert result["summary"].endswith(" Stopped waiting before the progress deadline: it crash-loops.")
    assert result["logs_read"] == [{"pod": "vllm-msmarco-1-a", "previous": True, "found": False},
                                   {"pod": "vllm-msmarco-1-a", "previous": False, "found": False}]


def test_diagnose_all_reads_the_events_once_and_skips_rolled_out_and_not_awaited_servers():
    reader = Reader([{}])
    verdicts = {"minilm": {"state": "rolled_out", "reason": ""}, "msmarco": {"state": "timed_out", "reason": "t"}}
    diagnoses = rollout.diagnose_all(reader, NS, SERVERS, verdicts, 10)
    assert list(diagnoses) == ["msmarco"] and diagnoses["msmarco"]["cause"] == "unknown"
    assert reader.reads.count(("events",)) == 1
    assert rollout.diagnose_all(reader, NS, SERVERS, rollout.not_awaited(SERVERS, "x"), 10) == {}


def planned(key, name):
    entry = {"key": key, "model": "org/" + key, "kind": "embedding", "served_name": key, "workarounds": []}
    return {"key": key, "name": name, "entry": entry, "args": ["--model", "/models/" + key], "image": "vllm:1"}


def test_endpoint_records_follow_the_verdicts():
    servers = [planned("minilm", "vllm-minilm"), planned("msmarco", "vllm-msmarco"), planned("granite", "vllm-granite")]
    urls = {"minilm": "https://a", "msmarco": "https://b", "granite": "https://c"}
    verdicts = {"minilm": {"state": "rolled_out", "reason": ""},
                "msmarco": {"state": "hopeless", "reason": "crash loop"},
                "granite": {"state": "timed_out", "reason": "still rolling out"}}
    diagnosis = {"cause": "crash_loop", "hint": "look", "evidence": ["e"], "summary": "pod p: it crashed."}
    records = rollout.endpoints(servers, verdicts, {"msmarco": diagnosis}, urls, NS, "vllm-api-key", "kubernetes")
    assert records["minilm"]["status"] == "ready" and records["minilm"]["url"] == "https://a"
    assert records["minilm"]["model_root"] == "/models/minilm" and records["minilm"]["deployment"] == "vllm-minilm"
    assert records["minilm"]["api_key_secret"] == "vllm-api-key" and records["minilm"]["platform"] == "kubernetes"
    # the in-cluster Service URL beside the controller's URL, on the proxy's https port when there is one
    assert records["minilm"]["service_url"] == "http://vllm-minilm.%s.svc:8000" % NS
    proxied = rollout.endpoints(servers, verdicts, {"msmarco": diagnosis}, urls, NS, "", "openshift", proxy_port=8443)
    assert proxied["granite"]["service_url"] == "https://vllm-granite.%s.svc:8443" % NS
    assert records["msmarco"]["status"] == "load_failed"
    assert records["msmarco"]["diagnosis"] == diagnosis and records["msmarco"]["reason"] == "pod p: it crashed. Hint: look"
    assert records["granite"]["status"] == "load_failed" and records["granite"]["reason"] == "still rolling out"
    not_verified = rollout.endpoints(servers, rollout.not_awaited(servers, "check mode: nothing was deployed"), {},
                                     urls, NS)
    assert {r["status"] for r in not_verified.values()} == {"not_verified"}
    assert not_verified["granite"]["reason"] == "check mode: nothing was deployed"


@pytest.mark.parametrize("servers, urls, message", [
    (SERVERS, {"minilm": "u", "msmarco": "u"}, "need the server_plan item"),
    ([planned("minilm", "vllm-minilm")], {}, "no URL"),
])
def test_endpoint_records_need_plan_items_and_urls(servers, urls, message):
    verdicts = rollout.not_awaited(servers, "x")
    with pytest.raises(rollout.RolloutError, match=message):
        rollout.endpoints(servers, verdicts, {}, urls, NS)


def test_summary_counts_states_and_names_the_servers_that_did_not_roll_out():
    verdicts = {"minilm": {"state": "rolled_out", "reason": ""}, "msmarco": {"state": "hopeless", "reason": "x  y"}}
    assert rollout.summary(NS, verdicts) == "2 server(s) in namespace vllm-migration: 1 rolled out, 1 hopeless: msmarco (x y)"
    assert rollout.summary(NS, {}) == "0 server(s) in namespace vllm-migration: none"


# --- diagnosis.server_events: what the role selected in Jinja before ---

def event(kind, name, reason="R"):
    return {"involvedObject": {"kind": kind, "name": name}, "reason": reason, "message": "m"}


def test_server_events_keep_its_pods_replicasets_and_deployment_in_that_order():
    events = [event("Deployment", "vllm-minilm"), event("ReplicaSet", "vllm-minilm-6d5c7b9f4"), event("Pod", "p1"),
              event("Pod", "rag-indexer-0"), event("ReplicaSet", "vllm-minilm-extra-6d5c7b9f4"),
              event("ReplicaSet", "vllm-minilm-6D"), event("Deployment", "vllm-minilm-extra"),
              event("PersistentVolumeClaim", "vllm-model-cache"), {"reason": "no object"}, "not an event"]
    kept = server_events(events, "vllm-minilm", ["p1"])
    assert kept == [events[2], events[1], events[0]]
    # Without pods, another pod's event never stands for the server.
    assert server_events(events, "vllm-minilm", []) == [events[1], events[0]]
    assert server_events(None, "x", None) == []


def test_early_stop_summary():
    assert early_stop_summary("pod p: it crashed.", "") == "pod p: it crashed."
    assert early_stop_summary("s.", "why.") == "s. Stopped waiting before the progress deadline: why."


class KServeReader(Reader):
    """One look at a cluster with InferenceServices: Deployments by name and InferenceServices by name."""

    def __init__(self, deployments, inference_services, **kwargs):
        super().__init__([deployments], **kwargs)
        self.inference_services = inference_services

    def deployment(self, name):
        self.reads.append(("deployment", name))
        return deployment(self.states[0].get(name))

    def inference_service(self, name):
        self.reads.append(("inferenceservice", name))
        return self.inference_services.get(name)


ISVC_SERVER = {"key": "minilm", "name": "vllm-minilm", "target": "inferenceservice",
               "deployment": "vllm-minilm-predictor", "container": "kserve-container"}
ISVC_READY = {"status": {"url": "https://vllm-minilm-ns.apps.example.com",
                         "address": {"url": "http://vllm-minilm-predictor.ns.svc.cluster.local"},
                         "modelStatus": {"transitionStatus": "UpToDate"}}}


def test_an_inference_service_rolls_out_with_its_predictor_deployment_and_brings_its_urls():
    reader = KServeReader({"vllm-minilm-predictor": "rolled_out"}, {"vllm-minilm": ISVC_READY})
    verdicts = rollout.wait(reader, [ISVC_SERVER], 0, 1, 3)
    assert verdicts["minilm"]["state"] == "rolled_out"
    assert ("deployment", "vllm-minilm-predictor") in reader.reads and ("deployment", "vllm-minilm") not in reader.reads
    assert verdicts["minilm"]["url"] == "https://vllm-minilm-ns.apps.example.com"
    server = dict(planned("minilm", "vllm-minilm"), **ISVC_SERVER)
    records = rollout.endpoints([server], verdicts, {}, {"minilm": "http://planned"}, NS)
    assert records["minilm"]["url"] == "https://vllm-minilm-ns.apps.example.com"
    assert records["minilm"]["service_url"] == "http://vllm-minilm-predictor.ns.svc.cluster.local"


def test_an_inference_service_kserve_refused_fails_at_once_with_kserves_words():
    refused = {"status": {"modelStatus": {"transitionStatus": "InvalidSpec", "lastFailureInfo": {
        "reason": "RuntimeNotRecognized", "message": "Specified runtime does not support specified framework/version"}}}}
    reader = KServeReader({}, {"vllm-minilm": refused})
    verdicts = rollout.wait(reader, [ISVC_SERVER], 600, 10, 3, clock=lambda: 0, sleep=pytest.fail)
    assert verdicts["minilm"]["state"] == "failed"
    assert verdicts["minilm"]["reason"] == ("KServe reports InvalidSpec for the InferenceService: RuntimeNotRecognized "
                                            "Specified runtime does not support specified framework/version")


def test_an_inference_service_is_diagnosed_from_its_predictor_pods_and_kserve_container():
    pod = crashing_pod("vllm-minilm-predictor-5d9c-abcde", "vllm-minilm")  # our pod labels, KServe's ReplicaSet
    pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "vllm-minilm-predictor-5d9c"}]
    reader = KServeReader({"vllm-minilm-predictor": "progressing"}, {"vllm-minilm": {}}, pods=[pod])
    verdicts = rollout.wait(reader, [ISVC_SERVER], 0, 1, 3)
    assert verdicts["minilm"]["state"] == "hopeless"
    result = rollout.diagnose(reader, NS, ISVC_SERVER, verdicts["minilm"], 50)
    assert [r for r in reader.reads if r[0] == "log"] == [
        ("log", pod["metadata"]["name"], "kserve-container", True, 50),
        ("log", pod["metadata"]["name"], "kserve-container", False, 50)]
    assert "vllm-minilm-predictor" in result["hint"] or "vllm-minilm" in result["summary"]


# --- what a server copied by its init container serves: the digest in that container's log ----------------------

COPY_DIGEST = "sha256:" + "ab12" * 16
COPY_LOG = "localhost | CHANGED => " + json.dumps({"changed": True, "models": [
    {"model_id": "all-minilm-l6-v2", "digest": COPY_DIGEST, "tensors": 3, "weights_problem": None,
     "source": {"uri": "s3://models/embeddings/all-minilm-l6-v2/"}}]}, indent=4) + "\n"


def copied(key="minilm", name="vllm-minilm"):
    """A server_plan item whose model folder the init container model-copy copies from a data connection."""
    storage = storage_plan.server_storage(key, {"model_data_connection": "aws-connection-models",
                                                "model_data_connection_path": "embeddings/all-minilm-l6-v2/artifacts"},
                                          {"copy_image": "ee:1"})
    return dict(planned(key, name), storage=storage)


def copy_pod(name, server, ready=True, created="2026-12-01T10:00:00Z", command=None):
    """A pod of ``server``'s Deployment, its init container done (as planned unless ``command`` says otherwise)."""
    (copier,) = server["storage"]["init_containers"]
    return {"metadata": {"name": name, "creationTimestamp": created},
            "spec": {"initContainers": [dict(copier, command=command or copier["command"])],
                     "containers": [{"name": "vllm"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


ROLLED = {"minilm": {"state": "rolled_out", "reason": ""}, "bge": {"state": "rolled_out", "reason": ""}}


def test_a_rolled_out_servers_copy_log_gives_its_endpoint_the_digest_of_what_it_serves():
    server = copied()
    pods = [copy_pod("vllm-minilm-old-1", server, created="2026-12-01T09:00:00Z"), copy_pod("vllm-minilm-new-2", server),
            copy_pod("vllm-minilm-booting-3", server, ready=False, created="2026-12-01T11:00:00Z")]
    reader = Reader([{}], pods=pods, logs={("vllm-minilm-new-2", False): COPY_LOG})
    found = rollout.served_weights(reader, [server, planned("bge", "vllm-bge")], ROLLED)
    assert found == {"minilm": {
        "weights_digest": COPY_DIGEST,
        "weights_source": "s3://models/embeddings/all-minilm-l6-v2/ (data connection Secret aws-connection-models), "
                          "copied by the init container model-copy of pod vllm-minilm-new-2"}}
    # the newest ready pod's init container, read whole; the server without one is not read at all
    assert reader.reads == [
        ("pods", "app.kubernetes.io/managed-by=vllm_pooling.migration,app.kubernetes.io/component=vllm-server,"
                 "vllm-migration/model=minilm"),
        ("log", "vllm-minilm-new-2", "model-copy", False, rollout.COPY_LOG_TAIL_LINES)]
    records = rollout.endpoints([server, planned("bge", "vllm-bge")], ROLLED, {}, {"minilm": "https://a", "bge": "https://b"},
                                NS, weights=found)
    assert records["minilm"]["weights_digest"] == COPY_DIGEST and "weights_note" not in records["minilm"]
    assert records["minilm"]["weights_source"].startswith("s3://models/embeddings/all-minilm-l6-v2/")
    assert not {"weights_digest", "weights_source", "weights_note"} & set(records["bge"])


UNKNOWN = "the weights digest of what vLLM serves is unknown: "


@pytest.mark.parametrize("pods, logs, note", [
    ("ready", {}, "the log of init container model-copy in pod vllm-minilm-1 could not be read"),
    ("ready", {("vllm-minilm-1", False): COPY_LOG[:200]},
     "init container model-copy in pod vllm-minilm-1: the copy's result in the log is not complete JSON"),
    ("ready", {("vllm-minilm-1", False): COPY_LOG.replace('"%s"' % COPY_DIGEST, "null")},
     "init container model-copy in pod vllm-minilm-1: the copy could not digest the weights of all-minilm-l6-v2"),
    ("none", {}, "no ready pod of Deployment vllm-minilm runs the planned init container model-copy"),
    ("not_ready", {}, "no ready pod of Deployment vllm-minilm"),
    ("deleting", {}, "no ready pod of Deployment vllm-minilm"),
    ("other_template", {}, "no ready pod of Deployment vllm-minilm"),  # an old ReplicaSet's pod copied another folder
])
def test_a_copy_log_that_cannot_be_read_leaves_a_note_instead_of_the_digest(pods, logs, note):
    server = copied()
    pod = copy_pod("vllm-minilm-1", server, ready=pods != "not_ready",
                   command=["ansible", "localhost", "-a", "{}"] if pods == "other_template" else None)
    if pods == "deleting":
        pod["metadata"]["deletionTimestamp"] = "2026-12-01T12:00:00Z"
    reader = Reader([{}], pods=[] if pods == "none" else [pod], logs=logs)
    found = rollout.served_weights(reader, [server], ROLLED)["minilm"]
    assert set(found) == {"weights_source", "weights_note"} and found["weights_note"].startswith(UNKNOWN + note)
    assert found["weights_source"] == ("data connection Secret aws-connection-models, S3 prefix embeddings/all-minilm-l6-v2/ "
                                       "(the Secret's bucket), copied by the init container model-copy")
    record = rollout.endpoints([server], ROLLED, {}, {"minilm": "https://a"}, NS, weights={"minilm": found})["minilm"]
    assert record["status"] == "ready" and "weights_digest" not in record and record["weights_note"] == found["weights_note"]


def test_a_pod_list_that_fails_leaves_a_note_and_servers_not_rolled_out_are_not_read():
    class Refusing(Reader):
        def pods(self, label_selector):
            raise rollout.RolloutError("could not read the pods (x) in namespace ns (403 Forbidden)", 403)

    found = rollout.served_weights(Refusing([{}]), [copied()], ROLLED)["minilm"]
    assert found["weights_note"] == UNKNOWN + "could not read the pods (x) in namespace ns (403 Forbidden)"
    reader = Reader([{}])
    assert rollout.served_weights(reader, [copied()], {"minilm": {"state": "hopeless", "reason": "r"}}) == {}
    assert rollout.served_weights(reader, [copied()], rollout.not_awaited([copied()], "check mode")) == {}
    assert reader.reads == []

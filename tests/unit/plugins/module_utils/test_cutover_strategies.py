# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The cutover strategies, the state stores and the run of a cutover and a rollback (cutover_strategies.py,
cutover_run.py, cutover_io.py) directly: on local files in a temporary folder and on an in-memory cluster
(tests/unit/plugins/modules/kube_fake.py), with a scripted probe. What the playbooks do with them on the
emulated API is tests/emulator/test_cutover_*.py."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import constants
from ansible_collections.vllm_pooling.migration.plugins.module_utils import cutover_strategies as cs
from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_retirement import Retirement
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import CutoverError, report_digest
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_io import Journal, KubeObjects, LocalFiles
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_run import (
    CutoverFailed, CutoverRun, refusal_message, select_models)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import decide
from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import (
    endpoint_record, publish_models, result_record)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modules"))
from kube_fake import FakeCluster  # noqa: E402

NS = "rag"
NOW = "2026-11-24T10:30:00Z"
MADE = "2026-11-24T10:00:00Z"
URL = "http://127.0.0.1:8001"
OURS = {"app.kubernetes.io/managed-by": "vllm_pooling.migration", "app.kubernetes.io/part-of": "vllm-migration"}
LIMITS = {"requests": 4, "concurrency": 2, "max_error_rate": 0.0, "max_p95_ms": 5000}


def _endpoint(url=URL):
    (entry,) = resolve_models({}, ["minilm"])
    return endpoint_record(entry, "ready", url=url, platform="openshift", server="vllm-minilm", namespace=NS,
                           image="vllm:1")


def _report(url=URL, when=MADE):
    (entry,) = resolve_models({}, ["minilm"])
    check = {"passed": True, "gates": {"cosine": {"passed": True}}, "failed_gates": [], "skipped_gates": [],
             "corpus_size": 20, "provenance": {"corpus_sha256": "abc"}, "msg": "ok"}
    results = {"minilm": result_record(entry, _endpoint(url), {"type": "caikit", "url": "http://caikit:8085"}, check=check)}
    results["minilm"]["performance"] = {"status": "passed", "advisory": True}
    decision = decide(results)
    return {"schema": constants.REPORT_SCHEMA, "decision": {"decision": decision["decision"], "generated_at": when,
                                                            "passed_models": decision["passed_models"]},
            "models": publish_models(results, decision)}


class Probe(object):
    """Answers the probes in order from ``answers`` (True passes), then passes; records (action url, limits)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, url, api, kind, model, limits):
        self.calls.append((url, api, kind, model, limits["requests"]))
        ok = self.answers.pop(0) if self.answers else True
        return (True, "answers correctly") if ok else (False, "model '%s' at %s failed the probe: HTTP 500" % (model, url))


def _settings(tmp_path=None, **extra):
    settings = {"namespace": NS, "smoke": dict(LIMITS), "gate": dict(LIMITS, requests=8), "rollout_timeout": 3,
                "rollout_poll": 1, "route_settle": 0, "route_steps": [10, 50, 100], "consumers": {}, "routes": {},
                "consumer_env_names": None}
    if tmp_path is not None:
        settings.update(record_dir=str(tmp_path / "endpoints"), state_dir=str(tmp_path / "state"))
    settings.update(extra)
    return settings


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def _local_run(tmp_path, probe, check_mode=False, now=NOW):
    journal = Journal()
    return CutoverRun("local", _settings(tmp_path), journal, files=LocalFiles(check_mode, journal), probe=probe,
                      now=now, check_mode=check_mode), journal


def _cluster_run(cluster, probe, check_mode=False, now=NOW, **settings):
    journal, clock = Journal(), Clock()
    return CutoverRun("cluster", _settings(**settings), journal, kube=KubeObjects(cluster.client, check_mode, journal),
                      probe=probe, now=now, check_mode=check_mode, sleep=clock.sleep, clock=clock), journal


def _cut_over(run, strategy="endpoint_record", url=URL):
    report = _report(url)
    return run.cut_over("minilm", strategy, _endpoint(url), report, report_digest(json.dumps(report)))


# --- the registry -------------------------------------------------------------------------------


def test_the_strategies_are_the_ones_the_role_offers_and_each_says_where_it_works():
    assert cs.strategy_names() == sorted(constants.CUTOVER_STRATEGIES)
    assert cs.strategy_class("endpoint_record", "local") is cs.LocalEndpointRecord
    assert cs.strategy_class("route_weights", "cluster") is cs.RouteWeights
    with pytest.raises(CutoverError, match="does not work on the local platform; there: endpoint_record"):
        cs.strategy_class("consumer_env", "local")


def test_state_and_record_files_are_written_as_to_nice_json_wrote_them():
    assert cs.nice_json({"b": 1, "a": "é"}) == '{\n  "a": "é",\n  "b": 1\n}\n'.encode("utf-8")


# --- the evidence check, before any change ------------------------------------------------------


def test_every_refused_model_is_listed_with_every_problem():
    report = _report()
    endpoints = {"minilm": dict(_endpoint(), url="http://elsewhere:1")}
    plan = select_models(report, [], endpoints, "2026-11-26T10:00:00Z", 86400)
    assert plan["movable"] == ["minilm"] and list(plan["refused"]) == ["minilm"]
    message = refusal_message(plan["refused"])
    assert message.startswith("Cutover refused, nothing was changed. minilm: ")
    assert "stale" in message and "the report was made for endpoint" in message
    assert message.endswith("Run the verification again for these endpoints (playbooks/migrate.yml or verify.yml), "
                            "then cut over.")


def test_models_the_decision_does_not_move_stay_and_say_why():
    plan = select_models(_report(), ["minilm", "msmarco"], {"minilm": _endpoint()}, NOW, 86400)
    assert plan["movable"] == ["minilm"] and plan["refused"] == {}
    assert plan["stays"] == {"msmarco": "the report has no result for it"}
    missing = select_models(_report(), ["minilm"], {}, NOW, 86400)
    assert missing["refused"] == {"minilm": ["no vLLM endpoint record for this model: provision it (or pass "
                                             "cutover_endpoints)"]}
    with pytest.raises(CutoverError, match="No model to cut over"):
        select_models(_report(), [], {}, NOW, 86400)


# --- local platform: the endpoint record file ---------------------------------------------------


SEED = b'{"backend": "caikit",  "url": "http://caikit:8080"}\n'


def _seed(tmp_path, mode=0o640):
    folder = tmp_path / "endpoints"
    folder.mkdir()
    (folder / "minilm.json").write_bytes(SEED)
    os.chmod(folder / "minilm.json", mode)


def test_local_cutover_saves_the_snapshot_first_writes_the_record_and_a_second_run_changes_nothing(tmp_path):
    _seed(tmp_path)
    probe = Probe()
    run, journal = _local_run(tmp_path, probe)
    outcome = _cut_over(run)
    record = json.loads((tmp_path / "endpoints" / "minilm.json").read_text())
    assert outcome["status"] == "cut_over" and outcome["record"] == record and record["url"] == URL
    assert probe.calls == [(URL, "openai", "embedding", "minilm", 4)]
    state = json.loads((tmp_path / "state" / "minilm.json").read_text())
    assert state["status"] == "cut_over"
    assert state["previous"] == {"exists": True, "content_b64": base64.b64encode(SEED).decode(), "mode": "0640",
                                 "path": str(tmp_path / "endpoints" / "minilm.json")}
    assert oct(os.stat(tmp_path / "state" / "minilm.json").st_mode & 0o777) == "0o640"
    again, journal = _local_run(tmp_path, Probe())
    _cut_over(again)
    assert journal.changed is False


def test_local_check_mode_writes_nothing_but_says_what_would_change(tmp_path):
    run, journal = _local_run(tmp_path, Probe(), check_mode=True)
    assert _cut_over(run)["status"] == "cut_over"
    assert journal.changed and not (tmp_path / "endpoints").exists() and not (tmp_path / "state").exists()
    assert {d["after_header"] for d in journal.diffs} >= {str(tmp_path / "endpoints" / "minilm.json")}


def test_a_failed_smoke_check_restores_the_record_byte_for_byte_and_saves_the_reason(tmp_path):
    _seed(tmp_path)
    run, _journal = _local_run(tmp_path, Probe(False))
    with pytest.raises(CutoverFailed) as failed:
        _cut_over(run)
    assert str(failed.value).startswith("Cutover of minilm to %s failed and was rolled back to the previous state: " % URL)
    assert "HTTP 500" in str(failed.value) and failed.value.rolled_back
    assert (tmp_path / "endpoints" / "minilm.json").read_bytes() == SEED
    state = json.loads((tmp_path / "state" / "minilm.json").read_text())
    assert state["status"] == "failed" and "HTTP 500" in state["reason"]


def test_local_rollback_restores_then_changes_nothing_and_a_model_never_cut_over_is_left_alone(tmp_path):
    _seed(tmp_path)
    run, _journal = _local_run(tmp_path, Probe())
    _cut_over(run)
    back, _journal = _local_run(tmp_path, None)
    outcome = back.roll_back("minilm")
    assert outcome == {"status": "rolled_back", "strategy": "endpoint_record", "rolled_back_at": NOW}
    assert (tmp_path / "endpoints" / "minilm.json").read_bytes() == SEED
    assert oct(os.stat(tmp_path / "endpoints" / "minilm.json").st_mode & 0o777) == "0o640"
    again, journal = _local_run(tmp_path, None)
    again.roll_back("minilm")
    assert journal.changed is False
    assert again.roll_back("msmarco") is None


def test_local_rollback_removes_a_record_that_did_not_exist(tmp_path):
    run, _journal = _local_run(tmp_path, Probe())
    _cut_over(run)
    back, _journal = _local_run(tmp_path, None)
    back.roll_back("minilm")
    assert not (tmp_path / "endpoints" / "minilm.json").exists()


def test_an_unreadable_saved_state_is_refused_before_any_change(tmp_path):
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "minilm.json").write_text("{half")
    run, journal = _local_run(tmp_path, Probe())
    with pytest.raises(CutoverError, match="is not JSON"):
        _cut_over(run)
    assert not journal.changed


# --- cluster: endpoint record ConfigMap ---------------------------------------------------------


FOREIGN = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "vllm-endpoint-minilm", "namespace": NS, "labels": {"team": "rag"},
                        "annotations": {"owner": "rag-team"}},
           "data": {"VLLM_MIGRATION_URL": "http://caikit:8085", "notes": "by hand"}}


def test_cluster_record_cutover_then_rollback_deletes_the_record_it_created():
    cluster = FakeCluster()
    run, journal = _cluster_run(cluster, Probe())
    _cut_over(run)
    record = cluster.obj("ConfigMap", NS, "vllm-endpoint-minilm")
    assert record["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "vllm_pooling.migration"
    assert json.loads(record["data"]["endpoint.json"])["url"] == URL
    state = json.loads(cluster.obj("ConfigMap", NS, "vllm-cutover-minilm")["data"]["state.json"])
    assert state["status"] == "cut_over" and state["previous"]["exists"] is False
    writes = len(cluster.writes)
    again, journal = _cluster_run(cluster, Probe())
    _cut_over(again)
    assert not journal.changed and len(cluster.writes) == writes
    back, _journal = _cluster_run(cluster, None)
    back.roll_back("minilm")
    assert cluster.obj("ConfigMap", NS, "vllm-endpoint-minilm") is None


def test_cluster_check_mode_sends_dry_runs_only():
    cluster = FakeCluster()
    run, journal = _cluster_run(cluster, Probe(), check_mode=True)
    _cut_over(run)
    assert cluster.writes and all(write[4] for write in cluster.writes)
    assert cluster.objects == {} and journal.changed


def test_a_failed_smoke_check_restores_someone_elses_record_exactly():
    cluster = FakeCluster(FOREIGN)
    run, _journal = _cluster_run(cluster, Probe(False))
    with pytest.raises(CutoverFailed, match="rolled back"):
        _cut_over(run)
    assert cluster.obj("ConfigMap", NS, "vllm-endpoint-minilm") == FOREIGN
    state = json.loads(cluster.obj("ConfigMap", NS, "vllm-cutover-minilm")["data"]["state.json"])
    assert state["status"] == "failed" and state["previous"]["ours"] is False


def test_a_restore_that_fails_too_says_so_and_keeps_the_snapshot():
    cluster = FakeCluster(FOREIGN)
    run, _journal = _cluster_run(cluster, Probe(False))
    original = cs.ClusterEndpointRecord._restore

    def broken(self, previous):
        raise CutoverError("the API server went away")
    cs.ClusterEndpointRecord._restore = broken
    try:
        with pytest.raises(CutoverFailed) as failed:
            _cut_over(run)
    finally:
        cs.ClusterEndpointRecord._restore = original
    assert not failed.value.rolled_back and "the API server went away" in str(failed.value)
    assert "playbooks/rollback.yml" in str(failed.value)


def test_a_cluster_restore_is_refused_while_caikit_is_retired():
    cluster = FakeCluster()
    run, _journal = _cluster_run(cluster, Probe())
    _cut_over(run)
    state = json.loads(cluster.obj("ConfigMap", NS, "vllm-cutover-minilm")["data"]["state.json"])
    state["retired"] = {"deployment": "caikit", "namespace": NS, "replicas": 2, "retired_at": NOW}
    cluster.objects[("ConfigMap", NS, "vllm-cutover-minilm")]["data"]["state.json"] = json.dumps(state)
    back, journal = _cluster_run(cluster, None)
    with pytest.raises(CutoverError, match="Nothing was restored. Scale it back first"):
        back.roll_back("minilm")
    assert not journal.changed and cluster.obj("ConfigMap", NS, "vllm-endpoint-minilm") is not None


# --- cluster: consumer Deployments' environment -------------------------------------------------


def _consumer():
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "rag-api", "namespace": NS},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [
                {"name": "api", "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "EMBEDDINGS_URL", "value": "x"}]}]}}}}


CONSUMERS = {"minilm": [{"name": "rag-api", "env": {"url": "EMBEDDINGS_URL", "api": "", "model": ""}}]}


def test_consumer_env_points_the_variable_waits_for_the_rollout_and_restores_it():
    cluster = FakeCluster(_consumer())
    run, journal = _cluster_run(cluster, Probe(), consumers=CONSUMERS)
    _cut_over(run, "consumer_env")
    env = cluster.obj("Deployment", NS, "rag-api")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "LOG_LEVEL", "value": "info"}, {"name": "EMBEDDINGS_URL", "value": URL}]
    (waited,) = [e for e in journal.log if e["action"] == "rollout_wait"]
    assert waited["deployments"] == ["rag/rag-api"] and waited["not_rolled_out"] == []
    # without consumer_check_image no Job runs, and the log says what was not checked
    assert any(e["action"] == "note" and "not checked from the consumers' namespaces (rag/rag-api)" in e["msg"]
               for e in journal.log)
    back, _journal = _cluster_run(cluster, None, consumers=CONSUMERS)
    back.roll_back("minilm")
    assert cluster.obj("Deployment", NS, "rag-api") == FakeCluster(_consumer()).obj("Deployment", NS, "rag-api")


def test_a_consumer_that_does_not_roll_out_is_rolled_back_with_the_reason():
    cluster = FakeCluster(_consumer(), rollout="deadline_exceeded")
    run, journal = _cluster_run(cluster, Probe(), consumers=CONSUMERS)
    with pytest.raises(CutoverFailed) as failed:
        _cut_over(run, "consumer_env")
    assert "Consumer Deployment(s) rag/rag-api of minilm did not roll out within 3 s" in str(failed.value)
    env = cluster.obj("Deployment", NS, "rag-api")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == _consumer()["spec"]["template"]["spec"]["containers"][0]["env"]
    assert any("was restored but did not roll out" in e.get("msg", "") for e in journal.log if e["action"] == "note")


def test_a_consumer_gone_since_is_reported_and_the_restore_goes_on():
    cluster = FakeCluster(_consumer())
    run, _journal = _cluster_run(cluster, Probe(), consumers=CONSUMERS)
    _cut_over(run, "consumer_env")
    del cluster.objects[("Deployment", NS, "rag-api")]
    back, journal = _cluster_run(cluster, None)
    assert back.roll_back("minilm")["status"] == "rolled_back"
    assert [e["msg"] for e in journal.log if e["action"] == "note"] == [
        "consumer Deployment rag/rag-api no longer exists: nothing to restore"]


# --- cluster: Route weights ---------------------------------------------------------------------


ROUTE = {"apiVersion": "route.openshift.io/v1", "kind": "Route",
         "metadata": {"name": "rag-embeddings", "namespace": NS, "annotations": {"team": "rag"}},
         "spec": {"host": "rag.apps.example", "to": {"kind": "Service", "name": "caikit", "weight": 100}}}
SERVICE = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "vllm-minilm", "namespace": NS, "labels": dict(
               OURS, **{"app.kubernetes.io/component": "vllm-server", "vllm-migration/model": "minilm"})}}
ROUTES = {"minilm": {"name": "rag-embeddings", "url": "http://route.example"}}


def _sequence(journal):
    return [("send" if e["action"] == "weights" else e["action"], e["percent"])
            for e in journal.log if e["action"] in ("weights", "gate", "smoke")]


def test_route_weights_move_in_steps_with_a_gate_before_and_after_each_and_a_second_run_sends_none():
    cluster = FakeCluster(ROUTE, SERVICE)
    probe = Probe()
    run, journal = _cluster_run(cluster, probe, routes=ROUTES)
    _cut_over(run, "route_weights")
    assert _sequence(journal) == [("gate", None), ("send", 10), ("gate", 10), ("send", 50), ("gate", 50),
                                  ("send", 100), ("gate", 100), ("smoke", None)]
    assert {call[0] for call in probe.calls} == {"http://route.example"}
    route = cluster.obj("Route", NS, "rag-embeddings")
    assert route["spec"]["alternateBackends"] == [{"kind": "Service", "name": "vllm-minilm", "weight": 100}]
    again, journal = _cluster_run(cluster, Probe(), routes=ROUTES)
    _cut_over(again, "route_weights")
    assert _sequence(journal) == [("smoke", None)] and not journal.changed
    back, _journal = _cluster_run(cluster, None)
    back.roll_back("minilm")
    assert cluster.obj("Route", NS, "rag-embeddings") == FakeCluster(ROUTE).obj("Route", NS, "rag-embeddings")


def test_a_failed_gate_puts_the_previous_weights_back_before_the_next_step():
    cluster = FakeCluster(ROUTE, SERVICE)
    run, _journal = _cluster_run(cluster, Probe(True, True, False), routes=ROUTES)
    with pytest.raises(CutoverFailed) as failed:
        _cut_over(run, "route_weights")
    assert "Route rag/rag-embeddings is back on its previous backends (caikit)" in str(failed.value)
    assert [w[3] for w in cluster.real_writes() if w[1] == "Route"] == ["rag-embeddings"] * 3  # 10, 50, restore
    assert cluster.obj("Route", NS, "rag-embeddings") == FakeCluster(ROUTE).obj("Route", NS, "rag-embeddings")


def test_a_route_must_be_named_and_check_mode_dry_runs_the_last_step_without_gates():
    with pytest.raises(CutoverError, match="set cutover_routes.minilm"):
        _cut_over(_cluster_run(FakeCluster(ROUTE, SERVICE), Probe())[0], "route_weights")
    cluster = FakeCluster(ROUTE, SERVICE)
    run, journal = _cluster_run(cluster, Probe(), check_mode=True, routes=ROUTES)
    _cut_over(run, "route_weights")
    assert _sequence(journal) == [("send", 100), ("smoke", None)]
    assert all(write[4] for write in cluster.writes)


def test_a_route_an_inference_service_owns_is_refused_before_any_write():
    owned = json.loads(json.dumps(ROUTE))
    owned["metadata"].update(labels={"inferenceservice-name": "caikit-embeddings"}, ownerReferences=[{
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "name": "caikit-embeddings",
        "uid": "7f3c", "controller": True}])
    cluster = FakeCluster(owned, SERVICE)
    run, journal = _cluster_run(cluster, Probe(), routes=ROUTES)
    with pytest.raises(CutoverError) as refused:
        _cut_over(run, "route_weights")
    assert not isinstance(refused.value, CutoverFailed)  # refused before the first write: nothing to roll back
    assert "managed by InferenceService caikit-embeddings" in str(refused.value)
    assert "consumer_env" in str(refused.value) and "endpoint_record" in str(refused.value)
    assert cluster.writes == [] and not journal.changed
    assert cluster.obj("Route", NS, "rag-embeddings") == FakeCluster(owned).obj("Route", NS, "rag-embeddings")


# --- Caikit retirement --------------------------------------------------------------------------


CAIKIT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "caikit", "namespace": NS},
          "spec": {"replicas": 2}}
WHO = {"name": "caikit", "namespace": NS, "models": ["minilm"]}


def test_retirement_is_refused_without_a_soaked_cutover_then_scales_to_zero_and_back():
    cluster = FakeCluster(CAIKIT)
    with pytest.raises(CutoverError, match="is not retired, nothing was changed: 'minilm' was never cut over"):
        Retirement(KubeObjects(cluster.client), NS, now=NOW).retire(WHO, 0)
    assert cluster.writes == []
    _cut_over(_cluster_run(cluster, Probe(), now=MADE)[0])
    with pytest.raises(CutoverError, match="the soak period is 3600 s"):
        Retirement(KubeObjects(cluster.client), NS, now=NOW).retire(WHO, 3600)
    done = Retirement(KubeObjects(cluster.client), NS, now=NOW).retire(WHO, 60)
    assert done["replicas"] == 2 and cluster.obj("Deployment", NS, "caikit")["spec"]["replicas"] == 0
    state = json.loads(cluster.obj("ConfigMap", NS, "vllm-cutover-minilm")["data"]["state.json"])
    assert state["retired"]["replicas"] == 2
    journal = Journal()
    Retirement(KubeObjects(cluster.client, journal=journal), NS, now="2026-11-24T11:00:00Z").retire(WHO, 60)
    assert not journal.changed
    undone = Retirement(KubeObjects(cluster.client), NS, now=NOW).undo(WHO)
    back = cluster.obj("Deployment", NS, "caikit")
    assert undone["scaled_back"] and back["spec"] == CAIKIT["spec"] and back["metadata"].get("annotations", {}) == {}
    assert "retired" not in json.loads(cluster.obj("ConfigMap", NS, "vllm-cutover-minilm")["data"]["state.json"])
    journal = Journal()
    again = Retirement(KubeObjects(cluster.client, journal=journal), NS, now=NOW).undo(WHO)
    assert not journal.changed and not again["scaled_back"]


def test_an_unknown_retirement_method_is_refused():
    with pytest.raises(CutoverError, match="unknown retirement method 'delete'; the methods are auto, scale_to_zero, "
                                           "kserve_stop"):
        Retirement(KubeObjects(FakeCluster().client), NS, method="delete")

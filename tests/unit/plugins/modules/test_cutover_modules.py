# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The cutover, cutover_rollback and caikit_retirement modules' main functions, run as Ansible runs them, with
the Kubernetes client patched (kube_fake.py) and the probe scripted; their documentation against their specs.
The strategies themselves are tested in tests/unit/plugins/module_utils/test_cutover_strategies.py."""

from __future__ import annotations

import datetime
import json
import sys

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.doc_fragments.kubernetes import ModuleDocFragment
from ansible_collections.vllm_pooling.migration.plugins.module_utils import constants
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_strategies import strategy_names
from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import decide
from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import (
    endpoint_record, publish_models, result_record)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.report_record import report_configmap
from ansible_collections.vllm_pooling.migration.plugins.modules import caikit_retirement, cutover, cutover_rollback
from kube_fake import FakeCluster

NS = "rag"
URL = "http://127.0.0.1:8001"
MODULES = {"cutover": cutover, "cutover_rollback": cutover_rollback, "caikit_retirement": caikit_retirement}
RETURNS = {"cutover": {"outcomes", "stays", "refused", "log", "msg"},
           "cutover_rollback": {"outcomes", "never_cut_over", "log", "msg"},
           "caikit_retirement": {"deployments", "log", "msg"}}


def _shape(option):
    return (option["type"], option.get("elements"), bool(option.get("required")), sorted(option.get("aliases", [])),
            option.get("default"), option.get("choices"))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_documented_options_and_returns_match_the_module(name):
    module = MODULES[name]
    documented = dict(yaml.safe_load(module.DOCUMENTATION)["options"], **yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    assert {k: _shape(o) for k, o in documented.items()} == {k: _shape(o) for k, o in module.ARGUMENT_SPEC.items()}
    assert module.ARGUMENT_SPEC["api_key"]["no_log"] is True
    assert set(yaml.safe_load(module.RETURN)) == RETURNS[name]


def test_the_strategy_choices_are_the_strategy_classes():
    assert sorted(cutover.ARGUMENT_SPEC["strategy"]["choices"]) == strategy_names()


def test_the_cutover_modules_are_in_the_cluster_action_group():
    from pathlib import Path
    runtime = yaml.safe_load((Path(cutover.__file__).resolve().parents[2] / "meta" / "runtime.yml").read_text())
    assert set(MODULES) <= set(runtime["action_groups"]["cluster"])


def _endpoint():
    (entry,) = resolve_models({}, ["minilm"])
    return endpoint_record(entry, "ready", url=URL, platform="openshift", server="vllm-minilm", namespace=NS, image="vllm:1")


def _report_text(when=None):
    (entry,) = resolve_models({}, ["minilm"])
    check = {"passed": True, "gates": {"cosine": {"passed": True}}, "failed_gates": [], "skipped_gates": [],
             "corpus_size": 20, "provenance": {"corpus_sha256": "abc"}, "msg": "ok"}
    results = {"minilm": result_record(entry, _endpoint(), {"type": "caikit", "url": "http://caikit:8085"}, check=check)}
    results["minilm"]["performance"] = {"status": "passed", "advisory": True}
    decision = decide(results)
    when = when or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"schema": constants.REPORT_SCHEMA,
                       "decision": {"decision": decision["decision"], "generated_at": when,
                                    "passed_models": decision["passed_models"]},
                       "models": publish_models(results, decision)}, indent=2, sort_keys=True)


@pytest.fixture
def probe(monkeypatch):
    """The probe each run gets: passes unless ``probe.fail`` is set; records the URLs probed."""
    calls = []

    def make(*_args):
        def run(url, api, kind, model, limits):
            calls.append(url)
            if make.fail:
                return False, "model '%s' at %s failed the probe: HTTP 500" % (model, url)
            return True, "model '%s' at %s answers correctly" % (model, url)
        return run
    make.fail = False
    make.calls = calls
    monkeypatch.setattr(cutover, "http_probe", make)
    return make


@pytest.fixture
def cluster(monkeypatch):
    fake = FakeCluster({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    fake.add(report_configmap(_report_text(), "", NS))
    for module in MODULES.values():
        monkeypatch.setattr(module, "kubernetes_client", lambda _module: fake.client)
    return fake


def _local_args(tmp_path, **extra):
    if not (tmp_path / "report.json").exists():  # the same report for every run of a test (its digest names it)
        (tmp_path / "report.json").write_text(_report_text())
    return dict({"platform": "local", "models": ["minilm"], "endpoints": {"minilm": _endpoint()},
                 "report_path": str(tmp_path / "report.json"), "record_dir": str(tmp_path / "endpoints"),
                 "state_dir": str(tmp_path / "state")}, **extra)


def test_local_cutover_moves_the_record_and_a_second_run_changes_nothing(run_main, tmp_path, probe):
    result = run_main(cutover.main, _local_args(tmp_path))
    assert result["changed"] and result["outcomes"]["minilm"]["status"] == "cut_over", result
    assert json.loads((tmp_path / "endpoints" / "minilm.json").read_text())["url"] == URL
    assert probe.calls == [URL]
    assert run_main(cutover.main, _local_args(tmp_path))["changed"] is False


def test_local_check_mode_says_what_would_change_with_a_diff_and_writes_nothing(run_main, tmp_path, probe):
    result = run_main(cutover.main, _local_args(tmp_path, _ansible_check_mode=True, _ansible_diff=True))
    assert result["changed"] and not (tmp_path / "endpoints").exists()
    assert any(d["after_header"].endswith("minilm.json") and '"backend": "vllm"' in d["after"] for d in result["diff"])


def test_a_failed_smoke_check_fails_the_module_after_the_rollback(run_main, tmp_path, probe):
    probe.fail = True
    result = run_main(cutover.main, _local_args(tmp_path))
    assert result["failed"] and "failed and was rolled back to the previous state" in result["msg"]
    assert not (tmp_path / "endpoints" / "minilm.json").exists()
    assert [e["action"] for e in result["log"] if e["action"] in ("smoke", "failed")] == ["smoke", "failed"]


def test_stale_evidence_refuses_everything_and_changes_nothing(run_main, tmp_path, probe):
    args = _local_args(tmp_path)
    (tmp_path / "report.json").write_text(_report_text(when="2020-01-01T00:00:00Z"))
    result = run_main(cutover.main, args)
    assert result["failed"] and result["msg"].startswith("Cutover refused, nothing was changed. minilm: ")
    assert "stale" in result["refused"]["minilm"][0] and not result["changed"]
    assert not (tmp_path / "endpoints").exists() and not (tmp_path / "state").exists() and probe.calls == []


def test_a_missing_report_says_where_it_looked(run_main, tmp_path, probe):
    result = run_main(cutover.main, dict(_local_args(tmp_path), report_path=str(tmp_path / "none.json")))
    assert result["failed"] and result["msg"].startswith("No report to act on at %s" % (tmp_path / "none.json"))


def test_local_rollback_module_restores_and_reports_models_never_cut_over(run_main, tmp_path, probe):
    run_main(cutover.main, _local_args(tmp_path))
    args = {"platform": "local", "models": ["minilm", "msmarco"], "state_dir": str(tmp_path / "state")}
    result = run_main(cutover_rollback.main, args)
    assert result["outcomes"]["minilm"]["status"] == "rolled_back" and result["never_cut_over"] == ["msmarco"]
    assert not (tmp_path / "endpoints" / "minilm.json").exists()
    assert run_main(cutover_rollback.main, args)["changed"] is False


def test_cluster_cutover_reads_the_report_configmap_and_check_mode_sends_dry_runs_only(run_main, cluster, probe):
    args = {"platform": "openshift", "namespace": NS, "report_source": "configmap", "endpoints": {"minilm": _endpoint()}}
    result = run_main(cutover.main, dict(args, _ansible_check_mode=True))
    assert result["changed"] and cluster.writes and all(write[4] for write in cluster.writes)
    result = run_main(cutover.main, args)
    assert result["outcomes"]["minilm"]["record"]["report_digest"].startswith("sha256:")
    assert cluster.obj("ConfigMap", NS, "vllm-endpoint-minilm")["data"]["VLLM_MIGRATION_URL"] == URL
    result = run_main(cutover_rollback.main, {"platform": "openshift", "namespace": NS, "models": ["minilm"]})
    assert result["outcomes"]["minilm"]["status"] == "rolled_back"
    assert cluster.obj("ConfigMap", NS, "vllm-endpoint-minilm") is None


def test_an_api_error_fails_with_the_object_and_the_reason(run_main, cluster, probe):
    cluster.fail_writes["ConfigMap"] = "configmaps is forbidden"
    args = {"platform": "openshift", "namespace": NS, "report_source": "configmap", "endpoints": {"minilm": _endpoint()}}
    result = run_main(cutover.main, args)
    assert result["failed"] and "could not create ConfigMap rag/vllm-cutover-minilm: 403 Forbidden" in result["msg"]
    assert "configmaps is forbidden" in result["msg"]


def test_caikit_retirement_refuses_before_a_cutover_and_scales_back(run_main, cluster, probe):
    cluster.add({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "caikit", "namespace": NS},
                 "spec": {"replicas": 2}})
    who = [{"name": "caikit", "namespace": NS, "models": ["minilm"]}]
    refused = run_main(caikit_retirement.main, {"namespace": NS, "deployments": who, "soak": 0})
    assert refused["failed"] and "'minilm' was never cut over" in refused["msg"] and cluster.writes == []
    run_main(cutover.main, {"platform": "openshift", "namespace": NS, "report_source": "configmap",
                            "endpoints": {"minilm": _endpoint()}})
    check = run_main(caikit_retirement.main, {"namespace": NS, "deployments": who, "soak": 0, "_ansible_check_mode": True})
    assert check["changed"] and cluster.obj("Deployment", NS, "caikit")["spec"]["replicas"] == 2
    done = run_main(caikit_retirement.main, {"namespace": NS, "deployments": who, "soak": 0})
    assert done["deployments"][0]["replicas"] == 2 and cluster.obj("Deployment", NS, "caikit")["spec"]["replicas"] == 0
    undo = run_main(caikit_retirement.main, {"namespace": NS, "deployments": who, "state": "serving"})
    assert undo["deployments"][0]["scaled_back"] and cluster.obj("Deployment", NS, "caikit")["spec"]["replicas"] == 2


def test_caikit_retirement_stops_an_inference_service_through_kserve_by_default(run_main, cluster, probe):
    owner = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "name": "caikit-embeddings",
             "uid": "7f3c", "controller": True}
    cluster.add({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                 "metadata": {"name": "caikit-embeddings", "namespace": NS, "uid": "7f3c",
                              "annotations": {"serving.kserve.io/stop": "false"}}})
    cluster.add({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 1}, "metadata": {
        "name": "caikit-embeddings-predictor", "namespace": NS, "ownerReferences": [owner]}})
    who = [{"name": "caikit-embeddings-predictor", "namespace": NS, "models": ["minilm"]}]
    run_main(cutover.main, {"platform": "openshift", "namespace": NS, "report_source": "configmap",
                            "endpoints": {"minilm": _endpoint()}})

    def stop():
        return cluster.obj("InferenceService", NS, "caikit-embeddings")["metadata"]["annotations"]["serving.kserve.io/stop"]
    check = run_main(caikit_retirement.main, {"namespace": NS, "deployments": who, "soak": 0, "_ansible_check_mode": True,
                                              "_ansible_diff": True})
    assert check["changed"] and stop() == "false"
    assert any(d["after_header"] == "InferenceService rag/caikit-embeddings" for d in check["diff"])
    done = run_main(caikit_retirement.main, {"namespace": NS, "deployments": who, "soak": 0})
    assert done["changed"] and stop() == "true"
    assert done["msg"] == "retired: rag/caikit-embeddings-predictor (InferenceService caikit-embeddings stopped through KServe)"
    assert done["deployments"][0]["previous_stop"] == "false"
    assert cluster.obj("Deployment", NS, "caikit-embeddings-predictor")["spec"] == {"replicas": 1}
    assert not run_main(caikit_retirement.main, {"namespace": NS, "deployments": who, "soak": 0})["changed"]
    refused = run_main(caikit_retirement.main, {"namespace": NS, "deployments": who, "state": "serving",
                                                "method": "scale_to_zero"})
    assert refused["failed"] and "retired with method kserve_stop, not scale_to_zero" in refused["msg"]
    undo = run_main(caikit_retirement.main, {"namespace": NS, "deployments": who, "state": "serving"})
    assert undo["changed"] and undo["deployments"][0]["brought_back"] and stop() == "false"
    assert "serving.kserve.io/stop back to false" in undo["msg"]


def test_the_local_platform_needs_no_kubernetes_library(run_main, tmp_path, probe, monkeypatch):
    # an import of the kubernetes client or of kubernetes.core now fails, as where they are not installed
    for name in ("kubernetes", "ansible_collections.kubernetes", "ansible_collections.kubernetes.core"):
        monkeypatch.setitem(sys.modules, name, None)
    assert run_main(cutover.main, _local_args(tmp_path))["outcomes"]["minilm"]["status"] == "cut_over"
    args = {"platform": "local", "models": ["minilm"], "state_dir": str(tmp_path / "state")}
    assert run_main(cutover_rollback.main, args)["outcomes"]["minilm"]["status"] == "rolled_back"

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The in-cluster check Job's logic (check_job.py on cluster_job.py): which models go to the Job and with what, the
pod it runs, and its records coming back as the verify role's own records, or error records naming why none came.
The shared lifecycle (attach, refuse, replace) is tested with the benchmark's purpose in test_benchmark_job.py; the
module and the in-Job playbook run against an API server in tests/emulator/test_check_job_emulator.py."""

from __future__ import annotations

import json

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import check_job as cj
from ansible_collections.vllm_pooling.migration.plugins.module_utils import cluster_job
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    BENCHMARK_JOB_RESULT_SCHEMA, CHECK_JOB_RESULT_SCHEMA, RESULT_SCHEMA)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import result_record

from ansible_collections.vllm_pooling.migration.tests.unit.plugins.module_utils.test_benchmark_job import (
    KEY, NAMESPACE, NS, FakeCluster)

IMAGE = "registry.example.com/vllm-pooling-migration-ee:0.1.0"
PREDICTOR = "http://caikit-minilm-predictor.rag-prod.svc.cluster.local"


def endpoints():
    ready = {"status": "ready", "url": "https://vllm-minilm-%s.apps.example.com" % NS, "served_name": "minilm",
             "service_url": "http://vllm-minilm.%s.svc:8000" % NS, "api_key_secret": "vllm-api-key",
             "platform": "openshift", "model_path": "/models/hf/minilm", "weights_digest": "sha256:" + "ab" * 32}
    return {"minilm": ready,
            "msmarco": dict(ready, served_name="msmarco", service_url="http://vllm-msmarco.%s.svc:8000" % NS),
            "granite": {"status": "load_failed", "reason": "image_pull", "platform": "openshift"}}


def references():
    return {"minilm": {"type": "caikit", "url": PREDICTOR, "internal_url": PREDICTOR, "model": "all-minilm-l6-v2",
                       "api_key": KEY, "ca_path": "/home/me/ingress-ca.pem", "weights_path": "/home/me/caikit/minilm",
                       "weights_digest": "sha256:" + "cd" * 32},
            # golden scores on the controller: checked there, never in the Job
            "msmarco": {"type": "file", "path": "/home/me/golden/msmarco.json"},
            "granite": {"type": "caikit", "url": PREDICTOR, "model": "granite"}}


SETTINGS = {"verify_models": ["minilm", "msmarco", "granite"], "verify_timeout": 30}


def parameters(settings=None):
    found, keys = cj.job_parameters(endpoints(), references(), dict(SETTINGS, **(settings or {})), "openshift")
    return found, keys


def test_only_ready_models_with_a_server_reference_go_to_the_job_and_nothing_of_the_controller_goes_along():
    found, keys = parameters()
    assert found["verify_models"] == ["minilm"] == cj.checked_models(found)
    assert found["verify_candidates"]["minilm"]["url"] == "http://vllm-minilm.%s.svc:8000" % NS
    # the recorded digests go along (the Job's weights gate compares them), and the weights folder, so that without
    # a digest the gate says which folder it cannot read
    assert found["verify_references"] == {"minilm": {"type": "caikit", "url": PREDICTOR, "model": "all-minilm-l6-v2",
                                                     "weights_path": "/home/me/caikit/minilm",
                                                     "weights_digest": "sha256:" + "cd" * 32}}
    assert found["verify_candidates"]["minilm"]["weights_digest"] == "sha256:" + "ab" * 32
    assert keys == {"minilm": KEY}
    assert found["verify_client_location"] == "cluster_job" and found["verify_scoring_python"] == ""
    text = json.dumps(found)
    for secret_or_file in (KEY, "ingress-ca.pem", "golden"):
        assert secret_or_file not in text
    assert cj.paths(found) == {"minilm": {"candidate_url": "http://vllm-minilm.%s.svc:8000" % NS, "path": "service",
                                          "reference_url": PREDICTOR, "reference_path": "service"}}
    # the filter the role uses picks the same models
    assert cj.in_job(endpoints(), references(), SETTINGS["verify_models"]) == ["minilm"]
    assert cj.in_job(endpoints(), references(), ["msmarco"]) == []


@pytest.mark.parametrize("setting", ["verify_scoring_python", "verify_corpus_file", "verify_candidates",
                                     "verify_reference_api_keys", "benchmark_levels", "ansible_python_interpreter"])
def test_settings_that_name_the_controllers_files_or_keys_or_another_role_are_refused(setting):
    with pytest.raises(cluster_job.JobError, match="only the verify role's own options .*%s" % setting):
        parameters({setting: "x"})


def test_the_pod_runs_the_verify_role_restricted_and_reads_keys_from_secrets_only():
    found, keys = parameters()
    spec = cj.JobSpec(NS, IMAGE, found, reference_keys=keys, api_key_secret="vllm-api-key",
                      ca_configmap="openshift-service-ca.crt", ca_key="service-ca.crt")
    job = spec.job()
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["ansible-playbook", "vllm_pooling.migration.run_in_job",
                                    "-e", "vllm_migration_job_role=verify",
                                    "-e", "vllm_migration_job_parameters_file=/etc/vllm-migration/checks/parameters.json",
                                    "-e", "vllm_migration_job_result_configmap=vllm-migration-checks-result",
                                    "-e", "vllm_migration_namespace=%s" % NS]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert job["spec"]["backoffLimit"] == 0 and job["metadata"]["name"] == "vllm-migration-checks"
    assert job["metadata"]["annotations"]["vllm-migration/checks-parameters"] == spec.parameters_digest()
    # the CA the pod trusts is the mounted ConfigMap's, given to the role as its ca_path
    assert spec.parameters["verify_ca_path"] == "/etc/vllm-migration/ca/service-ca.crt"
    objects = {obj["kind"]: obj for obj in spec.objects()}
    assert objects["Role"]["rules"] == [{"apiGroups": [""], "resources": ["configmaps"],
                                         "resourceNames": ["vllm-migration-checks-result"],
                                         "verbs": ["get", "update", "patch"]}]
    assert KEY not in json.dumps(job) and KEY not in json.dumps(objects["ConfigMap"])
    # one model, the default timeout floor: start plus one model's checks
    assert spec.expected == cj.STARTUP_S + cj.PER_MODEL_S


def _started(cluster, settings=None):
    found, keys = parameters(settings)
    spec = cj.JobSpec(NS, IMAGE, found, reference_keys=keys, api_key_secret="vllm-api-key")
    return cluster_job.start(cluster_job.JobCluster(cluster, NS), spec)


def _finish(cluster, result=None, failed=None):
    job = cluster.objects[("Job", NS, "vllm-migration-checks")]
    job["status"] = ({"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": failed}]} if failed
                     else {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]})
    if result is not None:
        cluster.objects[("ConfigMap", NS, "vllm-migration-checks-result")]["data"] = {"results.json": json.dumps(result)}


def _record(status="passed"):
    (entry,) = resolve_models(None, ["minilm"])
    endpoint = dict(endpoints()["minilm"], url="http://vllm-minilm.%s.svc:8000" % NS)
    check = {"passed": status == "passed", "msg": "model 'minilm': %s" % status, "gates": {}, "failed_gates": []}
    return result_record(entry, endpoint, {"type": "caikit", "url": PREDICTOR}, plan={"check": "embedding_check"},
                         check=check, location="cluster_job")


def test_a_finished_job_hands_back_the_roles_own_records():
    cluster = FakeCluster(NAMESPACE)
    assert _started(cluster)["action"] == "created"
    running = cluster_job.collect(cluster_job.JobCluster(cluster, NS), cj.JOB)
    assert running["done"] is False and running["state"] == "running"
    _finish(cluster, {"schema": CHECK_JOB_RESULT_SCHEMA, "records": {"minilm": _record()}})
    done = cluster_job.collect(cluster_job.JobCluster(cluster, NS), cj.JOB)
    assert done["state"] == "succeeded" and done["records"]["minilm"]["status"] == "passed"
    assert done["records"]["minilm"]["checked_from"]["location"] == "cluster_job"
    assert done["records"]["minilm"]["checked_from"]["path"] == "service"
    assert "a Job inside the cluster" in done["records"]["minilm"]["checked_from"]["note"]


@pytest.mark.parametrize("result, why", [
    (None, "holds no results.json"),
    ({"schema": BENCHMARK_JOB_RESULT_SCHEMA, "records": {}}, "is not a result of the check Job"),
    ({"schema": CHECK_JOB_RESULT_SCHEMA, "records": {"minilm": {"schema": "performance", "status": "passed"}}},
     "not verification records: minilm"),
])
def test_a_job_without_its_records_fails_every_model_it_was_given_never_passes_one(result, why):
    cluster = FakeCluster(NAMESPACE)
    _started(cluster)
    _finish(cluster, result)
    done = cluster_job.collect(cluster_job.JobCluster(cluster, NS), cj.JOB)
    assert done["state"] == "failed" and why in done["msg"]
    assert list(done["records"]) == ["minilm"]
    record = done["records"]["minilm"]
    assert record["schema"] == RESULT_SCHEMA and record["status"] == "error" and why in record["reason"]
    assert record["checked_from"]["location"] == "cluster_job"


def test_a_failed_job_says_what_to_check_and_check_mode_records_not_verified():
    cluster = FakeCluster(NAMESPACE)
    _started(cluster)
    _finish(cluster, failed="DeadlineExceeded")
    done = cluster_job.collect(cluster_job.JobCluster(cluster, NS), cj.JOB)
    assert done["records"]["minilm"]["status"] == "error" and "DeadlineExceeded" in done["records"]["minilm"]["reason"]
    assert "verify_job_image" in done["msg"] and "jmespath" in done["msg"]
    fresh = FakeCluster(NAMESPACE)
    dry = cluster_job.collect(cluster_job.JobCluster(fresh, NS, check_mode=True), cj.JOB)
    assert dry["state"] == "not_started" and dry["records"] == {}  # nothing was applied: no parameters to name models
    _started(fresh)
    del fresh.objects[("Job", NS, "vllm-migration-checks")]
    dry = cluster_job.collect(cluster_job.JobCluster(fresh, NS, check_mode=True), cj.JOB)
    assert dry["records"]["minilm"]["status"] == "not_verified" and "check mode" in dry["records"]["minilm"]["reason"]


def test_without_a_model_for_the_job_nothing_is_applied():
    cluster = FakeCluster(NAMESPACE)
    outcome = _started(cluster, {"verify_models": ["msmarco", "granite"]})
    assert outcome["action"] == "not_started" and cluster.real_writes() == []
    assert "no check Job was started" in outcome["msg"]


CAIKIT_PODS = {"serving.kserve.io/inferenceservice": "caikit-minilm"}


def claim_endpoints(reranker_pods=None):
    """minilm and msmarco served from Caikit's claim (the endpoint records server_rollout gives such servers)."""
    found = endpoints()
    found["minilm"].update(weights_claim={"claim": "caikit-models", "path": "caikit/all-minilm-l6-v2/artifacts",
                                          "pods": dict(CAIKIT_PODS)}, model_root="/mnt/models")
    del found["minilm"]["weights_digest"]
    found["msmarco"].update(weights_claim={"claim": "rerank-models", "path": "ms-marco/artifacts",
                                           "pods": reranker_pods or dict(CAIKIT_PODS)})
    return found


def claim_references():
    found = references()
    found["minilm"].update(weights_claim={"claim": "caikit-models", "path": "caikit/all-minilm-l6-v2",
                                          "pods": dict(CAIKIT_PODS)})
    found["msmarco"] = {"type": "caikit", "url": PREDICTOR, "model": "ms-marco"}
    return found


def test_weights_on_claims_are_mounted_read_only_beside_caikits_pods_and_the_gate_reads_them_there():
    found = cj.job_parameters(claim_endpoints(), claim_references(), dict(SETTINGS, verify_models=None), "openshift")[0]
    assert found["verify_models"] == ["minilm", "msmarco"]
    # each side's folder as the pod mounts it: vLLM's for the weights gate (model_path), Caikit's (weights_path)
    minilm = found["verify_candidates"]["minilm"]
    assert minilm["model_path"] == "/mnt/claims/caikit-models/caikit/all-minilm-l6-v2/artifacts"
    # vLLM's root is still compared with what it was started with, not with the folder the Job mounts
    assert minilm["model_root"] == "/mnt/models"
    assert found["verify_references"]["minilm"]["weights_path"] == "/mnt/claims/caikit-models/caikit/all-minilm-l6-v2"
    assert found["verify_candidates"]["msmarco"]["model_path"] == "/mnt/claims/rerank-models/ms-marco/artifacts"
    spec = cj.JobSpec(NS, IMAGE, found)
    pod = spec.job()["spec"]["template"]["spec"]
    claims = {v["persistentVolumeClaim"]["claimName"]: v["name"] for v in pod["volumes"] if "persistentVolumeClaim" in v}
    assert set(claims) == {"caikit-models", "rerank-models"}  # one volume per claim, though two sides read caikit-models
    assert all(v["persistentVolumeClaim"]["readOnly"] for v in pod["volumes"] if "persistentVolumeClaim" in v)
    mounts = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert mounts[claims["caikit-models"]] == {"name": claims["caikit-models"], "mountPath": "/mnt/claims/caikit-models",
                                               "readOnly": True}
    assert pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == [
        {"labelSelector": {"matchLabels": CAIKIT_PODS}, "topologyKey": "kubernetes.io/hostname"}]
    assert cj.paths(found)["minilm"]["reference_weights"] == (
        "pvc://caikit-models/caikit/all-minilm-l6-v2, mounted at /mnt/claims/caikit-models/caikit/all-minilm-l6-v2")
    # another claim is another Job (the parameters' digest names what the pod mounts)
    other = claim_endpoints()
    other["minilm"]["weights_claim"]["claim"] = "caikit-models-v2"
    moved = cj.job_parameters(other, claim_references(), dict(SETTINGS, verify_models=None), "openshift")[0]
    assert cj.JobSpec(NS, IMAGE, moved).parameters_digest() != spec.parameters_digest()


def test_without_claims_the_pod_mounts_none_and_has_no_affinity():
    pod = cj.JobSpec(NS, IMAGE, parameters()[0]).job()["spec"]["template"]["spec"]
    assert not [v for v in pod["volumes"] if "persistentVolumeClaim" in v] and "affinity" not in pod
    assert "tolerations" not in pod


def test_tolerations_let_the_pod_run_beside_caikit_on_a_tainted_node_and_are_part_of_what_the_job_runs():
    gpu = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    found = parameters()[0]
    spec = cj.JobSpec(NS, IMAGE, found, tolerations=gpu)
    assert spec.job()["spec"]["template"]["spec"]["tolerations"] == gpu
    assert spec.parameters_digest() != cj.JobSpec(NS, IMAGE, found).parameters_digest()


def test_claims_attached_beside_other_pods_are_left_with_a_note_never_mounted_on_the_wrong_node():
    elsewhere = {"serving.kserve.io/inferenceservice": "caikit-rerank"}
    found = cj.job_parameters(claim_endpoints(reranker_pods=elsewhere), claim_references(),
                              dict(SETTINGS, verify_models=None), "openshift")[0]
    pod = cj.JobSpec(NS, IMAGE, found).job()["spec"]["template"]["spec"]
    assert [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v] == [
        "caikit-models"]
    assert pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"] == {
        "matchLabels": CAIKIT_PODS}
    msmarco = found["verify_candidates"]["msmarco"]
    assert "model_path" not in msmarco
    assert "claim rerank-models" in msmarco["weights_note"] and "in a run of its own" in msmarco["weights_note"]
    assert cj.paths(found)["msmarco"]["weights_left"] == msmarco["weights_note"]


@pytest.mark.parametrize("claim", [
    {"claim": "caikit-models", "path": "../../etc"},
    {"claim": "Caikit Models", "path": "x"},
    {"path": "x"},
    "caikit-models",
    {"claim": "caikit-models", "path": "x", "pods": ["serving.kserve.io/inferenceservice=caikit"]},
])
def test_a_weights_claim_that_is_not_a_claim_and_folder_on_it_is_refused_naming_the_model(claim):
    found = claim_endpoints()
    found["minilm"]["weights_claim"] = claim
    with pytest.raises(cluster_job.JobError, match="model 'minilm': the candidate's weights_claim"):
        cj.job_parameters(found, claim_references(), SETTINGS, "openshift")

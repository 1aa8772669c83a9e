# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The in-cluster benchmark Job's logic: the manifests (least-privilege Role, restricted pod, no API key in the
parameters), the parameters the Job measures with, and its lifecycle (start, attach, refuse, replace, collect)
against a fake kubernetes.core client. The emulator test (tests/emulator/test_benchmark_job_emulator.py) runs the
module and the in-Job playbook against an API server."""

from __future__ import annotations

import base64
import copy
import json

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils import benchmark_job as bj
from ansible_collections.vllm_pooling.migration.plugins.module_utils import cluster_job
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    BENCHMARK_JOB_RESULT_SCHEMA, COMMON_LABELS, PERFORMANCE_SCHEMA)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_io import merge_patch

NS = "vllm-migration"
KEY = "s3cr3t-reference-key"
SERVER_KEY = "s3cr3t-vllm-key"


class ApiError(Exception):
    def __init__(self, status, reason=""):
        super().__init__("(%s) %s" % (status, reason))
        self.status, self.reason = status, reason


class Log(object):
    def __init__(self, cluster):
        self.cluster = cluster

    def get(self, name=None, namespace=None, serialize=False, query_params=None):
        if name not in self.cluster.logs:
            raise ApiError(400, "BadRequest")
        return self.cluster.logs[name]


class Resource(object):
    def __init__(self, cluster, kind):
        self.kind, self.namespaced = kind, kind != "Namespace"
        self.log = Log(cluster)


def _labels_match(selector, labels):
    return all((labels or {}).get(k) == v for k, v in (term.split("=", 1) for term in selector.split(",") if term))


class FakeCluster(object):
    """kubernetes.core's K8SClient as benchmark_job uses it: resource, get (one or a list), apply (server-side, maybe
    a dry run), delete and merge patch; records every write as (verb, kind, name, dry_run)."""

    KINDS = ("Namespace", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Secret", "Job", "Pod", "Event")

    def __init__(self, *objects):
        self.objects, self.writes, self.logs = {}, [], {}
        for obj in objects:
            self.add(obj)

    def add(self, obj):
        self.objects[(obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])] = copy.deepcopy(obj)

    def obj(self, kind, name, namespace=NS):
        return self.objects.get((kind, namespace, name))

    def resource(self, kind, api_version):
        assert kind in self.KINDS, kind
        return Resource(self, kind)

    def get(self, resource, name=None, namespace=None, label_selector=None, field_selector=None):
        if name is None:
            items = [copy.deepcopy(o) for (kind, ns, _n), o in sorted(self.objects.items())
                     if kind == resource.kind and ns == namespace
                     and (not label_selector or _labels_match(label_selector, o["metadata"].get("labels")))
                     and (not field_selector or o.get("involvedObject", {}).get("name") == field_selector.split("=")[1])]
            return {"items": items}
        found = self.objects.get((resource.kind, namespace if resource.namespaced else None, name))
        if found is None:
            raise ApiError(404, "Not Found")
        return copy.deepcopy(found)

    def apply(self, resource, obj, namespace, **params):
        dry_run = params.get("dry_run") == "All"
        self.writes.append(("apply", obj["kind"], obj["metadata"]["name"], dry_run))
        key = (obj["kind"], namespace, obj["metadata"]["name"])
        merged = merge_patch(self.objects.get(key, {}), obj)
        if not dry_run:
            self.objects[key] = merged
        return copy.deepcopy(merged)

    def delete(self, resource, name=None, namespace=None, body=None):
        assert body["propagationPolicy"] == "Background"
        self.writes.append(("delete", resource.kind, name, False))
        if self.objects.pop((resource.kind, namespace, name), None) is None:
            raise ApiError(404, "Not Found")

    def patch(self, resource, body, name=None, namespace=None, content_type=None):
        assert content_type == "application/merge-patch+json"
        self.writes.append(("patch", resource.kind, name, False))
        key = (resource.kind, namespace, name)
        self.objects[key] = merge_patch(self.objects[key], body)
        return copy.deepcopy(self.objects[key])

    def real_writes(self):
        return [w for w in self.writes if not w[3]]


NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS, "labels": dict(COMMON_LABELS)}}


def endpoints(**extra):
    ready = {"status": "ready", "url": "https://vllm-minilm-%s.apps.example.com" % NS, "served_name": "minilm",
             "service_url": "http://vllm-minilm.%s.svc:8000" % NS, "api_key_secret": "vllm-api-key", "log": "x"}
    ready.update(extra)
    return {"minilm": ready,
            "granite": {"status": "load_failed", "url": "", "reason": "image_pull", "service_url": ""},
            "msmarco": dict(ready, service_url="http://vllm-msmarco.%s.svc:8000" % NS)}


def references():
    return {"minilm": {"type": "caikit", "url": "https://caikit.apps.example.com", "model": "all-minilm-l6-v2",
                       "api_key": KEY, "internal_url": "http://caikit-predictor.rag.svc.cluster.local"},
            "granite": {"type": "caikit", "url": "https://caikit.apps.example.com", "model": "granite"},
            "msmarco": {"type": "openai", "url": "https://rerank.apps.example.com", "model": "msmarco"},
            "bge_reranker": {"type": "openai", "url": "https://other.example.com", "api_key": "not-selected"}}


SETTINGS = {"benchmark_models": ["minilm", "granite", "msmarco"], "benchmark_levels": [1, 4], "benchmark_duration": 10,
            "benchmark_max_duration": 60, "benchmark_warmup": 2, "benchmark_throughput_ratio": 0.8}


def spec(settings=None, **options):
    parameters, keys = bj.job_parameters(endpoints(), references(), dict(SETTINGS, **(settings or {})), "openshift")
    options.setdefault("api_key_secret", "vllm-api-key")
    return bj.JobSpec(NS, "registry.example.com/vllm-pooling-migration-ee:0.1.0", parameters, reference_keys=keys,
                      resources={"requests": {"cpu": "1"}}, **options)


def by_kind(objects):
    return {obj["kind"] + ("/" + obj["metadata"]["name"] if obj["kind"] == "ConfigMap" else ""): obj for obj in objects}


# --- the parameters ----------------------------------------------------------------------------------------------

def test_the_job_calls_the_service_urls_and_the_internal_reference_urls_and_holds_no_key():
    parameters, keys = bj.job_parameters(endpoints(), references(), SETTINGS, "openshift")
    assert parameters["benchmark_candidates"]["minilm"] == {"status": "ready", "served_name": "minilm",
                                                            "url": "http://vllm-minilm.%s.svc:8000" % NS}
    assert parameters["benchmark_candidates"]["granite"]["status"] == "load_failed"  # the Job records why
    assert parameters["benchmark_references"]["minilm"]["url"] == "http://caikit-predictor.rag.svc.cluster.local"
    assert parameters["benchmark_references"]["msmarco"]["url"] == "https://rerank.apps.example.com"  # no internal_url
    assert "bge_reranker" not in parameters["benchmark_references"]  # not selected: neither its URL nor its key
    assert keys == {"minilm": KEY}
    assert parameters["benchmark_client_location"] == "cluster_job" and parameters["benchmark_platform"] == "openshift"
    text = json.dumps(parameters)
    assert KEY not in text and "not-selected" not in text and "api_key" not in text
    assert bj.measured_models(parameters) == ["minilm", "msmarco"]
    assert bj.paths(parameters)["msmarco"] == {
        "candidate_url": "http://vllm-msmarco.%s.svc:8000" % NS, "path": "service",
        "reference_url": "https://rerank.apps.example.com", "reference_path": "route"}


def test_a_discovered_reference_gets_its_key_from_the_named_variable_into_the_secret_only():
    discovered = dict(references(), msmarco={"type": "caikit", "url": "https://rerank.apps.example.com", "model": "ms",
                                             "api_key_env": "CAIKIT_TOKEN"})
    refs, keys = bj.job_references(discovered, ["minilm", "msmarco"], environ={"CAIKIT_TOKEN": "sha256~from-env"})
    assert keys == {"minilm": KEY, "msmarco": "sha256~from-env"}
    assert "api_key_env" not in json.dumps(refs) and "sha256~from-env" not in json.dumps(refs)
    with pytest.raises(cluster_job.JobError) as failed:
        bj.job_references(discovered, ["msmarco"], environ={"CAIKIT_TOKEN": ""})
    assert "model 'msmarco'" in str(failed.value) and "CAIKIT_TOKEN" in str(failed.value)
    assert "oc create token" in str(failed.value)


def test_a_references_api_key_from_is_read_for_the_secret_only_and_an_api_key_still_wins():
    from_cluster = dict(references(), msmarco={"type": "caikit", "url": "https://rerank.apps.example.com", "model": "ms",
                                               "api_key_from": {"secret": "rag-prod/caikit-token"},
                                               "api_key_env": "CAIKIT_TOKEN"})
    from_cluster["minilm"]["api_key_from"] = {"login": True}
    asked = []

    def read_token(key, spec):
        asked.append((key, spec))
        return "sha256~from-the-cluster"

    refs, keys = bj.job_references(from_cluster, ["minilm", "msmarco"], environ={}, read_token=read_token)
    # api_key_from wins over api_key_env (unset here), as in the checks; a given api_key wins over both
    assert keys == {"minilm": KEY, "msmarco": "sha256~from-the-cluster"}
    assert asked == [("msmarco", {"secret": "rag-prod/caikit-token"})]
    assert "api_key_from" not in json.dumps(refs) and "from-the-cluster" not in json.dumps(refs)


def test_the_modules_token_reader_hides_what_it_reads_and_names_the_reference_when_it_cannot():
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.cluster_job import token_reader
    from ansible_collections.vllm_pooling.migration.tests.unit.plugins.module_utils.test_cluster_credentials import (
        SECRET, TOKEN, FakeClient, b64)

    module = type("Module", (), {"no_log_values": set()})()
    client = FakeClient({SECRET: {"data": {"token": b64(TOKEN)}}})
    read_token = token_reader(client, module.no_log_values.add)
    assert read_token("msmarco", {"secret": "rag-prod/caikit-token"}) == TOKEN
    assert read_token("msmarco", {"secret": "rag-prod/caikit-token"}) == TOKEN
    assert len(client.client.calls) == 1 and module.no_log_values == {TOKEN}  # read once, hidden
    with pytest.raises(cluster_job.JobError) as failed:
        read_token("minilm", {"secret": "rag-prod/gone"})
    assert str(failed.value).startswith("reference of model 'minilm': Secret rag-prod/gone was not found (404)")


def test_a_ready_endpoint_without_a_service_url_cannot_be_measured_from_the_job():
    with pytest.raises(cluster_job.JobError, match="vLLM endpoint of 'minilm' has no service_url"):
        bj.job_parameters(endpoints(service_url=""), references(), SETTINGS, "openshift")


@pytest.mark.parametrize("settings, named", [
    ({"benchmark_candidates": {}}, "benchmark_candidates"),
    ({"ansible_python_interpreter": "/bin/sh"}, "ansible_python_interpreter"),
    ({"benchmark_client": "controller"}, "benchmark_client"),
])
def test_settings_hold_only_the_roles_own_options(settings, named):
    with pytest.raises(cluster_job.JobError, match="not %s" % named):
        bj.job_parameters(endpoints(), references(), dict(SETTINGS, **settings), "openshift")


def test_the_deadline_allows_every_level_on_both_servers_at_the_longest_window():
    job = spec(deadline_margin=600)
    # 2 measured models x (calibration 60 + 2 levels x 2 servers x (60 s window + 2 s warm-up)) + 120 s start
    assert job.expected == 120 + 2 * (60 + 2 * 2 * 62) and job.deadline == job.expected + 600
    assert spec(deadline=900).deadline == 900


# --- the manifests -----------------------------------------------------------------------------------------------

def test_the_role_allows_only_get_update_patch_of_the_one_result_configmap():
    objects = by_kind(spec().objects())
    assert objects["Role"]["rules"] == [{"apiGroups": [""], "resources": ["configmaps"],
                                         "resourceNames": ["vllm-migration-benchmark-result"],
                                         "verbs": ["get", "update", "patch"]}]
    binding = objects["RoleBinding"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "vllm-migration-benchmark"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "vllm-migration-benchmark", "namespace": NS}]
    assert objects["ServiceAccount"]["automountServiceAccountToken"] is False
    # the result ConfigMap is created by the module (empty), so the Role needs no create
    assert "data" not in objects["ConfigMap/vllm-migration-benchmark-result"]
    for obj in objects.values():
        assert obj["metadata"]["labels"]["app.kubernetes.io/component"] == "benchmark"


def test_the_pod_is_restricted_bounded_and_reads_keys_only_from_secrets():
    job = spec(ttl=3600).job()
    assert job["spec"]["backoffLimit"] == 0 and job["spec"]["ttlSecondsAfterFinished"] == 3600
    assert job["spec"]["activeDeadlineSeconds"] == spec().deadline
    pod = job["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["serviceAccountName"] == "vllm-migration-benchmark" and pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                            "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
                                            "seccompProfile": {"type": "RuntimeDefault"}}
    assert container["resources"] == {"requests": {"cpu": "1"}}
    assert container["command"][:4] == ["ansible-playbook", "vllm_pooling.migration.run_in_job", "-e", "vllm_migration_job_role=benchmark"]
    assert "vllm_migration_job_result_configmap=vllm-migration-benchmark-result" in container["command"]
    env = {e["name"]: e for e in container["env"]}
    # vLLM's key from the servers' own Secret, the references' from the Job's; no value in the manifest
    assert env["VLLM_API_KEY"]["valueFrom"] == {"secretKeyRef": {"name": "vllm-api-key", "key": "api-key"}}
    assert env["VLLM_MIGRATION_REFERENCE_API_KEYS"]["valueFrom"] == {
        "secretKeyRef": {"name": "vllm-migration-benchmark-keys", "key": "reference-api-keys"}}
    assert all("value" not in e for name, e in env.items() if "KEY" in name)
    assert KEY not in json.dumps(job)
    # the digest names what the Job runs: the same settings give the same digest, another TTL another one
    assert job["metadata"]["annotations"][bj.DIGEST_ANNOTATION] == spec(ttl=3600).parameters_digest() != spec().parameters_digest()
    assert job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "vllm_pooling.migration"


def test_the_keys_secret_holds_what_the_pod_cannot_read_elsewhere():
    objects = by_kind(spec().objects())
    secret = objects["Secret"]
    assert set(secret["data"]) == {"reference-api-keys"}
    assert json.loads(base64.b64decode(secret["data"]["reference-api-keys"])) == {"minilm": KEY}
    # no servers' Secret named: the candidate's key (e.g. a token for the auth proxy) goes into the Job's Secret
    proxied = spec(api_key_secret="", candidate_api_key=SERVER_KEY)
    assert base64.b64decode(by_kind(proxied.objects())["Secret"]["data"]["candidate-api-key"]).decode() == SERVER_KEY
    env = {e["name"]: e for e in proxied.job()["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["VLLM_API_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "vllm-migration-benchmark-keys", "key": "candidate-api-key"}
    # with the servers' Secret, a key given here is not copied anywhere
    assert "candidate-api-key" not in by_kind(spec(candidate_api_key=SERVER_KEY).objects())["Secret"]["data"]
    # no key at all: no Secret
    parameters, _keys = bj.job_parameters(endpoints(api_key_secret=""), {}, SETTINGS, "openshift")
    assert "Secret" not in by_kind(bj.JobSpec(NS, "img", parameters).objects())


def test_a_ca_configmap_is_mounted_and_becomes_the_benchmarks_ca_path():
    job_spec = spec(ca_configmap="openshift-service-ca.crt", ca_key="service-ca.crt", run_as_user=1001)
    pod = job_spec.job()["spec"]["template"]["spec"]
    assert {"name": "ca", "configMap": {"name": "openshift-service-ca.crt",
                                        "items": [{"key": "service-ca.crt", "path": "service-ca.crt"}]}} in pod["volumes"]
    assert job_spec.parameters["benchmark_ca_path"] == "/etc/vllm-migration/ca/service-ca.crt"
    assert pod["securityContext"]["runAsUser"] == pod["securityContext"]["fsGroup"] == 1001


def test_names_and_image_are_checked():
    with pytest.raises(cluster_job.JobError, match="no image for the benchmark Job: set benchmark_job_image"):
        bj.JobSpec(NS, "", {})
    with pytest.raises(cluster_job.JobError, match="at most 52 characters"):
        bj.object_names("Bench_Job")


# --- the lifecycle -----------------------------------------------------------------------------------------------

def started(cluster, job_spec=None, check_mode=False):
    return cluster_job.start(cluster_job.JobCluster(cluster, NS, check_mode=check_mode), job_spec or spec())


def test_start_creates_everything_labelled_then_a_second_start_changes_nothing():
    cluster = FakeCluster(NAMESPACE)
    first = started(cluster)
    assert first["action"] == "created" and first["changed"] is True
    assert [w[1] for w in cluster.real_writes()] == ["ServiceAccount", "Role", "RoleBinding", "ConfigMap", "ConfigMap",
                                                     "Secret", "Job"]
    for (kind, _ns, _name), obj in cluster.objects.items():
        if kind != "Namespace":
            assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "vllm_pooling.migration", kind
    writes = len(cluster.writes)
    again = started(cluster)
    assert again["action"] == "running" and again["changed"] is False
    assert [w[1] for w in cluster.writes[writes:]] == ["ServiceAccount", "Role", "RoleBinding", "ConfigMap", "ConfigMap",
                                                       "Secret"]  # no Job: the running one is kept


def test_no_job_is_started_when_no_model_can_be_measured():
    cluster = FakeCluster(NAMESPACE)
    parameters, keys = bj.job_parameters({"minilm": {"status": "not_verified", "reason": "check mode"}}, references(),
                                         SETTINGS, "openshift")
    result = cluster_job.start(cluster_job.JobCluster(cluster, NS), bj.JobSpec(NS, "img", parameters, reference_keys=keys))
    assert result["action"] == "not_started" and result["changed"] is False and cluster.writes == []
    off = spec({"benchmark_enabled": False})
    assert bj.measured_models(off.parameters) == [] and cluster_job.start(cluster_job.JobCluster(cluster, NS), off)["action"] == "not_started"


def test_a_running_job_with_other_parameters_is_refused():
    cluster = FakeCluster(NAMESPACE)
    started(cluster)
    with pytest.raises(cluster_job.JobError, match="is running with other parameters .* kubectl delete job vllm-migration-benchmark"):
        started(cluster, spec({"benchmark_levels": [1, 4, 16]}))


def test_a_finished_job_is_replaced_and_its_old_result_emptied():
    cluster = FakeCluster(NAMESPACE)
    started(cluster)
    cluster.objects[("Job", NS, "vllm-migration-benchmark")]["status"] = {
        "succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
    cluster.objects[("ConfigMap", NS, "vllm-migration-benchmark-result")]["data"] = {"results.json": "{}"}
    writes = len(cluster.writes)
    replaced = started(cluster, spec({"benchmark_levels": [1, 4, 16]}))
    assert replaced["action"] == "replaced" and "replaced the finished Job" in replaced["msg"]
    assert [w[:2] for w in cluster.writes[writes:]][-3:] == [("delete", "Job"), ("patch", "ConfigMap"), ("apply", "Job")]
    assert "data" not in cluster.obj("ConfigMap", "vllm-migration-benchmark-result")
    assert "status" not in cluster.obj("Job", "vllm-migration-benchmark")


def test_check_mode_says_what_it_would_create_and_writes_nothing():
    cluster = FakeCluster(NAMESPACE)
    result = started(cluster, check_mode=True)
    assert result["action"] == "created" and result["msg"].startswith("would create Job %s/" % NS)
    assert cluster.real_writes() == [] and all(w[3] for w in cluster.writes)
    # a finished Job in check mode: no dry run of the changed template, the replacement is announced
    started(cluster)
    cluster.objects[("Job", NS, "vllm-migration-benchmark")]["status"] = {"failed": 1}
    writes = len(cluster.writes)
    result = started(cluster, check_mode=True)
    assert result["action"] == "replaced" and "would be deleted first" in result["results"][-1]["msg"]
    assert all(w[3] for w in cluster.writes[writes:])


def test_objects_someone_else_made_are_refused_not_taken_over():
    foreign = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "vllm-migration-benchmark", "namespace": NS}}
    with pytest.raises(cluster_job.JobError, match="was not created by this collection: it is left alone"):
        started(FakeCluster(NAMESPACE, foreign))
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "vllm-migration-benchmark", "namespace": NS}, "rules": []}
    cluster = FakeCluster(NAMESPACE, role)
    with pytest.raises(Exception, match="Role %s/vllm-migration-benchmark exists and was not created" % NS):
        started(cluster)
    assert cluster.obj("Role", "vllm-migration-benchmark") == role


# --- collecting --------------------------------------------------------------------------------------------------

def record(key, status="passed"):
    return {"schema": PERFORMANCE_SCHEMA, "status": status, "reason": "%s measured" % key, "levels": [],
            "client": {"location": "cluster_job", "path": "service"}}


def finish(cluster, records=None, failed=None):
    job = cluster.objects[("Job", NS, "vllm-migration-benchmark")]
    if failed:
        job["status"] = {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": failed[0],
                                                      "message": failed[1]}]}
    else:
        job["status"] = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
    if records is not None:
        cluster.objects[("ConfigMap", NS, "vllm-migration-benchmark-result")]["data"] = {
            "results.json": json.dumps({"schema": BENCHMARK_JOB_RESULT_SCHEMA, "records": records})}


def pod(phase="Failed", waiting=None, terminated=None):
    state = {"waiting": waiting} if waiting else {"terminated": terminated} if terminated else {}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "vllm-migration-benchmark-x7k2p", "namespace": NS,
                                                            "labels": {"job-name": "vllm-migration-benchmark"}},
            "status": {"phase": phase, "containerStatuses": [{"name": "benchmark", "state": state}]}}


def collected(cluster, check_mode=False):
    return bj.collect(cluster_job.JobCluster(cluster, NS, check_mode=check_mode))


def test_collect_waits_while_the_job_runs_then_returns_its_records():
    cluster = FakeCluster(NAMESPACE)
    started(cluster)
    cluster.add(pod("Running"))
    running = collected(cluster)
    assert running["done"] is False and running["records"] == {} and "phase Running" in running["msg"]
    finish(cluster, {"minilm": record("minilm"), "msmarco": record("msmarco", "failed")})
    done = collected(cluster)
    assert done["done"] is True and done["state"] == "succeeded"
    assert sorted(done["records"]) == ["minilm", "msmarco"] and done["records"]["msmarco"]["status"] == "failed"
    assert done["msg"].endswith("finished: minilm passed, msmarco failed")


def test_a_failed_job_says_why_with_the_pod_state_and_the_last_log_lines_and_gives_error_records():
    cluster = FakeCluster(NAMESPACE)
    started(cluster)
    cluster.add(pod(terminated={"reason": "Error", "exitCode": 2}))
    cluster.logs["vllm-migration-benchmark-x7k2p"] = "PLAY [Benchmark]\n" + "".join("line %d\n" % i for i in range(60)) + \
        "fatal: [localhost]: FAILED! => {\"msg\": \"couldn't resolve module/action 'vllm_pooling.migration.serving_benchmark'\"}\n"
    finish(cluster, failed=("BackoffLimitExceeded", "Job has reached the specified backoff limit"))
    result = collected(cluster)
    assert result["done"] is True and result["state"] == "failed"
    message = result["msg"]
    assert message.startswith("Job %s/vllm-migration-benchmark failed: BackoffLimitExceeded: Job has reached" % NS)
    assert "pod vllm-migration-benchmark-x7k2p: phase Failed, terminated: Error, exit code 2" in message
    assert "couldn't resolve module/action" in message and "line 59" in message and "line 5\n" not in message
    assert "benchmark_job_image" in message and "kubectl logs job/vllm-migration-benchmark" in message
    assert len(result["log"]) == cluster_job.LOG_TAIL_LINES
    records = result["records"]
    assert sorted(records) == ["granite", "minilm", "msmarco"] and {r["status"] for r in records.values()} == {"error"}
    assert records["minilm"]["reason"].startswith("the benchmark Job failed: BackoffLimitExceeded")
    assert records["minilm"]["client"]["location"] == "cluster_job" and records["granite"]["client"] is None


def test_a_pod_that_cannot_start_fails_the_job_at_once():
    cluster = FakeCluster(NAMESPACE)
    started(cluster)
    cluster.add(pod("Pending", waiting={"reason": "ImagePullBackOff",
                                        "message": "Back-off pulling image \"registry.example.com/ee:0.1.0\""}))
    result = collected(cluster)
    assert result["done"] is True and result["state"] == "failed"
    assert "pod vllm-migration-benchmark-x7k2p cannot start: ImagePullBackOff Back-off pulling image" in result["msg"]


def test_a_job_the_controller_cannot_create_a_pod_for_fails_at_once():
    cluster = FakeCluster(NAMESPACE)
    started(cluster)
    cluster.add({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1", "namespace": NS}, "reason": "FailedCreate",
                 "involvedObject": {"kind": "Job", "name": "vllm-migration-benchmark"},
                 "message": "pods \"vllm-migration-benchmark-\" is forbidden: exceeded quota: compute"})
    result = collected(cluster)
    assert result["state"] == "failed" and "cannot create its pod: pods" in result["msg"] and "exceeded quota" in result["msg"]


@pytest.mark.parametrize("data, message", [
    (None, "holds no results.json"),
    ({"results.json": "not json"}, "is not JSON"),
    ({"results.json": json.dumps({"schema": "other", "records": {}})}, "is not a result of the benchmark Job"),
    ({"results.json": json.dumps({"schema": BENCHMARK_JOB_RESULT_SCHEMA, "records": {"minilm": {"schema": "x"}}})},
     "not performance records: minilm"),
])
def test_a_completed_job_without_records_is_a_failure_not_a_pass(data, message):
    cluster = FakeCluster(NAMESPACE)
    started(cluster)
    finish(cluster)
    if data:
        cluster.objects[("ConfigMap", NS, "vllm-migration-benchmark-result")]["data"] = data
    result = collected(cluster)
    assert result["state"] == "failed" and "it completed but left no records" in result["msg"] and message in result["msg"]
    assert {r["status"] for r in result["records"].values()} == {"error"}


def test_collect_in_check_mode_does_not_wait_and_without_a_job_measures_nothing():
    cluster = FakeCluster(NAMESPACE)
    result = collected(cluster, check_mode=True)
    assert result["done"] is True and result["state"] == "not_started" and result["records"] == {}
    with pytest.raises(cluster_job.JobError, match="there is no Job %s/vllm-migration-benchmark: start it first" % NS):
        collected(cluster)
    started(cluster)
    result = collected(cluster, check_mode=True)
    assert result["done"] is True and {r["status"] for r in result["records"].values()} == {"not_measured"}
    assert "not waited for" in result["records"]["minilm"]["reason"]


@pytest.mark.parametrize("status, state", [
    ({}, "running"),
    ({"active": 1, "conditions": [{"type": "SuccessCriteriaMet", "status": "True"}]}, "running"),
    ({"conditions": [{"type": "Complete", "status": "True"}]}, "succeeded"),
    ({"succeeded": 1}, "succeeded"),
    ({"conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]}, "failed"),
    ({"failed": 1}, "failed"),
    ({"conditions": [{"type": "Failed", "status": "False"}]}, "running"),
])
def test_job_states(status, state):
    assert cluster_job.job_state({"status": status})[0] == state

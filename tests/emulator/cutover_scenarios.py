# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Scenarios of the cutover's cluster strategies (tests/emulator/test_cutover_*.py): the real
playbooks/cutover.yml, rollback.yml and retire_caikit.yml on an emulated OpenShift API.

The report the cutover acts on is seeded as the decide role's ConfigMap, made by the collection's own
record functions for the endpoint being switched. The emulator has no router and no pods: the record
URL, the consumers' URL and the Route's URL all point at a stub HTTP server (stub_embeddings.py).

The OpenShift AI scenarios (retire_kserve, retire_kserve_named, cutover_route_owned) run on an emulator that also
serves KServe's InferenceService kind, with a Caikit InferenceService that owns its predictor Deployment (and
Route) as OpenShift AI makes them. No KServe controller runs: where KServe would delete or make again the
predictor Deployment, the scenario does it by hand, and nothing observes pods going away.
"""

from __future__ import annotations

import datetime
import json

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils import consumer_check
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import REPORT_SCHEMA
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_cluster import consumer_list
from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import decide
from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import (
    endpoint_record, publish_models, result_record)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.report_record import report_configmap
from discovery_scenarios import PATHS, KServeClusterEmulator
from harness import NAMESPACE, ROOT
from scenarios import namespace, scenario
from stub_embeddings import StubEmbeddings

CUTOVER = ROOT / "playbooks" / "cutover.yml"
ROLLBACK = ROOT / "playbooks" / "rollback.yml"
RETIRE = ROOT / "playbooks" / "retire_caikit.yml"
IMAGE = "docker.io/vllm/vllm-openai:v0.32.0"
MANAGED = {"app.kubernetes.io/managed-by": "vllm_pooling.migration", "app.kubernetes.io/part-of": "vllm-migration"}

CONSUMER_ENV = [{"name": "LOG_LEVEL", "value": "info"},
                {"name": "EMBEDDINGS_URL", "valueFrom": {"configMapKeyRef": {"name": "rag-settings", "key": "url"}}},
                {"name": "EMBEDDINGS_API", "value": "caikit"}]
CONSUMER = {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "rag-api", "namespace": NAMESPACE, "labels": {"app": "rag-api"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "rag-api"}},
                     "template": {"metadata": {"labels": {"app": "rag-api"}},
                                  "spec": {"containers": [{"name": "api", "image": "rag-api:1", "env": CONSUMER_ENV},
                                                          {"name": "proxy", "image": "proxy:1"}]}}}}
ROUTE = {"apiVersion": "route.openshift.io/v1", "kind": "Route",
         "metadata": {"name": "rag-embeddings", "namespace": NAMESPACE, "annotations": {"team": "rag"}},
         "spec": {"to": {"kind": "Service", "name": "vllm-minilm-old", "weight": 100},
                  "port": {"targetPort": "http"}, "tls": {"termination": "edge"}}}
CAIKIT = {"apiVersion": "apps/v1", "kind": "Deployment",
          "metadata": {"name": "caikit-runtime", "namespace": NAMESPACE, "labels": {"app": "caikit"}},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "caikit"}},
                   "template": {"metadata": {"labels": {"app": "caikit"}},
                                "spec": {"containers": [{"name": "caikit", "image": "caikit-nlp:0.5.15"}]}}}}


def service(name, labels):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NAMESPACE, "labels": labels},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 8000}]}}


def endpoint(url):
    (entry,) = resolve_models({}, ["minilm"])
    return endpoint_record(entry, "ready", url=url, platform="openshift", server="vllm-minilm", namespace=NAMESPACE,
                           image=IMAGE)


def report_text(url):
    """report.json as the decide role writes it: minilm passed every gate on this very endpoint, just now."""
    (entry,) = resolve_models({}, ["minilm"])
    check = {"passed": True, "gates": {"cosine": {"passed": True}}, "failed_gates": [], "skipped_gates": [],
             "corpus_size": 20, "provenance": {"corpus_sha256": "abc"}, "msg": "ok"}
    results = {"minilm": result_record(entry, endpoint(url), {"type": "caikit", "url": "http://caikit:8085"}, check=check)}
    results["minilm"]["performance"] = {"status": "passed", "advisory": False}
    decision = decide(results)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"schema": REPORT_SCHEMA,
                       "decision": {"decision": decision["decision"], "generated_at": now,
                                    "passed_models": decision["passed_models"]},
                       "models": publish_models(results, decision)}, indent=2, sort_keys=True)


def seed(sc, url):
    sc.emulator.create("/api/v1/namespaces", namespace(NAMESPACE, MANAGED))
    sc.emulator.create("/api/v1/namespaces/%s/configmaps" % NAMESPACE, report_configmap(report_text(url), "", NAMESPACE))


def cutover_vars(url, strategy, **extra):
    return dict({
        "vllm_migration_platform": "openshift", "vllm_migration_namespace": NAMESPACE,
        "vllm_migration_models": ["minilm"], "vllm_migration_endpoints": {"minilm": endpoint(url)},
        "vllm_migration_cutover_strategy": strategy,
        "cutover_smoke_requests": 4, "cutover_gate_requests": 8, "cutover_gate_concurrency": 2,
        "cutover_route_settle": 0, "cutover_rollout_poll": 1, "cutover_rollout_timeout": 5,
    }, **extra)


def cycle(sc, variables):
    """Check mode, a cutover, the same again, a rollback, the same again."""
    sc.playbook("check", CUTOVER, variables, check=True, extra_args=("--diff",))
    sc.playbook("cutover", CUTOVER, variables)
    sc.playbook("again", CUTOVER, variables)
    sc.playbook("rollback", ROLLBACK, variables)
    sc.playbook("rollback_again", ROLLBACK, variables)


@scenario()
def cutover_record(sc):
    with StubEmbeddings() as stub:
        seed(sc, stub.url)
        variables = cutover_vars(stub.url, "endpoint_record")
        cycle(sc, variables)


@scenario()
def cutover_record_smoke_fails(sc):
    # Someone else's record ConfigMap pointing at Caikit; vLLM answers 500: the smoke check fails.
    with StubEmbeddings(fail_after=0) as stub:
        seed(sc, stub.url)
        sc.emulator.create("/api/v1/namespaces/%s/configmaps" % NAMESPACE, {
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "vllm-endpoint-minilm", "namespace": NAMESPACE, "labels": {"team": "rag"},
                         "annotations": {"owner": "rag-team"}},
            "data": {"VLLM_MIGRATION_URL": "http://caikit:8085", "VLLM_MIGRATION_API": "caikit", "notes": "by hand"}})
        sc.record("seeded")
        variables = cutover_vars(stub.url, "endpoint_record")
        sc.playbook("cutover", CUTOVER, variables)
        sc.playbook("rollback", ROLLBACK, variables)


@scenario()
def cutover_env(sc):
    with StubEmbeddings() as stub:
        seed(sc, stub.url)
        sc.emulator.create("/apis/apps/v1/namespaces/%s/deployments" % NAMESPACE, CONSUMER)
        sc.record("seeded")
        variables = cutover_vars(stub.url, "consumer_env", vllm_migration_cutover_consumers={"minilm": [
            {"name": "rag-api", "container": "api",
             "env": {"url": "EMBEDDINGS_URL", "api": "EMBEDDINGS_API", "model": "EMBEDDINGS_MODEL"}}]})
        cycle(sc, variables)
        # The consumers' new pods never become available: the cutover fails and is rolled back.
        sc.emulator.set_options(deployment_rollout="deadline_exceeded")
        sc.playbook("rollout_fails", CUTOVER, variables)


CONSUMER_NAMESPACE = "rag-prod"
WORKER = {"apiVersion": "apps/v1", "kind": "Deployment",
          "metadata": {"name": "rag-worker", "namespace": CONSUMER_NAMESPACE, "labels": {"app": "rag-worker"}},
          "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "rag-worker"}},
                   "template": {"metadata": {"labels": {"app": "rag-worker"}},
                                "spec": {"containers": [{"name": "worker", "image": "rag-worker:1",
                                                         "env": [{"name": "LOG_LEVEL", "value": "info"}],
                                                         "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}],
                                         "volumes": [{"name": "cache", "emptyDir": {}}]}}}}
CHECK_IMAGE = "registry.access.redhat.com/ubi9/python-311"
WORKER_CONSUMER = {"name": "rag-worker", "namespace": CONSUMER_NAMESPACE,
                   "env": {"url": "OPENAI_BASE_URL", "api": "", "model": "EMBEDDINGS_MODEL", "api_key": "OPENAI_API_KEY",
                           "ca_file": "SSL_CERT_FILE"},
                   "api_key_secret": {"name": "vllm-api-key"},
                   "ca_configmap": {"name": "vllm-service-ca", "key": "service-ca.crt"}}

# The consumer's ConfigMap OpenShift injects the service CA into, and the Secret with the key it calls vLLM with.
SERVICE_CA_CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "vllm-service-ca", "namespace": CONSUMER_NAMESPACE,
                                     "annotations": {"service.beta.openshift.io/inject-cabundle": "true"}},
                        "data": {"service-ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}}
KEY_SECRET = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
              "metadata": {"name": "vllm-api-key", "namespace": CONSUMER_NAMESPACE}, "data": {"api-key": "c2VjcmV0LWtleQ=="}}


@scenario()
def cutover_env_credentials(sc):
    # A consumer in its own namespace that calls vLLM with an API key and must trust vLLM's service CA: the key
    # comes from a Secret there (secretKeyRef), the CA from the ConfigMap OpenShift injects the service CA into.
    with StubEmbeddings() as stub:
        seed(sc, stub.url)
        sc.emulator.create("/api/v1/namespaces", namespace(CONSUMER_NAMESPACE))
        sc.emulator.create("/apis/apps/v1/namespaces/%s/deployments" % CONSUMER_NAMESPACE, WORKER)
        sc.emulator.create("/api/v1/namespaces/%s/configmaps" % CONSUMER_NAMESPACE, SERVICE_CA_CONFIGMAP)
        sc.record("seeded")
        variables = cutover_vars(stub.url, "consumer_env", vllm_migration_cutover_consumers={"minilm": [WORKER_CONSUMER]},
                                 cutover_consumer_check_image=CHECK_IMAGE)
        # The Secret is not there yet: refused before anything changes, naming it and how to make it.
        sc.playbook("no_secret", CUTOVER, variables)
        sc.emulator.create("/api/v1/namespaces/%s/secrets" % CONSUMER_NAMESPACE, KEY_SECRET)
        # The consumer check Job succeeds (the emulated Job controller marks it complete at once).
        sc.playbook("cutover", CUTOVER, variables)
        sc.playbook("again", CUTOVER, variables)
        sc.playbook("rollback", ROLLBACK, variables)
        # From the consumer's namespace vLLM answers 401 (its Secret holds another key): the cutover rolls back.
        name = consumer_check.job_name("minilm", consumer_list([WORKER_CONSUMER], "minilm", NAMESPACE)[0])
        sc.emulator.create("/api/v1/namespaces/%s/pods" % CONSUMER_NAMESPACE, {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name + "-x7k2p", "namespace": CONSUMER_NAMESPACE,
                                                            "labels": {"job-name": name}},
            "spec": {"containers": [{"name": "check", "image": CHECK_IMAGE}]},
            "status": {"phase": "Failed"}})
        sc.emulator.set_options(job_succeeds=False, pod_logs={(CONSUMER_NAMESPACE, name + "-x7k2p", False): json.dumps(
            {"ok": False, "status": 401, "error": "Unauthorized", "url": stub.url + "/v1/embeddings"}) + "\n"})
        sc.playbook("check_fails", CUTOVER, variables)


def _route_seed(sc, url):
    seed(sc, url)
    sc.emulator.create("/api/v1/namespaces/%s/services" % NAMESPACE, service("vllm-minilm-old", {"app": "old"}))
    sc.emulator.create("/api/v1/namespaces/%s/services" % NAMESPACE, service("vllm-minilm", dict(
        MANAGED, **{"app.kubernetes.io/component": "vllm-server", "vllm-migration/model": "minilm"})))
    sc.emulator.create("/apis/route.openshift.io/v1/namespaces/%s/routes" % NAMESPACE, ROUTE)
    sc.record("seeded")
    return cutover_vars(url, "route_weights", vllm_migration_cutover_routes={
        "minilm": {"name": "rag-embeddings", "url": url}})


@scenario()
def cutover_route(sc):
    with StubEmbeddings() as stub:
        variables = _route_seed(sc, stub.url)
        cycle(sc, variables)


@scenario()
def cutover_route_gate_fails(sc):
    # The gate before the first step and the gate at 10 % pass (8 requests each); from then on every
    # request fails, so the gate at 50 % fails: the previous weights must come back.
    with StubEmbeddings(fail_after=16) as stub:
        variables = _route_seed(sc, stub.url)
        sc.playbook("cutover", CUTOVER, variables)
        sc.playbook("rollback", ROLLBACK, variables)


@scenario()
def retire_caikit(sc):
    with StubEmbeddings() as stub:
        seed(sc, stub.url)
        sc.emulator.create("/apis/apps/v1/namespaces/%s/deployments" % NAMESPACE, CAIKIT)
        variables = cutover_vars(stub.url, "endpoint_record", vllm_migration_caikit_deployments=[
            {"name": "caikit-runtime", "namespace": NAMESPACE, "models": ["minilm"]}])
        sc.playbook("retire_before_cutover", RETIRE, variables)
        sc.playbook("cutover", CUTOVER, variables)
        sc.playbook("retire_early", RETIRE, dict(variables, vllm_migration_retire_soak=3600))
        soaked = dict(variables, vllm_migration_retire_soak=0)
        sc.playbook("retire_check", RETIRE, soaked, check=True, extra_args=("--diff",))
        sc.playbook("retire", RETIRE, soaked)
        sc.playbook("retire_again", RETIRE, soaked)
        sc.playbook("rollback_refused", ROLLBACK, variables)
        sc.playbook("undo", RETIRE, dict(soaked, vllm_migration_retire_undo=True))
        sc.playbook("undo_again", RETIRE, dict(soaked, vllm_migration_retire_undo=True))
        sc.playbook("rollback", ROLLBACK, variables)


# OpenShift AI: a Caikit InferenceService (RawDeployment) and the predictor Deployment it owns, as KServe makes them.
ISVC_UID = "5b0e8a1c-3f7d-4c55-9e0a-6d2f1b7c9a41"
CAIKIT_ISVC = {
    "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
    "metadata": {"name": "caikit-embeddings", "namespace": NAMESPACE, "uid": ISVC_UID,
                 "labels": {"opendatahub.io/dashboard": "true", "networking.kserve.io/visibility": "exposed"},
                 "annotations": {"openshift.io/display-name": "caikit-embeddings",
                                 "serving.kserve.io/deploymentMode": "RawDeployment",
                                 "security.opendatahub.io/enable-auth": "false"}},
    "spec": {"predictor": {"model": {"modelFormat": {"name": "caikit"}, "runtime": "caikit-standalone-runtime",
                                     "storageUri": "s3://models/minilm"}}},
    "status": {"deploymentMode": "RawDeployment", "url": "https://caikit-embeddings-vllm-emu.apps.emulator.test",
               "conditions": [{"type": "PredictorReady", "status": "True"}, {"type": "Ready", "status": "True"}]}}
ISVC_OWNER = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "name": "caikit-embeddings",
              "uid": ISVC_UID, "controller": True, "blockOwnerDeletion": True}
PREDICTOR_LABELS = {"app": "isvc.caikit-embeddings-predictor", "component": "predictor",
                    "serving.kserve.io/inferenceservice": "caikit-embeddings"}
PREDICTOR = {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "caikit-embeddings-predictor", "namespace": NAMESPACE, "labels": PREDICTOR_LABELS,
                          "ownerReferences": [ISVC_OWNER]},
             "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "isvc.caikit-embeddings-predictor"}},
                      "template": {"metadata": {"labels": PREDICTOR_LABELS},
                                   "spec": {"containers": [{"name": "kserve-container", "image": "caikit-nlp:0.5.15"}]}}}}
DEPLOYMENTS = "/apis/apps/v1/namespaces/%s/deployments" % NAMESPACE


def _kserve_seed(sc, url, annotations=None, predictor=True):
    seed(sc, url)
    isvc = json.loads(json.dumps(CAIKIT_ISVC))
    isvc["metadata"]["annotations"].update(annotations or {})
    sc.emulator.create(PATHS["InferenceService"] % NAMESPACE, isvc)
    if predictor:
        sc.emulator.create(DEPLOYMENTS, PREDICTOR)


@scenario(emulator_class=KServeClusterEmulator)
def retire_kserve(sc):
    # auto: the Deployment named in the settings is owned by the InferenceService, so it is stopped through KServe
    with StubEmbeddings() as stub:
        _kserve_seed(sc, stub.url)
        variables = cutover_vars(stub.url, "endpoint_record", vllm_migration_retire_soak=0, vllm_migration_caikit_deployments=[
            {"name": "caikit-embeddings-predictor", "namespace": NAMESPACE, "models": ["minilm"]}])
        sc.playbook("cutover", CUTOVER, variables)
        sc.playbook("retire_check", RETIRE, variables, check=True, extra_args=("--diff",))
        sc.playbook("retire", RETIRE, variables)
        # KServe deletes a stopped RawDeployment InferenceService's predictor Deployment; no controller runs here
        sc.emulator.request("DELETE", DEPLOYMENTS + "/caikit-embeddings-predictor")
        sc.record("kserve_removed_predictor")
        sc.playbook("retire_again", RETIRE, variables)
        sc.playbook("rollback_refused", ROLLBACK, variables)
        undo = dict(variables, vllm_migration_retire_undo=True)
        sc.playbook("undo", RETIRE, undo)
        sc.emulator.create(DEPLOYMENTS, PREDICTOR)  # ... and makes it again once the annotation is gone
        sc.playbook("undo_again", RETIRE, undo)
        sc.playbook("rollback", ROLLBACK, variables)


@scenario(emulator_class=KServeClusterEmulator)
def retire_kserve_named(sc):
    # The InferenceService named in the settings (as for a Serverless one, whose Deployment a Knative Revision
    # owns), with serving.kserve.io/stop "false" set before: it must come back as "false".
    with StubEmbeddings() as stub:
        _kserve_seed(sc, stub.url, {"serving.kserve.io/stop": "false"}, predictor=False)
        variables = cutover_vars(stub.url, "endpoint_record", vllm_migration_retire_soak=0,
                                 vllm_migration_retire_method="kserve_stop", vllm_migration_caikit_deployments=[
                                     {"inference_service": "caikit-embeddings", "namespace": NAMESPACE, "models": ["minilm"]}])
        sc.playbook("cutover", CUTOVER, variables)
        sc.playbook("retire", RETIRE, variables)
        sc.playbook("undo", RETIRE, dict(variables, vllm_migration_retire_undo=True))


@scenario(emulator_class=KServeClusterEmulator)
def cutover_route_owned(sc):
    # The Route consumers use is the one odh-model-controller made for the InferenceService: route_weights refuses it.
    with StubEmbeddings() as stub:
        seed(sc, stub.url)
        sc.emulator.create(PATHS["InferenceService"] % NAMESPACE, CAIKIT_ISVC)
        sc.emulator.create("/api/v1/namespaces/%s/services" % NAMESPACE, service("vllm-minilm", dict(
            MANAGED, **{"app.kubernetes.io/component": "vllm-server", "vllm-migration/model": "minilm"})))
        sc.emulator.create("/apis/route.openshift.io/v1/namespaces/%s/routes" % NAMESPACE, {
            "apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": {"name": "caikit-embeddings", "namespace": NAMESPACE,
                         "labels": {"inferenceservice-name": "caikit-embeddings"}, "ownerReferences": [ISVC_OWNER]},
            "spec": {"to": {"kind": "Service", "name": "caikit-embeddings-predictor", "weight": 100},
                     "port": {"targetPort": "http"}, "tls": {"termination": "edge"}}})
        sc.record("seeded")
        sc.playbook("cutover", CUTOVER, cutover_vars(stub.url, "route_weights", vllm_migration_cutover_routes={
            "minilm": {"name": "caikit-embeddings", "url": stub.url}}))


# Local platform: the endpoint record is a JSON file a consumer's own tooling wrote (its whitespace and key
# order must come back byte for byte); nothing here uses the emulator, and the cutover needs no Kubernetes.
LOCAL_SEED = b'{"backend": "caikit",  "url": "http://caikit.rag.svc:8080", "api": "caikit",\n "model": "minilm"}\n'


def _local_files(sc, step, folder):
    record, state = folder / "endpoints" / "minilm.json", folder / "state" / "cutover" / "minilm.json"
    sc.record(step + ":files", record=record.read_bytes() if record.exists() else None,
              state=json.loads(state.read_text()) if state.exists() else None)


@scenario()
def cutover_local(sc):
    with StubEmbeddings() as stub:
        folder = sc.workdir / "local"
        (folder / "endpoints").mkdir(parents=True)
        (folder / "endpoints" / "minilm.json").write_bytes(LOCAL_SEED)
        (folder / "reports" / "latest").mkdir(parents=True)
        (folder / "reports" / "latest" / "report.json").write_text(report_text(stub.url))
        variables = {"vllm_migration_platform": "local", "vllm_migration_models": ["minilm"],
                     "vllm_migration_endpoints": {"minilm": endpoint(stub.url)},
                     "vllm_migration_report_dir": str(folder / "reports"),
                     "vllm_migration_endpoint_record_dir": str(folder / "endpoints"),
                     "vllm_migration_state_dir": str(folder / "state"), "cutover_smoke_requests": 4}
        for step, playbook, extra, check in (("check", CUTOVER, {}, True), ("cutover", CUTOVER, {}, False),
                                             ("again", CUTOVER, {}, False), ("rollback", ROLLBACK, {}, False),
                                             ("rollback_again", ROLLBACK, {}, False),
                                             # a p95 bound nothing meets: the smoke check fails after the record was written
                                             ("smoke_fails", CUTOVER, {"cutover_smoke_max_p95_ms": 0.001}, False)):
            sc.playbook(step, playbook, dict(variables, **extra), check=check, extra_args=("--diff",) if check else ())
            _local_files(sc, step, folder)

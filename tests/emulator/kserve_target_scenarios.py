# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Scenario ``inference_service_target`` (issue 21): the vLLM servers as KServe InferenceServices
(``vllm_server_target: inferenceservice``) on an OpenShift AI cluster, emulated.

No KServe controller runs here: ``KServeControllerEmulator`` stands in for the part of it the roles depend on. When
an InferenceService in RawDeployment mode is written it sets the status KServe would (``Ready``, ``modelStatus``,
the URL: the Route's when the visibility label says ``exposed``, else the predictor Service's; the in-cluster
address) and makes the predictor Deployment ``<name>-predictor``, owned by the InferenceService, with the
predictor's labels on its pods; an InferenceService whose runtime does not exist gets KServe's ``InvalidSpec``. InferenceServices the test seeds
with a status (the Caikit ones) are taken as already reconciled.
Deleting the InferenceService deletes that Deployment, as the garbage collector would.

Scenario ``inference_service_target``, steps: ``converge`` (two models, OpenShift AI's proxy, a NetworkPolicy, the
model cache), ``idempotence``, ``check_changed`` (--check with a changed setting: dry-run writes only), ``foreign``
(in another namespace an InferenceService of the same name that someone else made: used as it is), ``remove_one``
(the reranker's InferenceService and ServingRuntime go), ``cleanup`` (playbooks/cleanup_cluster.yml).

Scenario ``openshift_ai_end_to_end`` (issue 21's whole path, the real playbooks one after another): the Caikit
InferenceServices of the discovery fixture (team-rag), ``discover`` (discover.yml writes the fragment), the fragment
used as the inventory for ``provision`` (InferenceService target; KServe reports the discovery stand-in's vLLM face
as every predictor's URL) and ``provision_again``, ``verify`` (verify.yml: checks and decision, the report in its
ConfigMap), ``cutover`` and ``cutover_again`` (consumer_env with the consumer's key Secret and service CA in
rag-prod, the consumer check Job), ``retire`` and ``retire_again`` (the Caikit InferenceService stopped by KServe's
annotation), ``unretire``, ``rollback`` and ``rollback_again``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import attrs
import kmock
import yaml

from cutover_scenarios import (
    CHECK_IMAGE, CONSUMER_NAMESPACE, CUTOVER, KEY_SECRET, RETIRE, ROLLBACK, SERVICE_CA_CONFIGMAP, WORKER, WORKER_CONSUMER)
from discovery_scenarios import PATHS, TOKEN, InfoModelsStandin, KServeClusterEmulator
from discovery_scenarios import seed as seed_caikit
from harness import NAMESPACE, ROOT
from scenarios import OPENSHIFT_VARS, namespace, scenario

DEPLOYMENTS = kmock.resource("apps", "v1", "deployments")
RUNTIMES = kmock.resource("serving.kserve.io", "v1alpha1", "servingruntimes")
FOREIGN_NAMESPACE = "team-models"

ISVC_VARS = dict(
    {k: v for k, v in OPENSHIFT_VARS.items() if k != "vllm_migration_api_key"},
    vllm_server_target="inferenceservice",
    # OpenShift AI's authenticating proxy in front of every path (enable-auth), as the platform does it
    vllm_server_auth_proxy=True,
)


@attrs.define(kw_only=True)
class KServeControllerEmulator(KServeClusterEmulator):
    """KServe's InferenceService controller as far as the roles depend on it (see the module docstring)."""

    # When set, the URL every reconciled InferenceService reports (a local stand-in that answers as vLLM).
    predictor_url: str = ""

    def _admit(self, resource, obj, created):
        super()._admit(resource, obj, created)
        # an object written with a status is a seeded one, as KServe already reconciled it
        if resource.plural == "inferenceservices" and isinstance(obj.get("spec"), dict) and "status" not in obj:
            self._reconcile(obj)

    def _reconcile(self, isvc):
        metadata = isvc.get("metadata") or {}
        name, namespace_name = metadata.get("name"), metadata.get("namespace")
        predictor = (isvc.get("spec") or {}).get("predictor") or {}
        runtime = (predictor.get("model") or {}).get("runtime")
        if self._stored((RUNTIMES, namespace_name, runtime)) is None:
            isvc["status"] = {"conditions": [{"type": "Ready", "status": "False", "reason": "InvalidSpec"}],
                              "modelStatus": {"transitionStatus": "InvalidSpec", "lastFailureInfo": {
                                  "reason": "RuntimeNotRecognized",
                                  "message": "Waiting for runtime to become available"}}}
            return
        exposed = (metadata.get("labels") or {}).get("networking.kserve.io/visibility") == "exposed"
        service = "%s-predictor.%s.svc.cluster.local" % (name, namespace_name)
        route = "https://%s-%s.%s" % (name, namespace_name, self.route_domain)
        isvc["status"] = {
            "url": self.predictor_url or (route if exposed else "http://" + service),
            "address": {"url": "http://" + service},
            "conditions": [{"type": t, "status": "True"} for t in ("IngressReady", "PredictorReady", "Ready")],
            "modelStatus": {"transitionStatus": "UpToDate", "states": {"activeModelState": "Loaded"}},
        }
        replicas = predictor.get("minReplicas", 1)
        labels = dict(predictor.get("labels") or {})
        labels.update({"serving.kserve.io/inferenceservice": name, "component": "predictor"})
        deployment = {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name + "-predictor", "namespace": namespace_name, "labels": labels,
                         "generation": 1, "ownerReferences": [{
                             "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "name": name,
                             "uid": metadata.get("uid", "uid-" + name), "controller": True,
                             "blockOwnerDeletion": True}]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "isvc.%s-predictor" % name}},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "kserve-container"}]}}},
            "status": self._deployment_status(replicas),
        }
        key = (DEPLOYMENTS, namespace_name, name + "-predictor")
        if key in self.objects and not self.objects[key].deleted:
            self.objects[key].patch(deployment)
        elif key in self.objects:
            self.objects[key].create(deployment)
        else:
            self.objects[key] = deployment

    async def _handle(self, request):
        response = await super()._handle(request)
        if (request.resource is not None and request.resource.plural == "inferenceservices"
                and request.action == kmock.action.DELETE and request.name and not request.params.get("dryRun")):
            key = (DEPLOYMENTS, request.namespace, request.name + "-predictor")
            if key in self.objects and not self.objects[key].deleted:
                self.objects[key].delete()
        return response


def foreign_inference_service():
    """An InferenceService someone made by hand, with the name the collection would give its server."""
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "vllm-minilm", "namespace": FOREIGN_NAMESPACE, "labels": {"team": "models"},
                         "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"}},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "vLLM"}, "runtime": "their-runtime",
                                             "storageUri": "pvc://their-models/minilm"}}}}


@scenario(emulator_class=KServeControllerEmulator)
def inference_service_target(sc):
    sc.playbook("converge", "provision.yml", ISVC_VARS)
    sc.playbook("idempotence", "provision.yml", ISVC_VARS)
    sc.playbook("check_changed", "provision.yml", dict(ISVC_VARS, vllm_server_gpu_memory_utilization=0.4), check=True)
    sc.emulator.create("/api/v1/namespaces", namespace(FOREIGN_NAMESPACE))
    sc.emulator.create(PATHS["ServingRuntime"] % FOREIGN_NAMESPACE, {
        "apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
        "metadata": {"name": "their-runtime", "namespace": FOREIGN_NAMESPACE},
        "spec": {"supportedModelFormats": [{"name": "vLLM"}], "containers": [{"name": "kserve-container",
                                                                              "image": "their/vllm:1"}]}})
    sc.emulator.create(PATHS["InferenceService"] % FOREIGN_NAMESPACE, foreign_inference_service())
    sc.record("foreign_seeded")
    sc.playbook("foreign", "provision.yml", dict(ISVC_VARS, vllm_migration_namespace=FOREIGN_NAMESPACE,
                                                 vllm_migration_models=["minilm"], model_cache_prefetch=False,
                                                 emulator_test_roles=["vllm_server"]))
    sc.playbook("remove_one", "remove.yml", dict(ISVC_VARS, vllm_server_remove_models=["bge_reranker"]))
    sc.playbook("cleanup", ROOT / "playbooks" / "cleanup_cluster.yml",
                {"vllm_migration_namespace": NAMESPACE, "vllm_migration_cleanup_keep_model_cache": False})


# discover -> provision (InferenceService target) -> verify -> decide -> cutover -> retire -> unretire -> rollback
CAIKIT_NAMESPACE = "team-rag"
CUTOVER_SETTINGS = {
    "vllm_migration_cutover_models": ["minilm"], "vllm_migration_cutover_strategy": "consumer_env",
    "vllm_migration_cutover_consumers": {"minilm": [WORKER_CONSUMER]}, "cutover_consumer_check_image": CHECK_IMAGE,
    "cutover_smoke_requests": 4, "cutover_gate_requests": 8, "cutover_gate_concurrency": 2,
    "cutover_rollout_poll": 1, "cutover_rollout_timeout": 5,
    # the Caikit InferenceService that served minilm (and granite) stops through KServe's annotation
    "vllm_migration_retire_soak": 0, "vllm_migration_retire_method": "kserve_stop",
    "vllm_migration_caikit_deployments": [{"inference_service": "caikit-embeddings", "namespace": CAIKIT_NAMESPACE,
                                           "models": ["minilm"]}],
}


def seed_consumer(sc):
    """The consumer in its own namespace, with the Secret it calls with and the service CA ConfigMap it trusts."""
    sc.emulator.create("/api/v1/namespaces", namespace(CONSUMER_NAMESPACE))
    sc.emulator.create("/apis/apps/v1/namespaces/%s/deployments" % CONSUMER_NAMESPACE, WORKER)
    sc.emulator.create("/api/v1/namespaces/%s/configmaps" % CONSUMER_NAMESPACE, SERVICE_CA_CONFIGMAP)
    sc.emulator.create("/api/v1/namespaces/%s/secrets" % CONSUMER_NAMESPACE, KEY_SECRET)


@scenario(emulator_class=KServeControllerEmulator)
def openshift_ai_end_to_end(sc):
    with InfoModelsStandin() as standin:
        seed_caikit(sc, standin.url)
        seed_consumer(sc)
        sc.env = dict(sc.env, CAIKIT_TOKEN=TOKEN)
        fragment_file = sc.workdir / "discovered.yml"
        sc.playbook("discover", ROOT / "playbooks" / "discover.yml", {
            "vllm_migration_discover_output": str(fragment_file),
            "vllm_migration_discover_namespaces": [CAIKIT_NAMESPACE]})
        fragment = yaml.safe_load(fragment_file.read_text()) if fragment_file.exists() else {}
        sc.record("fragment", fragment=fragment)
        # KServe reports the stand-in's vLLM face as every vLLM InferenceService's URL (no pod runs here)
        sc.emulator.set_options(predictor_url=standin.url + "/vllm")
        provision = dict(fragment, vllm_migration_platform="openshift", vllm_migration_namespace=NAMESPACE,
                         vllm_server_target="inferenceservice", vllm_server_auth_proxy=True,
                         vllm_server_network_policy=True, vllm_server_gpu=0,
                         vllm_migration_cutover_consumers=CUTOVER_SETTINGS["vllm_migration_cutover_consumers"],
                         emulator_test_roles=["namespace", "vllm_server"])
        sc.playbook("provision", "provision.yml", provision)
        sc.playbook("provision_again", "provision.yml", provision)
        endpoints = sc.steps["provision"]["run"].endpoints or {}
        standin.model_roots = {record["served_name"]: record.get("model_root") for record in endpoints.values()}
        # no benchmark against a stand-in: the decision does not require performance (the report says so)
        verify = dict(provision, vllm_migration_endpoints=endpoints, vllm_migration_retrieval=False,
                      vllm_migration_require_performance=False, vllm_migration_report_dir=str(sc.workdir / "reports"))
        standin.requests.clear()
        sc.playbook("verify", ROOT / "playbooks" / "verify.yml", verify)
        sc.record("verify_requests", requests=list(standin.requests))
        cutover = dict(verify, **CUTOVER_SETTINGS)
        sc.playbook("cutover", CUTOVER, cutover)
        sc.playbook("cutover_again", CUTOVER, cutover)
        sc.playbook("retire", RETIRE, cutover)
        sc.playbook("retire_again", RETIRE, cutover)
        sc.playbook("unretire", RETIRE, dict(cutover, vllm_migration_retire_undo=True))
        sc.playbook("rollback", ROLLBACK, cutover)
        sc.playbook("rollback_again", ROLLBACK, cutover)


# vLLM serving the very files Caikit serves (issue 4, the cluster half): one model from a data connection's S3 folder,
# one from a folder on Caikit's claim beside Caikit's predictor pods, on each target.
COPY_IMAGE = "registry.example.com/vllm-pooling-migration-ee:0.1.0"
FILES_NAMESPACE = "team-files"
CAIKIT_FILES_CATALOG = {
    "minilm": {"model_data_connection": "aws-connection-models",
               "model_data_connection_path": "embeddings/all-minilm-l6-v2/artifacts"},
    # a model the built-in catalog does not know: no Hugging Face id, its files are named
    "bge_small": {"kind": "embedding", "caikit_model_id": "bge-small-en-v1-5", "model_claim": "search-models",
                  "model_claim_path": "caikit/bge-small-en-v1-5/artifacts",
                  "model_claim_pods": {"serving.kserve.io/inferenceservice": "caikit-internal"}},
}
# CPU servers in the cluster only (no GPU plan, no Route), the namespace and vllm_server roles only
CAIKIT_FILES_VARS = dict(
    vllm_migration_platform="openshift", vllm_migration_namespace=NAMESPACE, vllm_migration_models=["minilm", "bge_small"],
    vllm_migration_catalog=CAIKIT_FILES_CATALOG, vllm_migration_model_copy_image=COPY_IMAGE, vllm_server_gpu=0,
    vllm_server_expose=False, emulator_test_roles=["namespace", "vllm_server"])


# The pod the minilm server's Deployment would have, its init container done (step copied_pod).
COPIED_POD = "vllm-minilm-6d5f8b7c9-x2k4q"


def environment_of(container, secrets):
    """The environment the kubelet would give ``container``: values as they are, secretKeyRefs from ``secrets``."""
    env = {}
    for item in container["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        if ref["key"] in secrets[ref["name"]]:
            env[item["name"]] = secrets[ref["name"]][ref["key"]]
        else:
            assert ref.get("optional"), "the pod would not start: %s lacks %s" % (ref["name"], ref["key"])
    return env


def run_model_copy(copier, secrets, mount, home):
    """The init container ``copier``'s exact command line, run here with the environment its secretKeyRefs give it
    (``secrets``: {Secret name: values}); the pod's /mnt/models is the folder ``mount``, its /tmp ``home``. Returns the
    command as run and the finished process."""
    command = [part.replace("/mnt/models", str(mount)) for part in copier["command"]]
    env = dict(os.environ, **environment_of(copier, secrets))
    env["HOME"] = str(home)  # the container's /tmp
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")  # where this checkout's collection is found, as in the image
    env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    return command, subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)


def seed_copied_pod(sc):
    """What a kubelet leaves of the minilm server's pod: ready, its init container model-copy done, and that
    container's log, the real output of its command run here against moto's S3 server (step ``model_copy`` records
    it and the model folder uploaded)."""
    sys.path.insert(0, str(ROOT / "tests" / "unit"))
    from s3_server import LocalS3, caikit_model_folder, upload_folder  # pylint: disable=import-outside-toplevel
    template = sc.emulator.get("/apis/apps/v1/namespaces/%s/deployments/vllm-minilm" % NAMESPACE)["spec"]["template"]
    (copier,) = template["spec"]["initContainers"]
    s3 = LocalS3()
    try:
        bucket = s3.new_bucket()
        folder = caikit_model_folder(sc.workdir / "caikit", "all-minilm-l6-v2")
        upload_folder(s3.client(), bucket, folder, "embeddings")
        secrets = {"aws-connection-models": s3.connection(bucket)}
        proc = run_model_copy(copier, secrets, sc.workdir / "mnt-models", sc.workdir / "home")[1]
    finally:
        s3.stop()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    sc.emulator.create("/api/v1/namespaces/%s/pods" % NAMESPACE, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": COPIED_POD, "namespace": NAMESPACE, "labels": template["metadata"]["labels"]},
        "spec": template["spec"],
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                   "initContainerStatuses": [{"name": copier["name"], "ready": True, "restartCount": 0, "state": {
                       "terminated": {"reason": "Completed", "exitCode": 0}}}]}})
    sc.emulator.set_options(pod_logs={(NAMESPACE, COPIED_POD, False, copier["name"]): proc.stdout})
    sc.record("model_copy", log=proc.stdout, folder=folder)


def verify_in_job(sc):
    """The verify role's check Job on what the vllm_server role recorded (step copied_pod's endpoints), with the
    references discovery proposes: minilm known by the digest its init container logged against the digest discovery
    records of Caikit's S3 folder; bge_small on Caikit's claim, which the played pod finds in a folder of the scenario
    (step ``verify_in_job``, its pod ``verify_in_job_pod``). The servers are stubs: the endpoints' Service URLs, which
    nothing here resolves, become the stub's; every weights field is the role's own."""
    # pylint: disable=import-outside-toplevel  # the check Job's scenario helpers, only for this step
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.kserve import claim_reference
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import weights_digest
    from benchmark_job_scenarios import COMPLETE, play_pod, set_job_status, when_started
    from check_job_scenarios import JOB, ROLE_PLAYBOOK
    from s3_server import caikit_model_folder
    from stub_embeddings import StubEmbeddings
    claim = sc.workdir / "claim-search-models"
    caikit_model_folder(claim / "caikit", "bge-small-en-v1-5")
    sc.claims = {"search-models": str(claim)}
    (sc.workdir / "verify.yml").write_text(ROLE_PLAYBOOK)
    predictor = "http://%s-predictor.%s.svc.cluster.local"
    with StubEmbeddings(dimension=384, models=["minilm", "bge_small"]) as vllm, StubEmbeddings(dimension=384) as caikit:
        candidates = {key: dict(endpoint, service_url=vllm.url) for key, endpoint in sc.steps["copied_pod"]["run"].endpoints.items()}
        references = {
            "minilm": {"type": "openai", "url": predictor % ("caikit-embeddings", NAMESPACE), "internal_url": caikit.url,
                       "model": "all-minilm-l6-v2", "weights_source": "s3://models/embeddings/all-minilm-l6-v2/",
                       "weights_digest": weights_digest(str(sc.steps["model_copy"]["folder"]))["digest"]},
            "bge_small": dict({"type": "openai", "url": predictor % ("caikit-internal", NAMESPACE), "internal_url": caikit.url,
                               "model": "bge-small-en-v1-5"}, **claim_reference(CAIKIT_FILES_CATALOG["bge_small"]))}
        player = when_started(sc, JOB, lambda: (play_pod(sc, JOB, "verify_in_job_pod"), set_job_status(sc, JOB, COMPLETE)))
        sc.playbook("verify_in_job", "verify.yml", dict(
            vllm_migration_platform="openshift", vllm_migration_namespace=NAMESPACE, vllm_migration_models=["minilm", "bge_small"],
            vllm_migration_catalog=CAIKIT_FILES_CATALOG, vllm_migration_verify_client="cluster_job",
            vllm_migration_verify_job_image=COPY_IMAGE, verify_job_poll=1, verify_candidates=candidates,
            verify_references=references, verify_retrieval=False, verify_timeout=10, verify_length_passages=False,
            verify_check_long_inputs=False, verify_clients=False,
            emulator_results_file=str(sc.workdir / "results-verify_in_job.json")))
        player.join(10)


@scenario(emulator_class=KServeControllerEmulator, jobs_finish=False)
def caikit_files(sc):
    sc.playbook("deployment", "provision.yml", CAIKIT_FILES_VARS)
    sc.playbook("deployment_again", "provision.yml", CAIKIT_FILES_VARS)
    seed_copied_pod(sc)
    sc.playbook("copied_pod", "provision.yml", CAIKIT_FILES_VARS)
    verify_in_job(sc)
    sc.playbook("copy_ca", "provision.yml", dict(CAIKIT_FILES_VARS, vllm_migration_model_copy_ca_configmap="odh-trusted-ca-bundle"))
    sc.playbook("no_copy_image", "provision.yml", dict(CAIKIT_FILES_VARS, vllm_migration_model_copy_image=""))
    isvc = dict(CAIKIT_FILES_VARS, vllm_migration_namespace=FILES_NAMESPACE, vllm_server_target="inferenceservice",
                vllm_migration_model_copy_image="")
    sc.playbook("inferenceservice", "provision.yml", isvc)

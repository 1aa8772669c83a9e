# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Scenario ``inference_service_target`` (issue 21): the vLLM servers as KServe InferenceServices
(``vllm_server_target: inferenceservice``) on an OpenShift AI cluster, emulated.

No KServe controller runs here: ``KServeControllerEmulator`` stands in for the part of it the roles depend on. When
an InferenceService in RawDeployment mode is written it sets the status KServe would (``Ready``, ``modelStatus``,
the URL: the Route's when the visibility label says ``exposed``, else the predictor Service's; the in-cluster
address) and makes the predictor Deployment ``<name>-predictor``, owned by the InferenceService, with the
predictor's labels on its pods; an InferenceService whose runtime does not exist gets KServe's ``InvalidSpec``.
Deleting the InferenceService deletes that Deployment, as the garbage collector would.

Steps: ``converge`` (two models, OpenShift AI's proxy, a NetworkPolicy, the model cache), ``idempotence``,
``check_changed`` (--check with a changed setting: dry-run writes only), ``foreign`` (in another namespace an
InferenceService of the same name that someone else made: used as it is), ``remove_one`` (the reranker's
InferenceService and ServingRuntime go), ``cleanup`` (playbooks/cleanup_cluster.yml).
"""

from __future__ import annotations

import attrs
import kmock

from discovery_scenarios import PATHS, KServeClusterEmulator
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

    def _admit(self, resource, obj, created):
        super()._admit(resource, obj, created)
        if resource.plural == "inferenceservices" and isinstance(obj.get("spec"), dict):
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
        isvc["status"] = {
            "url": ("https://%s-%s.%s" % (name, namespace_name, self.route_domain)) if exposed else "http://" + service,
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

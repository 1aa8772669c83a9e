# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Cluster planning as plain functions: what each vLLM server is called, labelled and given, its URL,
whether its rollout finished, and which objects a cleanup may delete.

The roles render manifests from these plans; nothing here talks to a cluster.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.vllm_pooling.migration.plugins.module_utils import server_image, storage_plan
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import vllm_args
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    COMMON_LABELS, COMPONENT_LABEL, MANAGED_BY, MANAGED_BY_LABEL, MODEL_LABEL, VISIBILITY_LABEL, VLLM_PORT)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.ownership import (
    delete_rank, follows_a_listed_owner, is_automatic, is_ours)

SERVER_COMPONENT = "vllm-server"
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([-._A-Za-z0-9]{0,61}[A-Za-z0-9])?$")

# Defaults of the settings a plan reads (the vllm_server role passes its own values).
PLAN_DEFAULTS = {
    "platform": "openshift", "namespace": "vllm-migration", "image": "", "gpu": 1, "gpu_resource": "nvidia.com/gpu",
    "gpu_tolerations": [], "gpu_memory_utilization": 0.15, "replicas": 1, "resources": {},
    "node_selector": {}, "tolerations": [], "env": {}, "extra_args": [], "model_overrides": {},
    "name_prefix": "vllm-", "labels": {}, "hosts": {}, "ingress_domain": "", "expose": True,
    # Added for issue 12: pod affinity, the container command (``vllm serve`` takes the model positionally)
    # and the model storage (storage_plan.server_storage settings; None keeps the plain --model form).
    "affinity": {}, "command": [], "storage": None,
    # Where vLLM listens in the pod: 127.0.0.1 behind the authenticating proxy sidecar (issue 12).
    "host": "0.0.0.0",
    # Annotations of a Kubernetes Ingress, and whether its backend is the proxy's https port.
    "ingress_annotations": {}, "auth_proxy": False,
    # The consumer Deployments of each model (cutover_consumers: key -> [name or {name, namespace, ...}]): their
    # namespaces are admitted by the server's NetworkPolicy, so that they still reach it after a cutover.
    "consumers": {},
    # What each server is on the cluster: a Deployment of ours, or a ServingRuntime and an InferenceService that
    # KServe turns into a predictor Deployment (OpenShift AI's way; there ``auth_proxy`` is OpenShift AI's proxy).
    "target": "deployment",
}

INFERENCE_SERVICE = "inferenceservice"
TARGETS = ("deployment", INFERENCE_SERVICE)
# KServe's conventions: runtimes listen on 8080, a RawDeployment predictor's Deployment and Service are named
# <InferenceService>-predictor (the Service on port 80), OpenShift AI's authenticating proxy listens on 8443, the
# runtime's container is kserve-container.
KSERVE_PORT = 8080
KSERVE_AUTH_PORT = 8443
KSERVE_SERVICE_PORT = 80
PREDICTOR_SUFFIX = "-predictor"
KSERVE_CONTAINER = "kserve-container"
# The runtime fills in the InferenceService's name (the model name OpenShift AI's dashboard shows and clients send).
SERVED_NAME_TEMPLATE = "{{.Name}}"
# OpenShift AI's dashboard lists the runtimes and InferenceServices that carry this label.
DASHBOARD_LABELS = {"opendatahub.io/dashboard": "true"}


INGRESS_HTTPS_BACKEND = {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS"}


class PlanError(ValueError):
    pass


def deep_merge(base, override):
    """``override`` merged into a copy of ``base``, dicts recursively (as Jinja's combine(recursive=True))."""
    merged = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def image_label(image):
    """A label value naming an image: its tag, or the start of its digest (63 characters of [-._a-zA-Z0-9])."""
    tag = image.split("@")[-1].split(":")[-1]
    return re.sub(r"^[-._]+|[-._]+$", "", re.sub(r"[^-._a-zA-Z0-9]", "-", tag)[:63])


def server_labels(key, name, extra=None, version=""):
    """(labels, selector) of one server's objects."""
    selector = {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": name, MODEL_LABEL: key}
    labels = dict(extra or {})
    labels.update(selector)
    labels.update(COMMON_LABELS)
    labels[COMPONENT_LABEL] = SERVER_COMPONENT
    if version:
        labels["app.kubernetes.io/version"] = version
    return labels, selector


def label_selector(component=None, models=None):
    """Label selectors (kubernetes.core syntax) of the collection's objects, optionally of one component and some models."""
    selectors = ["%s=%s" % (MANAGED_BY_LABEL, MANAGED_BY)]
    if component:
        selectors.append("%s=%s" % (COMPONENT_LABEL, component))
    if models and len(models) == 1:
        selectors.append("%s=%s" % (MODEL_LABEL, models[0]))
    elif models:
        selectors.append("%s in (%s)" % (MODEL_LABEL, ",".join(models)))
    return selectors


def consumer_namespaces(consumers, namespace):
    """The namespaces of a model's consumer Deployments other than ``namespace`` (whose pods are admitted anyway):
    each consumer a Deployment name (in ``namespace``) or ``{name, namespace, ...}``."""
    found = {(c.get("namespace") if isinstance(c, dict) else None) or namespace for c in consumers or []}
    return sorted(found - {namespace})


def server_plan(entries, settings):
    """One instance per resolved catalog entry: name, labels, selector, image, gpu, replicas, resources (and the
    container's, GPUs included),
    placement (node selector, tolerations, affinity, pod labels), env, storage, command, vLLM arguments,
    host and port. Raises PlanError naming what to change."""
    opts = dict(PLAN_DEFAULTS, **settings)
    if opts["target"] not in TARGETS:
        raise PlanError("vllm_server_target must be one of %s, not %r" % (", ".join(TARGETS), opts["target"]))
    instances = []
    for entry in entries:
        override = opts["model_overrides"].get(entry["key"]) or {}
        name = (opts["name_prefix"] + entry["key"].replace("_", "-")).lower()
        image = override.get("image") or opts["image"]
        gpu = int(override.get("gpu", opts["gpu"]))
        labels, selector = server_labels(entry["key"], name, opts["labels"], image_label(image))
        storage, placement = _storage_and_placement(entry, name, override, opts, gpu)
        model_path = override.get("model_path") if storage is None else storage["model_path"]
        args = (vllm_args(entry, model_path or None) + ["--host", opts["host"], "--port", str(VLLM_PORT)]
                + _tuning_args(override, opts))
        host = opts["hosts"].get(entry["key"], "")
        if not host and opts["platform"] == "kubernetes" and opts["ingress_domain"]:
            host = "%s-%s.%s" % (name, opts["namespace"], opts["ingress_domain"])
        instance = {
            "key": entry["key"], "name": name, "entry": entry, "labels": labels, "selector": selector,
            "image": image, "gpu": gpu, "replicas": int(override.get("replicas", opts["replicas"])),
            "resources": deep_merge(opts["resources"], override.get("resources")),
            "node_selector": placement["node_selector"], "tolerations": placement["tolerations"],
            "affinity": placement["affinity"], "pod_labels": dict(labels, **placement["labels"]),
            "env": dict(opts["env"], **(override.get("env") or {})),
            "storage": storage, "host": host, "port": VLLM_PORT,
            "consumer_namespaces": consumer_namespaces(opts["consumers"].get(entry["key"]), opts["namespace"]),
        }
        # the container's resources: the GPUs are both requested and limited (extended resources must be equal)
        gpus = {opts["gpu_resource"]: gpu} if gpu > 0 else {}
        instance["container_resources"] = deep_merge(instance["resources"], {"requests": gpus, "limits": gpus})
        # ingress-nginx must be told that the proxy's backend port speaks https; the user's annotations win
        instance["ingress_annotations"] = dict(INGRESS_HTTPS_BACKEND if opts["auth_proxy"] else {}, **opts["ingress_annotations"])
        instance["command"], instance["args"] = server_image.serve_command(opts["command"], args)
        instance.update(target=opts["target"], deployment=name, container="vllm", service=name)
        if opts["target"] == INFERENCE_SERVICE:
            _as_inference_service(instance, override, opts)
        _check_instance(instance, opts)
        instances.append(instance)
    if opts["storage"] is not None:
        try:
            storage_plan.check_claim_users(instances, opts["storage"].get("access_mode", "ReadWriteOnce"))
        except storage_plan.StoragePlanError as exc:
            raise PlanError(str(exc)) from None
    return instances


def _model_source(entry, override):
    """Where the model's files come from: set in the catalog entry or, winning, in the model's override."""
    source = {k: entry[k] for k in storage_plan.SOURCE_KEYS if entry.get(k)}
    source.update({k: v for k, v in override.items() if v not in (None, "")})
    return source


def _tuning_args(override, opts):
    """The arguments after the model's own on every target: the GPU memory share, then the extra arguments."""
    return (["--gpu-memory-utilization", str(override.get("gpu_memory_utilization", opts["gpu_memory_utilization"]))]
            + [str(a) for a in opts["extra_args"]] + [str(a) for a in override.get("extra_args") or []])


def _as_inference_service(instance, override, opts):
    """Turn a Deployment plan into the plan of a ServingRuntime and InferenceService of the same name: the model
    from ``storageUri`` (storage_plan.kserve_model), the runtime's arguments in the form of OpenShift AI's vLLM
    runtime template, KServe's port, container and predictor Deployment, and OpenShift AI's proxy for auth."""
    entry = instance["entry"]
    try:
        model = storage_plan.kserve_model(entry["key"], entry["model"], _model_source(entry, override),
                                          opts["storage"] or {"claim": ""})
    except storage_plan.StoragePlanError as exc:
        raise PlanError("server '%s': %s" % (instance["name"], exc)) from None
    own = vllm_args(entry, model["model"])
    for flag in ("--model", "--served-model-name"):
        index = own.index(flag)
        del own[index:index + 2]
    args = (["--port", str(KSERVE_PORT), "--model", model["model"], "--served-model-name", SERVED_NAME_TEMPLATE]
            + own + _tuning_args(override, opts))
    instance["command"], instance["args"] = server_image.serve_command(opts["command"], args)
    instance["entry"] = dict(entry, served_name=instance["name"])
    # KServe mounts the model itself; the storage plan keeps the cache claim (for the same-node rule) and HF_HOME.
    storage = dict(instance["storage"] or {}, hf_home=model["hf_home"], offline=model["offline"], volumes=[], mounts=[],
                   init_containers=[], sidecars=[], share_process_namespace=False)
    predictor = instance["name"] + PREDICTOR_SUFFIX
    runtime_labels = dict(instance["labels"], **DASHBOARD_LABELS)
    # exposed: OpenShift AI makes the InferenceService's Route
    instance["inference_service_labels"] = dict(runtime_labels, **({VISIBILITY_LABEL: "exposed"} if opts["expose"] else {}))
    instance["runtime_labels"] = runtime_labels
    instance.update(port=KSERVE_PORT, deployment=predictor, container=KSERVE_CONTAINER, service=predictor,
                    service_port=KSERVE_SERVICE_PORT, storage_uri=model["uri"], storage=storage,
                    model_storage=model.get("storage") or {},
                    policy_ports=[KSERVE_PORT] + ([KSERVE_AUTH_PORT] if opts["auth_proxy"] else []))


def _storage_and_placement(entry, name, override, opts, gpu):
    """The server's model storage (None without storage settings) and its placement: node selector,
    tolerations (plus the GPU ones), affinity (plus the same-node term of a ReadWriteOnce model cache)."""
    key = entry["key"]
    try:
        storage = None
        if opts["storage"] is not None:
            # Where the files come from may be set in the catalog entry or, winning, in the override.
            storage = storage_plan.server_storage(key, _model_source(entry, override), opts["storage"], opts["target"])
        placement = storage_plan.pod_placement(
            {"node_selector": override.get("node_selector", opts["node_selector"]),
             "tolerations": override.get("tolerations", opts["tolerations"]),
             "affinity": override.get("affinity", opts["affinity"])},
            claim=(storage or {}).get("claim", ""),
            access_mode=(opts["storage"] or {}).get("access_mode", "ReadWriteOnce"),
            extra_tolerations=opts["gpu_tolerations"] if gpu > 0 else [],
            colocate=(storage or {}).get("colocate"))
    except storage_plan.StoragePlanError as exc:
        raise PlanError("server '%s' for model '%s': %s" % (name, key, exc)) from None
    return storage, placement


def _check_instance(instance, opts):
    problems = []
    if not _DNS_LABEL.match(instance["name"]):
        problems.append("the name must be a DNS label (set vllm_server_name_prefix or use a shorter catalog key)")
    if not _LABEL_VALUE.match(instance["key"]):
        problems.append("the catalog key must be a label value (letters, digits, '-._', at most 63)")
    if instance["gpu"] < 0 or instance["replicas"] < 1:
        problems.append("gpu must be >= 0 and replicas >= 1")
    if opts["expose"] and not instance["host"]:
        if opts["platform"] == "kubernetes":
            problems.append("exposed on Kubernetes a server needs a host: set vllm_server_ingress_domain or "
                            "vllm_server_hosts.%s" % instance["key"])
        elif len(instance["name"]) + len(opts["namespace"]) >= 63:
            problems.append("the router's generated host <name>-<namespace> must stay under 64 characters: "
                            "set vllm_server_hosts.%s" % instance["key"])
    if problems:
        raise PlanError("server '%s' for model '%s': %s" % (instance["name"], instance["key"], "; ".join(problems)))


def _applied_objects(result):
    """Every object in an apply result: ``owned_object``'s (``object``, ``results``, a looped register's
    ``results``) or ``kubernetes.core.k8s``'s (``result``, ``result.results``)."""
    if isinstance(result, list):
        return [obj for item in result for obj in _applied_objects(item)]
    if not isinstance(result, dict):
        return []
    if isinstance(result.get("kind"), str):
        return [result]
    return [obj for key in ("object", "result", "results") for obj in _applied_objects(result.get(key))]


def route_host(apply_result, name=None):
    """The host the router assigned to an applied Route (the one named ``name`` when given), else ''.

    ``apply_result``: what ``owned_object`` or ``kubernetes.core.k8s`` returned for a server's objects, or
    the register of a loop over several servers (then name the server's Route)."""
    for obj in _applied_objects(apply_result):
        if obj.get("kind") == "Route" and name in (None, (obj.get("metadata") or {}).get("name")):
            return (obj.get("spec") or {}).get("host", "")
    return ""


def server_url(instance, platform, namespace, expose=True, ingress_tls=False, assigned_host="", proxy_port=0):
    """The URL verify uses: the Route's https host, the Ingress host, or the in-cluster Service (its
    authenticating proxy's https port when ``proxy_port`` is given).

    ``assigned_host``: the host the router assigned, or the apply result that holds the server's Route
    (``route_host`` finds the Route named after the server in it)."""
    if isinstance(assigned_host, (dict, list)):
        assigned_host = route_host(assigned_host, instance["name"])
    if assigned_host:
        return "https://" + assigned_host
    if expose and platform == "kubernetes":
        return ("https://" if ingress_tls else "http://") + instance["host"]
    service = instance.get("service") or instance["name"]
    if proxy_port:
        return "https://%s.%s.svc:%d" % (service, namespace, int(proxy_port))
    port = int(instance.get("service_port") or instance["port"])
    return "http://%s.%s.svc%s" % (service, namespace, "" if port == 80 else ":%d" % port)


def rollout_state(deployment):
    """``rolled_out``, ``failed`` or ``progressing`` for a Deployment as the API returns it (or a
    ``k8s_info`` result holding it; no Deployment found is ``progressing``).

    Rolled out: the controller saw the latest spec and every replica is updated and available, with no
    pod of an older spec left. Failed: the controller gave up (Progressing=False after the progress
    deadline) or cannot create pods (ReplicaFailure, e.g. a quota).
    """
    deployment = deployment or {}
    if "resources" in deployment:
        deployment = (deployment["resources"] or [{}])[0]
    status = deployment.get("status")
    if not status:
        return "progressing"
    conditions = status.get("conditions") or []
    if any(c.get("type") == "Progressing" and c.get("status") == "False" for c in conditions) or \
            any(c.get("type") == "ReplicaFailure" and c.get("status") == "True" for c in conditions):
        return "failed"
    wanted = (deployment.get("spec") or {}).get("replicas", 1)
    generation = (deployment.get("metadata") or {}).get("generation", 1)
    if (status.get("observedGeneration", 0) >= generation and status.get("updatedReplicas", 0) >= wanted
            and status.get("availableReplicas", 0) >= wanted and status.get("replicas", 0) == wanted):
        return "rolled_out"
    return "progressing"


def _in_namespace(objects, namespace):
    return [o for o in objects if (o.get("metadata") or {}).get("namespace") == namespace]


def _describe(objects):
    return ["%s %s" % (o.get("kind"), (o.get("metadata") or {}).get("name")) for o in objects]


def cleanup_plan(objects, namespaces, keep_model_cache=True, delete_namespace=True, unlisted=None):
    """What a cleanup deletes, keeps and leaves alone, and per namespace whether it goes.

    ``objects``: every object listed in the namespaces, of every namespaced kind the API serves (metadata
    is enough; the ``namespace_inventory`` module lists them); ``namespaces``: ``{name: the Namespace object
    or None}``, or the looped ``k8s_info`` results of each namespace (``[{"item": name, "resources": [...]}]``);
    ``unlisted``: the kinds that could not be listed (``[{namespace, api_version, kind, reason}]``).

    Only objects labelled managed-by this collection are deleted, not those with an owner (the garbage
    collector takes them with their owner), controllers first. Unlabelled objects that the cluster puts
    into every namespace, or whose owner is listed, say nothing about who uses the namespace; any other
    unlabelled object is someone else's. A namespace goes only when the collection created it, nothing of
    anyone else is in it and every kind could be listed; by default the model cache claim stays, and with
    it the namespace.
    """
    if isinstance(namespaces, list):
        namespaces = {lookup["item"]: (lookup.get("resources") or [None])[0] for lookup in namespaces}
    objects = [o for o in objects or [] if isinstance(o, dict)]
    ours = [o for o in objects if is_ours(o)]
    others = [o for o in objects if not is_ours(o) and not is_automatic(o)
              and not follows_a_listed_owner(o, _in_namespace(objects, (o.get("metadata") or {}).get("namespace")))]
    kept = [o for o in ours if o.get("kind") == "PersistentVolumeClaim"] if keep_model_cache else []
    doomed = sorted((o for o in ours if not (o.get("metadata") or {}).get("ownerReferences") and o not in kept),
                    key=delete_rank)
    unlisted = [u for u in unlisted or [] if isinstance(u, dict)]
    verdicts = {}
    for name, namespace in namespaces.items():
        blind = sorted({"%s (%s)" % (u.get("kind"), u.get("api_version")) for u in unlisted
                        if u.get("namespace") in (name, None, "")})
        if not namespace:
            verdicts[name] = "it does not exist"
        elif not is_ours(namespace):
            verdicts[name] = "it was not created by this collection"
        elif not delete_namespace:
            verdicts[name] = "vllm_migration_cleanup_delete_namespace is false"
        elif _in_namespace(kept, name):
            verdicts[name] = "the model cache is kept (vllm_migration_cleanup_keep_model_cache)"
        elif _in_namespace(others, name):
            verdicts[name] = "it holds objects this collection did not create (listed above)"
        elif blind:
            verdicts[name] = ("these kinds could not be listed, so it may hold objects of others: %s"
                              % ", ".join(blind))
        else:
            verdicts[name] = ""
    return {
        "delete": doomed, "kept": kept, "others": others,
        "namespace_verdicts": verdicts,
        "delete_namespaces": sorted(name for name, why in verdicts.items() if not why),
        "summary": {"delete": _describe(doomed), "kept": _describe(kept), "others": _describe(others)},
    }

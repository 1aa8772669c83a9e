# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Model storage as plain functions: where the pods that read the model files may run, which volumes
a vLLM server mounts for its model, and what to do with an existing prefetch Job.

A model reaches a server in one of four ways:

- ``cache`` (default): the model-cache claim the ``model_cache`` role made (a Hugging Face cache the
  prefetch Job filled), mounted read-only; a ReadWriteOnce claim can be attached to one node only, so
  every pod that mounts it gets a required pod affinity to the others on ``kubernetes.io/hostname``;
- ``modelcar``: an OCI image holding the model files under ``/models`` runs as a native sidecar, and
  the server reads them through ``/proc/<pid>/root`` at ``/mnt/models`` (the way KServe in OpenShift
  AI serves ``oci://`` models);
- ``image_volume``: the same OCI image mounted as a Kubernetes image volume (the ImageVolume feature);
- ``claim``: a folder on an existing claim (``pvc://claim/path`` in KServe), mounted read-only at
  ``/mnt/models``; ``model_claim_pods`` (the labels of pods that mount it already, Caikit's predictor) adds a
  required pod affinity to them, as a ReadWriteOnce claim is attached to one node;
- ``data_connection``: a Caikit model folder in S3 behind an OpenShift AI data connection (its Secret's name and the
  prefix of the folder's artifacts): KServe's storage initializer downloads the artifacts to ``/mnt/models``
  (``storage: {key, path}``), or, on the Deployment target, an init container runs the module ``caikit_weights``
  with the Secret's values in its environment and copies the folder into an emptyDir that vLLM reads.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    DATA_CONNECTION_KEYS, DATA_CONNECTION_OPTIONAL_KEYS)

ACCESS_MODES = ("ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany", "ReadOnlyMany")
# Pods that mount the model-cache claim carry this label (value: the claim), so RWO affinity can find them.
CACHE_POD_LABEL = "vllm-migration/model-cache"
HOSTNAME_TOPOLOGY = "kubernetes.io/hostname"
MODEL_IMAGE_MODES = ("modelcar", "image_volume")
# Where a model from an image or another claim appears in the server (KServe's convention).
MODEL_DIR = "/mnt/models"
IMAGE_MOUNT = "/mnt/model-image"
MODELCAR_SHARE = "/mnt"
# HF_HOME in the server's writable cache volume, where a model not served from read-only files is downloaded.
WRITABLE_HF_HOME = "/cache/hf"
_LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([-._A-Za-z0-9]{0,61}[A-Za-z0-9])?$")
_SECRET_NAME = re.compile(r"^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$")
# The init container that copies a data connection's model folder, and the module it runs (in the image of
# vllm_server_model_copy_image: the collection's execution environment, with ansible-core, this collection, boto3).
COPY_CONTAINER = "model-copy"
COPY_MODULE = "vllm_pooling.migration.caikit_weights"
# ANSIBLE_CALLBACK_RESULT_FORMAT pins the result in the container's log to JSON (copied_weights reads it), whatever
# ansible.cfg the image or its working directory holds.
COPY_ENV = {"HOME": "/tmp", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
# The line before a result in Ansible's ad-hoc output (its minimal callback): "<host> | <STATE> => <result>".
_AD_HOC_RESULT = re.compile(r"^(?P<host>\S+) \| (?P<state>[A-Z]+!?)(?: \| rc=-?\d+)? => ?", re.M)
_AD_HOC_SUCCESS = ("CHANGED", "SUCCESS")
_WEIGHTS_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")

STORAGE_DEFAULTS = {
    "claim": "", "access_mode": "ReadWriteOnce", "mount_path": "/models", "hf_home": "/models/hf",
    "hf_offline": True, "model_image_mode": "modelcar", "model_image_path": "/models",
    "modelcar_resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
    # the init container that copies a data connection's model folder (Deployment target)
    "copy_image": "", "copy_pull_policy": "IfNotPresent",
    "copy_resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
    # a ConfigMap holding the CA bundle of an object store with a private certificate (key copy_ca_key)
    "copy_ca_configmap": "", "copy_ca_key": "ca-bundle.crt",
}
# Where the copy's init container finds that CA bundle.
COPY_CA_DIR = "/etc/vllm-migration/s3-ca"

RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


class StoragePlanError(ValueError):
    pass


class CopyLogError(ValueError):
    """The log of the init container that copies a model folder holds no digest of it; the message says why."""


def _label_value(text):
    text = str(text)
    return text if _LABEL_VALUE.match(text) else "h" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_access_mode(access_mode):
    if access_mode not in ACCESS_MODES:
        raise StoragePlanError("the model cache access mode must be one of %s, not %r" % (", ".join(ACCESS_MODES), access_mode))


def claim_access_mode(lookup, default="ReadWriteOnce"):
    """The access mode of an existing claim (a ``k8s_info`` result or the claim), else ``default``.
    A claim with several modes is treated by its most restrictive one among them that pods share."""
    claim = lookup
    if isinstance(lookup, dict) and "resources" in lookup:
        claim = (lookup.get("resources") or [None])[0]
    modes = ((claim or {}).get("spec") or {}).get("accessModes") or []
    for mode in ("ReadWriteMany", "ReadOnlyMany", "ReadWriteOnce", "ReadWriteOncePod"):
        if mode in modes:
            return mode
    return default


def needs_same_node(access_mode):
    """A ReadWriteOnce volume attaches to one node: every pod that mounts it must run there."""
    return access_mode == "ReadWriteOnce"


def pod_placement(placement=None, claim="", access_mode="ReadWriteOnce", extra_tolerations=None, colocate=None):
    """nodeSelector, tolerations, affinity and extra labels of a pod (a server or the prefetch Job).

    ``placement``: ``{node_selector, tolerations, affinity}`` (``vllm_migration_placement``), shared by the
    servers and the prefetch Job so that the Job binds and fills the volume where the servers run.
    ``claim``: the model-cache claim the pod mounts ('' for none); with a ReadWriteOnce claim the pod gets a
    required pod affinity on ``kubernetes.io/hostname`` to the other pods that mount it (the first one
    matches its own term, which the scheduler allows). ``extra_tolerations`` are appended (GPU taints).
    ``colocate``: labels of other pods this one must run beside (the pods that mount its model's ReadWriteOnce
    claim already: Caikit's predictor), a required pod affinity on ``kubernetes.io/hostname``.
    """
    placement = dict(placement or {})
    unknown = set(placement) - {"node_selector", "tolerations", "affinity"}
    if unknown:
        raise StoragePlanError("vllm_migration_placement: unknown keys %s (known: node_selector, tolerations, affinity)"
                               % ", ".join(sorted(unknown)))
    affinity = copy.deepcopy(placement.get("affinity") or {})
    labels = {}
    if claim:
        _check_access_mode(access_mode)
        labels[CACHE_POD_LABEL] = _label_value(claim)
        if needs_same_node(access_mode):
            term = {"labelSelector": {"matchLabels": dict(labels)}, "topologyKey": HOSTNAME_TOPOLOGY}
            required = affinity.setdefault("podAffinity", {}).setdefault("requiredDuringSchedulingIgnoredDuringExecution", [])
            if term not in required:
                required.append(term)
    if colocate:
        term = {"labelSelector": {"matchLabels": dict(colocate)}, "topologyKey": HOSTNAME_TOPOLOGY}
        required = affinity.setdefault("podAffinity", {}).setdefault("requiredDuringSchedulingIgnoredDuringExecution", [])
        if term not in required:
            required.append(term)
    tolerations = list(placement.get("tolerations") or [])
    tolerations += [t for t in extra_tolerations or [] if t not in tolerations]
    return {"node_selector": dict(placement.get("node_selector") or {}), "tolerations": tolerations,
            "affinity": affinity, "labels": labels}


# Catalog entry (or vllm_server_model_overrides) keys naming where a model's files come from.
SOURCE_KEYS = ("model_image", "model_image_mode", "model_image_path", "model_claim", "model_claim_path",
               "model_claim_pods", "model_data_connection", "model_data_connection_path")
# The keys that name where the files are, one per source.
FILE_SOURCES = (("model_image", "image"), ("model_claim", "claim"), ("model_data_connection", "data_connection"))


def prefetch_repos(entries):
    """The Hugging Face repositories the prefetch Job downloads: the resolved catalog entries' models,
    once each, except local paths and models served from an OCI image or another claim."""
    repos = []
    for entry in entries:
        model = str(entry.get("model") or "")
        if model and not model.startswith("/") and not any(entry.get(k) for k, source in FILE_SOURCES) \
                and model not in repos:
            repos.append(model)
    return repos


def _source(override):
    override = override or {}
    given = [(k, source) for k, source in FILE_SOURCES if override.get(k)]
    if len(given) > 1:
        raise StoragePlanError(
            "%s are %s set, but a model's files come from one place: keep one and remove the other%s from its catalog "
            "entry (vllm_migration_catalog) or vllm_server_model_overrides" % (
                " and ".join("%s (%s)" % (k, override[k]) for k, source in given), "all" if len(given) > 2 else "both",
                "s" if len(given) > 2 else ""))
    return given[0][1] if given else "cache"


def data_connection_folder(key, override):
    """The Caikit model folder a ``model_data_connection`` source names: ``secret`` (the data connection's Secret),
    ``path`` (``model_data_connection_path``: the S3 prefix of the folder's artifacts in the Secret's bucket),
    ``folder`` (the model folder's prefix), ``model_id`` (its name, the id Caikit serves) and ``artifacts`` (the
    name of the artifacts folder inside it). Raises StoragePlanError naming the model and the fix."""
    secret = str(override.get("model_data_connection") or "").strip()
    if not _SECRET_NAME.match(secret):
        raise StoragePlanError("model '%s': model_data_connection %r is not the name of a Secret: give the name of the data "
                               "connection's Secret (the storage.key of Caikit's InferenceService, e.g. "
                               "aws-connection-models), in the namespace vLLM runs in" % (key, secret))
    path = str(override.get("model_data_connection_path") or "").strip().strip("/")
    parts = path.split("/") if path else []
    if len(parts) < 2 or any(part in ("", ".", "..") for part in parts):
        raise StoragePlanError(
            "model '%s': model_data_connection_path %r (data connection %s) names no Caikit model folder: give the S3 prefix "
            "of the model folder's artifacts in the data connection's bucket, <storage path>/<Caikit model id>/artifacts "
            "(for example embeddings/all-minilm-l6-v2/artifacts; playbooks/discover.yml proposes it)" % (key, path, secret))
    return {"secret": secret, "path": path, "folder": "/".join(parts[:-1]), "model_id": parts[-2],
            "artifacts": parts[-1]}


def _colocate(key, override):
    """The labels of the pods a model's claim is mounted by already (``model_claim_pods``), checked."""
    labels = override.get("model_claim_pods")
    if not labels:
        return {}
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise StoragePlanError("model '%s': model_claim_pods must map label names to values, the labels of the pods "
                               "that mount claim %s already (Caikit's predictor: {serving.kserve.io/inferenceservice: "
                               "<its name>}), not %r" % (key, override.get("model_claim"), labels))
    if not override.get("model_claim"):
        raise StoragePlanError("model '%s': model_claim_pods is set without model_claim: it names the pods that mount "
                               "the model's claim; set model_claim or remove model_claim_pods" % key)
    return dict(labels)


CLAIM_SCHEME = "pvc://"


def claim_uri(claim, path=""):
    """``pvc://claim/path``, KServe's form of a folder on a claim."""
    path = str(path or "").strip("/")
    return "%s%s%s" % (CLAIM_SCHEME, claim, "/" + path if path else "")


def split_claim_uri(uri):
    """``(claim, path)`` of a ``pvc://claim/path`` URI (``claim_uri``'s inverse), None for another scheme."""
    uri = str(uri or "")
    if not uri.startswith(CLAIM_SCHEME):
        return None
    claim, path = (uri[len(CLAIM_SCHEME):].split("/", 1) + [""])[:2]
    return claim, path


def model_copy_command(folder, model_id, dest=MODEL_DIR, ca_path=""):
    """The init container's command: the module ``caikit_weights`` run ad hoc, copying the Caikit model folder
    ``folder`` (an S3 prefix of the data connection's bucket) into ``dest/<model id>``, the data connection's
    values read from the environment (``ca_path``: the CA bundle of the object store, when it is private)."""
    args = {"data_connection_env": True, "storage_path": folder, "models": [model_id], "dest": dest}
    if ca_path:
        args["s3_ca_path"] = ca_path
    return ["ansible", "localhost", "-m", COPY_MODULE, "-a", json.dumps(args, sort_keys=True)]


def copy_container(init_containers):
    """The init container that copies a data connection's model folder (COPY_CONTAINER) among ``init_containers``,
    with what it copies: ``{"container", "secret", "storage_path", "model_id"}``; None when there is none."""
    for container in init_containers or []:
        if not isinstance(container, dict) or container.get("name") != COPY_CONTAINER:
            continue
        command = list(container.get("command") or [])
        try:
            args = json.loads(command[command.index("-a") + 1])
        except (ValueError, IndexError, TypeError):
            args = {}
        refs = [((item.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name") for item in container.get("env") or []
                if isinstance(item, dict)]
        return {"container": container, "secret": next((ref for ref in refs if ref), ""),
                "storage_path": str(args.get("storage_path") or ""), "model_id": str((args.get("models") or [""])[0])}
    return None


def copied_weights(log, model_id):
    """The weights the init container copied, from its log: the result the module ``caikit_weights`` printed
    (Ansible's ad-hoc output, ``<host> | CHANGED => {...}``, JSON as COPY_ENV pins it) for the model folder
    ``model_id``. Returns ``{"digest": "sha256:...", "tensors": N, "model_id": ..., "uri": the s3:// prefix or ''}``;
    raises CopyLogError when the log holds no such result: a failed copy, a log cut short, a result of another
    model, or no digest (the weights could not be read: the module's ``weights_problem``)."""
    text = log or ""
    found = list(_AD_HOC_RESULT.finditer(text))
    if not found:
        raise CopyLogError("the log holds no result of the copy (no '<host> | CHANGED => ...' line): the copy did not "
                           "finish, or the log was cut short%s" % (": it ends with %r" % text.strip()[-200:] if text.strip()
                                                                   else ": it is empty"))
    header = found[-1]
    try:
        result = json.JSONDecoder().raw_decode(text, header.end())[0]
    except ValueError:
        raise CopyLogError("the copy's result in the log is not complete JSON (a log cut short, or an image whose Ansible "
                           "prints results in another format)") from None
    if not isinstance(result, dict):
        raise CopyLogError("the copy's result in the log is not a JSON object")
    if header.group("state") not in _AD_HOC_SUCCESS or result.get("failed"):
        raise CopyLogError("the copy failed (%s): %s" % (header.group("state"), result.get("msg") or "no message"))
    models = [m for m in result.get("models") or [] if isinstance(m, dict)]
    model = next((m for m in models if m.get("model_id") == model_id), None)
    if model is None:
        raise CopyLogError("the copy's result has no model folder %s (it lists %s)"
                           % (model_id, ", ".join(str(m.get("model_id")) for m in models) or "none"))
    if not model.get("digest"):
        raise CopyLogError("the copy could not digest the weights of %s: %s"
                           % (model_id, model.get("weights_problem") or "no digest and no reason"))
    if not _WEIGHTS_DIGEST.match(str(model["digest"])):
        raise CopyLogError("the copy's digest of %s is not a weights digest (sha256:<64 hex>): %r" % (model_id, model["digest"]))
    return {"digest": model["digest"], "tensors": model.get("tensors"), "model_id": model_id,
            "uri": str((model.get("source") or {}).get("uri") or "")}


def model_copy_env(secret):
    """The init container's environment: the data connection's values from its Secret (secretKeyRef: never in the
    manifest), and a writable HOME for Ansible."""
    env = [{"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": name}}} for name in DATA_CONNECTION_KEYS]
    env += [{"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": name, "optional": True}}}
            for name in DATA_CONNECTION_OPTIONAL_KEYS]
    return env + [{"name": name, "value": value} for name, value in sorted(COPY_ENV.items())]


def server_storage(key, override=None, settings=None, target="deployment"):
    """The volumes, mounts, sidecars and model path of one server (catalog ``key``, its
    ``vllm_server_model_overrides`` entry, the storage settings; see STORAGE_DEFAULTS).

    Returns ``source`` (``cache``, ``download``, ``modelcar``, ``image_volume``, ``claim``, ``data_connection``),
    ``model_path`` (vLLM's model argument; '' for the Hugging Face id), ``hf_home``, ``offline``, ``volumes``,
    ``mounts``, ``init_containers`` (run to completion before vLLM: the copy of a data connection's folder),
    ``sidecars`` (native sidecar init containers), ``share_process_namespace``, ``claim`` (the model-cache claim it
    mounts, for the placement) and ``colocate`` (labels of the pods its model's claim is mounted by already).

    ``target`` ``inferenceservice``: KServe mounts or downloads the files itself (``kserve_model``); the sources are
    checked, and no copy container is planned.
    """
    opts = dict(STORAGE_DEFAULTS, **{k: v for k, v in (settings or {}).items() if v is not None})
    override = override or {}
    try:
        source = _source(override)
    except StoragePlanError as exc:
        raise StoragePlanError("model '%s': %s" % (key, exc)) from None
    plan = {"source": source, "model_path": override.get("model_path") or "", "hf_home": WRITABLE_HF_HOME,
            "offline": False, "volumes": [], "mounts": [], "init_containers": [], "sidecars": [],
            "share_process_namespace": False, "claim": "", "colocate": {}}
    if source != "cache" and override.get("model_path"):
        raise StoragePlanError("model '%s': model_path is a path in the model cache; with model_image, model_claim or "
                               "model_data_connection the model is at %s" % (key, MODEL_DIR))
    if override.get("model_claim_pods") and source != "claim":
        _colocate(key, override)
    if source == "cache":
        if not opts["claim"]:
            plan["source"] = "download"
            return plan
        _check_access_mode(opts["access_mode"])
        plan.update(claim=opts["claim"], hf_home=opts["hf_home"], offline=bool(opts["hf_offline"]))
        # Servers only read the cache: a read-only mount keeps a server from changing what the others load.
        plan["volumes"].append({"name": "model-cache",
                                "persistentVolumeClaim": {"claimName": opts["claim"], "readOnly": True}})
        plan["mounts"].append({"name": "model-cache", "mountPath": opts["mount_path"], "readOnly": True})
        return plan
    plan["offline"] = True
    if source == "data_connection":
        return _data_connection_storage(key, override, opts, plan, target)
    if source == "claim":
        files = {"claim": str(override["model_claim"]), "path": str(override.get("model_claim_path") or "").strip("/")}
        plan.update(source="claim", model_path=MODEL_DIR, colocate=_colocate(key, override), files_claim=files)
        plan["volumes"].append({"name": "model-files",
                                "persistentVolumeClaim": {"claimName": files["claim"], "readOnly": True}})
        mount = {"name": "model-files", "mountPath": MODEL_DIR, "readOnly": True}
        if files["path"]:
            mount["subPath"] = files["path"]
        plan["mounts"].append(mount)
        return plan
    mode = override.get("model_image_mode") or opts["model_image_mode"]
    if mode not in MODEL_IMAGE_MODES:
        raise StoragePlanError("model '%s': model_image_mode must be one of %s, not %r" % (key, ", ".join(MODEL_IMAGE_MODES), mode))
    image = str(override["model_image"])
    inside = "/" + str(override.get("model_image_path") or opts["model_image_path"]).strip("/")
    if mode == "image_volume":
        plan.update(source="image_volume", model_path=IMAGE_MOUNT + inside)
        plan["volumes"].append({"name": "model-image", "image": {"reference": image, "pullPolicy": "IfNotPresent"}})
        plan["mounts"].append({"name": "model-image", "mountPath": IMAGE_MOUNT, "readOnly": True})
        return plan
    # modelcar: the image runs beside vLLM and stays up; with one process namespace the server reaches
    # its files through /proc/<pid>/root. As a native sidecar (an init container that keeps running) it
    # starts first, and its startup probe holds vLLM back until the link resolves.
    link = MODELCAR_SHARE + "/models"
    plan.update(source="modelcar", model_path=link, share_process_namespace=True)
    plan["volumes"].append({"name": "modelcar", "emptyDir": {}})
    plan["mounts"].append({"name": "modelcar", "mountPath": MODELCAR_SHARE})
    plan["sidecars"].append({
        "name": "modelcar", "image": image, "imagePullPolicy": "IfNotPresent", "restartPolicy": "Always",
        "command": ["sh", "-c", "ln -sfn /proc/$$/root%s %s && exec sleep infinity" % (inside, link)],
        "startupProbe": {"exec": {"command": ["sh", "-c", "test -e %s/" % link]},
                         "periodSeconds": 2, "failureThreshold": 150},
        "resources": copy.deepcopy(opts["modelcar_resources"]),
        "securityContext": copy.deepcopy(RESTRICTED_CONTAINER),
        "volumeMounts": [{"name": "modelcar", "mountPath": MODELCAR_SHARE}],
    })
    return plan


def _data_connection_storage(key, override, opts, plan, target):
    """A data connection's Caikit model folder, copied by an init container into an emptyDir at /mnt/models."""
    found = data_connection_folder(key, override)
    plan.update(source="data_connection", model_path="%s/%s/%s" % (MODEL_DIR, found["model_id"], found["artifacts"]))
    if target == "inferenceservice":
        return plan
    if not opts["copy_image"]:
        raise StoragePlanError(
            "model '%s': its files come from the data connection %s (s3 prefix %s), which an init container copies into "
            "the pod before vLLM starts, and that needs an image with ansible-core, this collection and boto3: set "
            "vllm_migration_model_copy_image (vllm_server_model_copy_image) to the collection's execution-environment "
            "image (docs/execution-environment.md), or use vllm_server_target: inferenceservice, where KServe's storage "
            "initializer downloads them" % (key, found["secret"], found["path"]))
    plan["volumes"].append({"name": "model-files", "emptyDir": {}})
    plan["mounts"].append({"name": "model-files", "mountPath": MODEL_DIR, "readOnly": True})
    copy_mounts, ca_path = [{"name": "model-files", "mountPath": MODEL_DIR}], ""
    if opts["copy_ca_configmap"]:
        ca_key = str(opts["copy_ca_key"])
        ca_path = "%s/%s" % (COPY_CA_DIR, ca_key)
        plan["volumes"].append({"name": "model-copy-ca", "configMap": {"name": str(opts["copy_ca_configmap"]),
                                                                       "items": [{"key": ca_key, "path": ca_key}]}})
        copy_mounts.append({"name": "model-copy-ca", "mountPath": COPY_CA_DIR, "readOnly": True})
    plan["init_containers"].append({
        "name": COPY_CONTAINER, "image": str(opts["copy_image"]), "imagePullPolicy": opts["copy_pull_policy"],
        "command": model_copy_command(found["folder"], found["model_id"], ca_path=ca_path),
        "env": model_copy_env(found["secret"]),
        "resources": copy.deepcopy(opts["copy_resources"]),
        "securityContext": copy.deepcopy(RESTRICTED_CONTAINER),
        "volumeMounts": copy_mounts,
    })
    return plan


def kserve_model(key, model, override=None, settings=None):
    """Where the vLLM InferenceService of catalog ``key`` finds its model, as KServe mounts it: ``uri`` (the
    predictor's ``storageUri``, '' when vLLM downloads the model itself), ``storage`` (the predictor's
    ``storage: {key, path}`` for a data connection, else None), ``model`` (vLLM's ``--model``), ``hf_home`` and
    ``offline``.

    KServe mounts a ``pvc://claim/path`` folder read-only at /mnt/models and serves an ``oci://`` image's
    /models there (modelcar). The model cache is a Hugging Face cache: its HF_HOME folder becomes /mnt/models
    and vLLM finds ``model`` (the repository id) in it offline.
    """
    opts = dict(STORAGE_DEFAULTS, **{k: v for k, v in (settings or {}).items() if v is not None})
    override = override or {}
    try:
        source = _source(override)
        if source == "data_connection":
            # KServe's storage initializer downloads the artifacts under the prefix to /mnt/models.
            found = data_connection_folder(key, override)
            return {"uri": "", "storage": {"key": found["secret"], "path": found["path"]}, "model": MODEL_DIR,
                    "hf_home": WRITABLE_HF_HOME, "offline": True}
        if source == "claim":
            return {"uri": claim_uri(override["model_claim"], override.get("model_claim_path")), "model": MODEL_DIR,
                    "hf_home": WRITABLE_HF_HOME, "offline": True}
        if source == "image":
            inside = "/" + str(override.get("model_image_path") or opts["model_image_path"]).strip("/")
            if inside != "/models":
                raise StoragePlanError("KServe serves an oci:// model from /models in the image, not from %s: "
                                       "copy the files there or use vllm_server_target: deployment" % inside)
            image = str(override["model_image"])
            return {"uri": image if image.startswith("oci://") else "oci://" + image, "model": MODEL_DIR,
                    "hf_home": WRITABLE_HF_HOME, "offline": True}
        if not opts["claim"]:
            return {"uri": "", "model": override.get("model_path") or model, "hf_home": WRITABLE_HF_HOME, "offline": False}
        mount = "/" + str(opts["mount_path"]).strip("/")
        hf_home = "/" + str(opts["hf_home"]).strip("/")
        if not (hf_home + "/").startswith(mount + "/"):
            raise StoragePlanError("the model cache's HF_HOME %s is not inside its mount path %s" % (hf_home, mount))
        inner = hf_home[len(mount):].strip("/")
        path = override.get("model_path") or model
        if str(path).startswith("/"):
            if not (str(path) + "/").startswith(hf_home + "/"):
                raise StoragePlanError("model_path %s is outside the model cache's HF_HOME %s, the folder KServe "
                                       "mounts at %s" % (path, hf_home, MODEL_DIR))
            path = MODEL_DIR + str(path)[len(hf_home):]
        return {"uri": claim_uri(opts["claim"], inner), "model": path,
                "hf_home": MODEL_DIR, "offline": bool(opts["hf_offline"])}
    except StoragePlanError as exc:
        raise StoragePlanError("model '%s': %s" % (key, exc)) from None


def check_claim_users(instances, access_mode):
    """Refuse what a claim's access mode cannot serve: a ReadWriteOncePod claim mounted by more than one pod."""
    users = [i for i in instances if (i.get("storage") or {}).get("claim")]
    pods = sum(int(i.get("replicas") or 1) for i in users)
    if access_mode == "ReadWriteOncePod" and pods > 1:
        raise StoragePlanError(
            "the model cache claim is ReadWriteOncePod, which one pod at a time may mount, but %d server pods "
            "(%s) mount it: use ReadWriteMany (or ReadWriteOnce: the servers then share one node), or serial mode"
            % (pods, ", ".join(i["key"] for i in users)))


# --- the prefetch Job ------------------------------------------------------------------------------

def name_by_template(job, prefix):
    """``job`` named ``<prefix>-<hash of its pod template>``: a Job's template is immutable, so a changed
    image, model list, placement or CA bundle makes a new Job instead of a rejected update."""
    job = copy.deepcopy(job)
    template = (job.get("spec") or {}).get("template") or {}
    digest = hashlib.sha256(json.dumps(template, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:8]
    name = "%s-%s" % (str(prefix)[:54].rstrip("-."), digest)
    job.setdefault("metadata", {})["name"] = name
    return job


def _condition(job, kind):
    return any(c.get("type") == kind and c.get("status") == "True"
               for c in ((job.get("status") or {}).get("conditions") or []))


def prefetch_job_action(lookup, managed_labels=None):
    """What to do with the prefetch Job of this name: ``action`` ``create`` (none yet), ``keep`` (running or
    complete), ``replace`` (it failed: delete it, then create it again) or ``foreign`` (a Job of that
    name that this collection did not create: never touched); its ``state`` (``none``, ``running``,
    ``complete``, ``failed``, ``foreign``) and the ``reason``. ``lookup``: the ``k8s_info`` result."""
    jobs = ((lookup.get("resources") or []) if isinstance(lookup, dict) else list(lookup or []))
    if not jobs:
        return {"action": "create", "state": "none", "reason": "no Job of this name yet"}
    job = jobs[0]
    labels = (job.get("metadata") or {}).get("labels") or {}
    if managed_labels and any(labels.get(k) != v for k, v in managed_labels.items()):
        name = (job.get("metadata") or {}).get("name")
        return {"action": "foreign", "state": "foreign",
                "reason": "Job %s exists and was not created by this collection: delete or rename it" % name}
    if _condition(job, "Failed"):
        status = job.get("status") or {}
        reasons = [c.get("reason") for c in status.get("conditions") or [] if c.get("type") == "Failed"]
        why = ", ".join(r for r in reasons if r) or "Failed"
        return {"action": "replace", "state": "failed",
                "reason": "the previous run of this Job failed (%s, %s failed pod(s)): it is replaced"
                          % (why, status.get("failed", "?"))}
    if _condition(job, "Complete") or (job.get("status") or {}).get("succeeded"):
        return {"action": "keep", "state": "complete", "reason": "the Job completed: the models are in the cache"}
    return {"action": "keep", "state": "running", "reason": "the Job is still running"}

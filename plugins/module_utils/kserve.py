# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Caikit on OpenShift AI / Open Data Hub as KServe serves it, read from plain dicts.

- ``describe_inference_service``: an InferenceService (and its ServingRuntime) as the facts a migration needs;
  ``is_caikit`` decides whether it is Caikit at all.
- ``read_model_info``: the answer of the runtime's ``GET /info/models`` as model ids and kinds.
- ``data_connection_problems``: what a data-connection Secret lacks (key names only, never values).
- ``model_files``: where vLLM on the cluster finds the very files Caikit serves for one model (a claim's folder, or a
  data connection's S3 prefix), as catalog source keys (storage_plan.SOURCE_KEYS).
- ``discover``: the whole proposal (catalog additions, references, a table) from what the module listed,
  with a callable that asks a runtime ``/info/models``; ``fragment`` turns it into inventory variables.

Nothing here talks to a cluster or a server: the module ``caikit_discovery`` does, and hands the dicts in.
No token value is ever read or returned: a reference that needs one gets an expression naming where it comes from.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_client import in_cluster_url
from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_client import MODELS_PATH
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import merge_catalog
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    DATA_CONNECTION_KEYS, DEPLOYMENT_MODE_ANNOTATION, VISIBILITY_LABEL)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.storage_plan import MODEL_DIR, claim_uri, split_claim_uri

SERVING_RUNTIME_API = "serving.kserve.io/v1alpha1"
AUTH_ANNOTATION = "security.opendatahub.io/enable-auth"
CAIKIT_FORMAT = "caikit"
# KServe labels an InferenceService's predictor pods with its name.
ISVC_POD_LABEL = "serving.kserve.io/inferenceservice"
# caikit_nlp's bootstrap saves the Hugging Face files in this folder of a Caikit model folder (config.yml's artifacts_path).
ARTIFACTS = "artifacts"

# caikit-nlp's module ids (the @module decorator of EmbeddingModule and CrossEncoderModule).
EMBEDDING_MODULE_ID = "eeb12558-b4fa-4f34-a9fd-3f5890e9cd3f"
CROSS_ENCODER_MODULE_ID = "1673f8f2-726f-48cb-93a1-540c81f0f3c9"
MODULE_KINDS = {EMBEDDING_MODULE_ID: "embedding", CROSS_ENCODER_MODULE_ID: "reranker"}

DEFAULT_TOKEN_ENV = "CAIKIT_TOKEN"


class DiscoveryError(ValueError):
    """Input that cannot be read; the message names the object and the fix."""


def _get(obj, *path):
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def namespace_names(values):
    """The namespaces to search, blanks dropped and names trimmed: an AWX survey's "rag-prod, team-b" is split on the
    comma by Ansible with the space kept."""
    return [name.strip() for name in values or [] if name and name.strip()]


def object_ref(obj, kind=None):
    """``InferenceService team/name``: how every message names an object."""
    metadata = (obj or {}).get("metadata") or {}
    return "%s %s/%s" % (kind or (obj or {}).get("kind") or "object", metadata.get("namespace", "?"),
                         metadata.get("name", "?"))


def _runtime_text(runtime):
    """The runtime's name, container images and arguments, lowercased: what identifies a Caikit runtime."""
    if not runtime:
        return ""
    parts = [str(_get(runtime, "metadata", "name") or "")]
    for container in _get(runtime, "spec", "containers") or []:
        parts.append(str(container.get("image") or ""))
        parts.extend(str(a) for a in (container.get("command") or []) + (container.get("args") or []))
    return " ".join(parts).lower()


def runtime_flavor(runtime, runtime_name=""):
    """``caikit-standalone``, ``caikit-tgis`` or ``""`` (not recognisably Caikit) from a ServingRuntime."""
    text = _runtime_text(runtime) or str(runtime_name or "").lower()
    if "caikit" not in text:
        return ""
    return "caikit-tgis" if "tgis" in text else "caikit-standalone"


def is_caikit(isvc, runtime=None):
    """Whether an InferenceService is served by Caikit: model format ``caikit``, or a runtime that says so."""
    model_format = str(_get(isvc, "spec", "predictor", "model", "modelFormat", "name") or "").lower()
    if model_format:
        return model_format == CAIKIT_FORMAT
    if runtime is None:
        return bool(runtime_flavor(None, _get(isvc, "spec", "predictor", "model", "runtime")))
    formats = [str(f.get("name", "")).lower() for f in _get(runtime, "spec", "supportedModelFormats") or []
               if isinstance(f, dict)]
    return CAIKIT_FORMAT in formats or bool(runtime_flavor(runtime))


def _ready(isvc):
    for condition in _get(isvc, "status", "conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == "Ready":
            reason = " ".join(str(condition.get(k)) for k in ("reason", "message") if condition.get(k))
            return str(condition.get("status")) == "True", reason
    return False, "no Ready condition in its status yet"


def _storage(isvc):
    model = _get(isvc, "spec", "predictor", "model") or {}
    uri = model.get("storageUri") or ""
    key = _get(model, "storage", "key") or ""
    path = _get(model, "storage", "path") or ""
    scheme = uri.split("://", 1)[0] if "://" in uri else ("s3" if key else "")
    where = uri or ("s3 (data connection %s)%s" % (key, ", path " + path if path else "") if key else "")
    return {"uri": uri, "key": key, "path": path, "scheme": scheme, "data_connection": key or None,
            "service_account": _get(isvc, "spec", "predictor", "serviceAccountName") or None, "where": where}


def describe_inference_service(isvc, runtime=None):
    """The facts of one InferenceService (and its ServingRuntime) a migration needs, as a plain dict."""
    if not isinstance(isvc, dict) or not _get(isvc, "metadata", "name"):
        raise DiscoveryError("an InferenceService without metadata.name cannot be read: pass the objects the API "
                             "returned (kubernetes.core's k8s_info or the caikit_discovery module)")
    metadata = isvc["metadata"]
    annotations = metadata.get("annotations") or {}
    labels = metadata.get("labels") or {}
    model = _get(isvc, "spec", "predictor", "model") or {}
    ready, reason = _ready(isvc)
    urls = {"url": _get(isvc, "status", "url"), "address": _get(isvc, "status", "address", "url"),
            "predictor": _get(isvc, "status", "components", "predictor", "url")}
    return {
        "name": metadata["name"],
        "namespace": metadata.get("namespace", ""),
        "ref": object_ref(isvc, "InferenceService"),
        "caikit": is_caikit(isvc, runtime),
        "runtime": model.get("runtime") or "",
        "runtime_found": runtime is not None,
        "runtime_flavor": runtime_flavor(runtime, model.get("runtime")),
        "model_format": _get(model, "modelFormat", "name") or "",
        "deployment_mode": annotations.get(DEPLOYMENT_MODE_ANNOTATION) or "cluster default",
        "urls": {k: v for k, v in urls.items() if v},
        "storage": _storage(isvc),
        "auth": str(annotations.get(AUTH_ANNOTATION, "")).lower() == "true",
        "exposed": labels.get(VISIBILITY_LABEL) == "exposed",
        "resources": copy.deepcopy(model.get("resources") or {}),
        "ready": ready,
        "ready_reason": reason,
    }


def choose_url(description, override=None):
    """``(url, path)``: the URL to ask and how it is reached (``override``, ``external``, ``in_cluster``).

    An override (for example a ``oc port-forward``) wins; then a URL the cluster does not keep to itself; then
    the in-cluster one, which only a controller inside the cluster can reach. Raises DiscoveryError without any.
    """
    if override:
        return override.rstrip("/"), "override"
    urls = description["urls"]
    candidates = [urls.get(k) for k in ("url", "predictor", "address") if urls.get(k)]
    for url in candidates:
        if not in_cluster_url(url):
            return url.rstrip("/"), "external"
    if candidates:
        return candidates[0].rstrip("/"), "in_cluster"
    state = "it is Ready" if description["ready"] else "it is not Ready (%s)" % description["ready_reason"]
    raise DiscoveryError(
        "%s has no URL in its status (status.url, status.address.url, status.components.predictor.url); %s. "
        "Wait until KServe reports it Ready (oc get inferenceservice %s -n %s), or give its URL in the "
        "caikit_discovery option urls (%s/%s: http://...; vllm_migration_discover_urls in playbooks/discover.yml)" % (
            description["ref"], state, description["name"], description["namespace"], description["namespace"],
            description["name"]))


def unreachable_hint(description, url_path):
    """What to do when the runtime at the chosen URL does not answer."""
    key = "%s/%s" % (description["namespace"], description["name"])
    if url_path == "in_cluster":
        return ("its only URL is inside the cluster (it is not exposed: no label %s=exposed). Run the discovery "
                "from a pod in the cluster, or forward a port (oc port-forward -n %s svc/%s-predictor 8080:80) and "
                "pass urls: {%s: http://127.0.0.1:8080} (vllm_migration_discover_urls in playbooks/discover.yml)"
                % (VISIBILITY_LABEL, description["namespace"], description["name"], key))
    if description["auth"]:
        return ("it has %s=true: pass a Kubernetes token that may get this InferenceService in the option token "
                "or $CAIKIT_TOKEN (for example oc create token <serviceaccount> -n %s)"
                % (AUTH_ANNOTATION, description["namespace"]))
    return "check that the predictor pod runs (oc get pods -n %s) and that the URL is reachable from here" % (
        description["namespace"])


def module_kind(entry):
    """``embedding``, ``reranker`` or None for one ``/info/models`` entry (by module id, else by module name)."""
    module_id = str(entry.get("module_id") or "")
    if module_id in MODULE_KINDS:
        return MODULE_KINDS[module_id]
    text = " ".join(str(v) for v in (entry.get("module_metadata") or {}).values()).lower()
    if "crossencoder" in text or "cross_encoder" in text or "cross-encoder" in text:
        return "reranker"
    if "embedding" in text:
        return "embedding"
    return None


def _int_or_none(value):
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def read_model_info(body, where):
    """The models of a ``GET /info/models`` answer: ``[{model_id, kind, module, max_tokens, loaded, path}]``.

    ``where`` names the runtime in messages. An answer that is not Caikit's, or lists no model, raises.
    """
    models = body.get("models") if isinstance(body, dict) else None
    if not isinstance(models, list):
        raise DiscoveryError("%s: the answer to GET %s has no list 'models'; this is not a Caikit runtime's "
                             "REST port (expect port 8080 of caikit-standalone)" % (where, MODELS_PATH))
    if not models:
        raise DiscoveryError(
            "%s: GET %s lists no model: the runtime loaded nothing from /mnt/models. Check that the storage path "
            "holds one folder per model in Caikit's format (config.yml and artifacts/) and read the predictor's "
            "log (oc logs -c kserve-container)" % (where, MODELS_PATH))
    found = []
    for entry in models:
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        metadata = entry.get("module_metadata") or {}
        found.append({
            "model_id": str(entry["name"]),
            "kind": module_kind(entry),
            "module": str(metadata.get("name") or metadata.get("module_class") or entry.get("module_id") or ""),
            "max_tokens": _int_or_none((entry.get("metadata") or {}).get("max_seq_length")),
            "loaded": entry.get("loaded", True) is not False,
            "path": entry.get("model_path") or "",
        })
    if not found:
        raise DiscoveryError("%s: GET %s lists entries without a name; the runtime's answer is not readable"
                             % (where, MODELS_PATH))
    return found


def data_connection_problems(secret, name, isvc_ref):
    """What keeps a data-connection Secret from serving KServe's storage initializer, as messages (empty: fine).

    Only the key names are read. ``secret`` None means it does not exist.
    """
    if secret is None:
        return ["%s names the data connection %s (spec.predictor.model.storage.key), but no Secret %s exists in its "
                "namespace: create it in OpenShift AI (Data connections) or fix storage.key" % (isvc_ref, name, name)]
    keys = set((secret.get("data") or {}).keys()) | set((secret.get("stringData") or {}).keys())
    missing = [k for k in DATA_CONNECTION_KEYS if k not in keys]
    if missing:
        return ["data connection Secret %s of %s lacks %s: add them (oc edit secret %s), or recreate the data "
                "connection in OpenShift AI" % (name, isvc_ref, ", ".join(missing), name)]
    return []


def _normal(text):
    text = str(text or "").lower().rsplit("/", 1)[-1]
    text = re.sub(r"[-_]caikit$", "", text)
    return re.sub(r"[^a-z0-9]", "", text)


def catalog_match(model_id, kind, catalog):
    """The catalog key whose Caikit id, key or model name matches ``model_id`` (same kind), or None."""
    wanted = _normal(model_id)
    for key in sorted(catalog):
        entry = catalog[key] or {}
        if entry.get("kind") not in (None, kind):
            continue
        names = {_normal(key), _normal(entry.get("model")), _normal(entry.get("caikit_model_id"))}
        if wanted and wanted in names:
            return key
    return None


def new_key(model_id, taken):
    """A catalog key for a model the catalog does not know: its id in lowercase with underscores, made unique."""
    base = re.sub(r"[^a-z0-9]+", "_", str(model_id).lower()).strip("_") or "model"
    if base[0].isdigit():
        base = "m_" + base
    key, n = base, 2
    while key in taken:
        key, n = "%s_%d" % (base, n), n + 1
    return key


def internal_url(description):
    """The runtime's in-cluster URL (the predictor's, else the address), for the benchmark Job; '' without one."""
    urls = description["urls"]
    return next((u.rstrip("/") for u in (urls.get("predictor"), urls.get("address")) if u and in_cluster_url(u)), "")


def model_folder(storage_path, model):
    """The path of ``model``'s Caikit folder inside its storage location (``storage_path``: the claim's or bucket's
    path KServe mounts at /mnt/models). The runtime loads every model folder under /mnt/models; ``model['path']``
    (``model_path`` of ``/info/models``) says where it found this one: /mnt/models itself means the storage path is the
    model folder. Without it, a storage path named like the model is taken for the model folder (as
    caikit_storage.CaikitStorage.list_models names such a folder), else the model id is the folder under it."""
    storage_path = str(storage_path or "").strip("/")
    loaded = str(model.get("path") or "").rstrip("/")
    if loaded == MODEL_DIR or loaded.startswith(MODEL_DIR + "/"):
        inside = loaded[len(MODEL_DIR):].strip("/")
    elif storage_path and storage_path.rsplit("/", 1)[-1] == model["model_id"]:
        inside = ""
    else:
        inside = model["model_id"]
    return "/".join(part for part in (storage_path, inside) if part)


# What a claim's access mode means for a second pod (vLLM's, the check Job's) that mounts it beside Caikit's.
SHARED_ACCESS_MODES = ("ReadWriteMany", "ReadOnlyMany")


def model_files(service, model, secrets=None, server_namespace=None, claims=None):
    """``(source, notes)``: the catalog source keys (storage_plan.SOURCE_KEYS) with which vLLM on the cluster serves
    the very files Caikit serves for ``model`` (a ``read_model_info`` entry) of ``service`` (``describe_inference_service``),
    and what to review. ``source`` is empty, with the reason in ``notes``, where they cannot be served:

    - ``pvc://claim/path``: ``model_claim``, ``model_claim_path`` (``<path>/<model id>/artifacts``) and
      ``model_claim_pods`` (Caikit's predictor pods: a ReadWriteOnce claim is attached to their node);
    - S3 through a data connection (``storage.key`` + ``storage.path``): ``model_data_connection`` (the Secret) and
      ``model_data_connection_path`` (the artifacts' prefix in its bucket). Not a ``storageUri`` (its bucket may not
      be the Secret's; without ``storage.key`` KServe takes the keys from the ServiceAccount), nor a Secret known
      to lack keys (``secrets``, as for ``discover``).

    A claim or Secret is mounted only by pods of its namespace: with ``server_namespace`` (where vLLM runs) another
    namespace's storage is not proposed, and the note says how to serve it.

    ``claims``: ``{(namespace, name): access mode (storage_plan.claim_access_mode), or None when the claim does not
    exist}`` (a claim absent: not read). A ReadWriteMany or ReadOnlyMany claim needs no ``model_claim_pods``; a
    ReadWriteOncePod claim cannot be mounted by a second pod, nor can a claim that does not exist: neither is proposed.
    """
    storage, ref, model_id = service["storage"], service["ref"], model["model_id"]
    if storage["scheme"] not in ("pvc", "s3"):
        return {}, []
    if storage["scheme"] == "pvc":
        claim, path = split_claim_uri(storage["uri"])
        what = "claim %s" % claim
    else:
        claim, path = "", storage["path"]
        what = "data connection %s" % storage["data_connection"]
        if not storage["data_connection"]:
            return {}, ["%s: model %s is in %s with no data connection (storage.key): KServe takes its keys from the "
                        "predictor's ServiceAccount, which vLLM's pods do not share; vLLM loads its catalog model instead"
                        % (ref, model_id, storage["uri"])]
        if storage["uri"]:
            connection = storage["data_connection"]
            return {}, ["%s: model %s is in %s (storageUri) with data connection %s, whose bucket may differ: write "
                        "model_data_connection: %s and model_data_connection_path: <prefix>/%s/%s into its catalog entry "
                        "if the bucket is the data connection's"
                        % (ref, model_id, storage["uri"], connection, connection, model_id, ARTIFACTS)]
        secret_key = (service["namespace"], storage["data_connection"])
        if secret_key in (secrets or {}) and data_connection_problems(secrets[secret_key], storage["data_connection"], ref):
            return {}, ["%s: model %s's files are in the data connection %s, whose Secret is missing or lacks keys (see "
                        "the problems): fix it and discover again to have vLLM serve Caikit's own files"
                        % (ref, model_id, storage["data_connection"])]
    folder = model_folder(path, model)
    if server_namespace and server_namespace != service["namespace"]:
        return {}, ["%s: model %s's files are on %s in namespace %s, and vLLM runs in %s, where a pod cannot mount them: "
                    "to serve Caikit's own files run vLLM in %s (vllm_migration_namespace) and discover again; until then "
                    "vLLM loads its catalog model" % (ref, model_id, what, service["namespace"], server_namespace,
                                                      service["namespace"])]
    artifacts = "/".join(part for part in (folder, ARTIFACTS) if part)
    if claim:
        return _claim_files(ref, model_id, claim, artifacts, service, claims)
    if not folder:
        return {}, ["%s: model %s's folder is the top of the data connection %s's bucket: a model folder needs a prefix "
                    "of its own (<storage path>/%s) to be copied; vLLM loads its catalog model instead"
                    % (ref, model_id, storage["data_connection"], model_id)]
    return ({"model_data_connection": storage["data_connection"], "model_data_connection_path": artifacts},
            ["%s: vLLM serves model %s from Caikit's S3 folder %s (data connection %s): on vllm_server_target "
             "deployment an init container copies it, set vllm_migration_model_copy_image to the collection's "
             "execution-environment image" % (ref, model_id, artifacts, storage["data_connection"])])


def _claim_files(ref, model_id, claim, artifacts, service, claims):
    """``model_files``' answer for Caikit's folder ``artifacts`` on ``claim``, by the claim's access mode."""
    key = (service["namespace"], claim)
    known = claims is not None and key in claims
    mode = claims.get(key) if known else None
    if known and mode is None:
        return {}, ["%s: model %s's claim %s does not exist in namespace %s (the InferenceService's storageUri names it): "
                    "vLLM loads its catalog model instead; fix the storageUri or the claim, and discover again"
                    % (ref, model_id, claim, service["namespace"])]
    if mode == "ReadWriteOncePod":
        return {}, ["%s: model %s's claim %s is ReadWriteOncePod: no pod but Caikit's may mount it, so vLLM cannot serve "
                    "Caikit's folder %s from it; copy the folder to a claim of another access mode (or S3, a data "
                    "connection) and point model_claim at it; until then vLLM loads its catalog model"
                    % (ref, model_id, claim, artifacts)]
    source = {"model_claim": claim, "model_claim_path": artifacts}
    if mode in SHARED_ACCESS_MODES:
        return source, ["%s: vLLM serves model %s from Caikit's folder %s on claim %s (%s: mounted on any node)"
                        % (ref, model_id, artifacts, claim, mode)]
    source["model_claim_pods"] = {ISVC_POD_LABEL: service["name"]}
    why = "a ReadWriteOnce claim is attached to one node" if known else (
        "the claim's access mode was not read (get on persistentvolumeclaims), so it is taken for ReadWriteOnce, attached "
        "to one node")
    return source, ["%s: vLLM serves model %s from Caikit's folder %s on claim %s, on the node of Caikit's predictor pods "
                    "(model_claim_pods: %s); after retiring Caikit remove model_claim_pods (its pods gone, a "
                    "rescheduled vLLM pod would wait for them)" % (ref, model_id, artifacts, claim, why)]


def claim_reference(source):
    """Where a reference's Caikit folder is when vLLM serves it from Caikit's claim (``source``: ``model_files``' keys):
    ``weights_claim`` (``{"claim", "path", "pods"}``: the claim, the Caikit model folder on it, the labels of the pods it
    is attached beside), which the check Job mounts read-only to digest it, and ``weights_source``."""
    folder = str(source["model_claim_path"]).strip("/")
    if folder == ARTIFACTS or folder.endswith("/" + ARTIFACTS):
        folder = folder[:-len(ARTIFACTS)].rstrip("/")
    return {"weights_claim": {"claim": source["model_claim"], "path": folder, "pods": dict(source.get("model_claim_pods") or {})},
            "weights_source": claim_uri(source["model_claim"], folder)}


def _token_words(token):
    """How a reference gets its token, in words: ``token`` is the environment variable's name, or an ``api_key_from``
    spec (the token read from the cluster when the checks run)."""
    if isinstance(token, dict):
        return "read from the cluster (api_key_from %s)" % ", ".join("%s: %s" % item for item in sorted(token.items()))
    return "from $%s" % token


def _reference(model, description, url, token):
    reference = {"type": "caikit", "url": url, "model": model["model_id"],
                 "discovered_from": "%s/%s" % (description["namespace"], description["name"])}
    inside = internal_url(description)
    if inside and inside != url:
        # what the in-cluster benchmark Job calls instead of url (docs/cluster.md)
        reference["internal_url"] = inside
    if description["auth"]:
        # Never a token: where the checks read it when they run, a variable of the controller or the cluster
        if isinstance(token, dict):
            reference["api_key_from"] = dict(token)
        else:
            reference["api_key_env"] = token
    return reference


def _auth_text(description, token):
    if not description["auth"]:
        return "none"
    return "bearer: a Kubernetes token with get on inferenceservices/%s in %s, %s" % (
        description["name"], description["namespace"], _token_words(token))


def discover(isvcs, runtimes=None, secrets=None, ask=None, catalog=None, urls=None, model_repos=None,
             token_env=DEFAULT_TOKEN_ENV, token_from=None, server_namespace=None, claims=None):
    """Describe every Caikit InferenceService, ask its runtime for its models, and propose catalog and references.

    - ``isvcs``: InferenceService dicts; ``runtimes``: ``{(namespace, name): ServingRuntime}``;
      ``secrets``: ``{(namespace, name): Secret or None}`` for the data connections named by ``storage.key``
      (a key absent: not read, for example forbidden).
    - ``ask(url, description)``: the runtime's ``/info/models`` answer; raises (any exception) when it does not answer.
    - ``token_env`` / ``token_from``: where a proposed reference with auth gets its token, the name of the
      controller's environment variable, or (winning) an ``api_key_from`` spec the checks read from the cluster.
    - ``catalog``: the user's catalog overrides (merged with the built-in one); ``urls``: ``{"ns/name": url}``
      overrides; ``model_repos``: ``{caikit model id: Hugging Face id or path}`` for models the catalog lacks.
    - ``server_namespace``: where vLLM runs; each model's entry gets the source keys of Caikit's own files
      (``model_files``) where they can be mounted there (every namespace's when None). A model the catalog does not
      know needs no Hugging Face id then. ``claims``: the access modes of the ``pvc://`` claims (``model_files``).

    Returns ``{services, models, proposal: {catalog, references, models}, review, problems, table}``.
    """
    runtimes, secrets, urls, model_repos = runtimes or {}, secrets or {}, urls or {}, model_repos or {}
    known = merge_catalog(catalog)
    services, models, review = [], [], []
    proposal = {"catalog": {}, "references": {}, "models": []}
    for isvc in sorted(isvcs or [], key=lambda o: (_get(o, "metadata", "namespace") or "", _get(o, "metadata", "name") or "")):
        runtime = runtimes.get((_get(isvc, "metadata", "namespace"), _get(isvc, "spec", "predictor", "model", "runtime")))
        description = describe_inference_service(isvc, runtime)
        if not description["caikit"]:
            continue
        service = dict(description, url_used=None, url_path=None, models=[], problems=[])
        services.append(service)
        service["problems"] += _setup_problems(service, secrets)
        for model in _ask_models(ask, service, urls.get("%s/%s" % (service["namespace"], service["name"]))) or []:
            files = model_files(service, model, secrets, server_namespace, claims)
            models.append(_propose_model(model, service, known, proposal, review, model_repos, token_from or token_env,
                                         files))
    problems = [problem for service in services for problem in service["problems"]]
    return {"services": services, "models": models, "proposal": proposal, "review": review, "problems": problems,
            "table": table(services, models)}


def _setup_problems(service, secrets):
    """What is wrong with a service's data connection or runtime reference (secrets: see ``discover``)."""
    found = []
    key = service["storage"]["data_connection"]
    if key and (service["namespace"], key) in secrets:
        found += data_connection_problems(secrets[(service["namespace"], key)], key, service["ref"])
    if service["runtime"] and not service["runtime_found"]:
        found.append("%s names the ServingRuntime %s, which is not in its namespace (or may not be read): the "
                     "runtime's image was not checked" % (service["ref"], service["runtime"]))
    return found


def _ask_models(ask, service, override):
    """The runtime's models, or None with the reason added to the service's problems."""
    try:
        url, path = choose_url(service, override)
    except DiscoveryError as exc:
        service["problems"].append(str(exc))
        return None
    service["url_used"], service["url_path"] = url, path
    if ask is None:
        service["problems"].append("%s: its runtime was not asked for its models" % service["ref"])
        return None
    try:
        answer = ask(url, service)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # the module's client raises CheckError(cause)
        cause = getattr(exc, "cause", None) or str(exc)
        service["problems"].append("%s: the runtime at %s does not answer GET %s (%s); %s" % (
            service["ref"], url, MODELS_PATH, cause, unreachable_hint(service, path)))
        return None
    try:
        return read_model_info(answer, "%s at %s" % (service["ref"], url))
    except DiscoveryError as exc:
        service["problems"].append(str(exc))
        return None


def _propose_model(model, service, known, proposal, review, model_repos, token, files=({}, [])):
    """Add one model's catalog entry and reference to ``proposal``; returns its row for ``models``. ``files``:
    ``model_files``' answer, the source keys of Caikit's own files and the notes to review."""
    row = dict(model, inference_service="%s/%s" % (service["namespace"], service["name"]), key=None, status="proposed",
               auth=_auth_text(service, token))
    service["models"].append(model["model_id"])
    if not model["loaded"]:
        row["status"] = "not loaded"
        review.append("%s: model %s is listed but not loaded by the runtime; read the predictor's log" % (
            service["ref"], model["model_id"]))
        return row
    if model["kind"] is None:
        row["status"] = "skipped"
        review.append("%s: model %s is a %s, neither an embedding nor a cross-encoder module; this collection does not "
                      "migrate it" % (service["ref"], model["model_id"], model["module"] or "module of unknown type"))
        return row
    taken = set(known) | set(proposal["catalog"])
    key = catalog_match(model["model_id"], model["kind"], known)
    if key is not None and key in proposal["references"]:
        key = None  # the same model in a second InferenceService: a key of its own
    entry = dict({"caikit_model_id": model["model_id"]}, **files[0])
    review += files[1]
    if key is None:
        key = new_key(model["model_id"], taken)
        entry.update(kind=model["kind"])
        if model["max_tokens"]:
            entry["max_tokens"] = model["max_tokens"]
        repo = model_repos.get(model["model_id"])
        if repo:
            entry["model"] = repo
        elif not files[0]:
            row["status"] = "needs model"
            where = service["storage"]["where"] or "<storage>"
            review.append("%s: set vllm_migration_catalog.%s.model to the Hugging Face id or path of the weights Caikit "
                          "serves (its folder %s/%s/artifacts), or pass model_repos: {%s: ...}; until then it is not in "
                          "vllm_migration_models" % (service["ref"], key, where, model["model_id"], model["model_id"]))
    elif model["max_tokens"] and known[key].get("max_tokens") and known[key]["max_tokens"] != model["max_tokens"]:
        review.append("%s: Caikit reports max_seq_length %d for %s, the catalog entry %s says max_tokens %d" % (
            service["ref"], model["max_tokens"], model["model_id"], key, known[key]["max_tokens"]))
    row["key"] = key
    proposal["catalog"][key] = entry
    proposal["references"][key] = _reference(model, service, service["url_used"], token)
    if files[0].get("model_claim"):
        proposal["references"][key].update(claim_reference(files[0]))
        row["weights"] = "on claim %s: digested by the check Job" % files[0]["model_claim"]
    if row["status"] == "proposed":
        proposal["models"].append(key)
    return row


TABLE_COLUMNS = (("inference_service", "InferenceService"), ("model_id", "Caikit model"), ("kind", "kind"),
                 ("key", "catalog key"), ("mode", "mode"), ("ready", "ready"), ("exposed", "exposed"),
                 ("auth", "auth"), ("storage", "storage"), ("url", "URL used"), ("status", "status"),
                 ("weights", "weights"))


def table(services, models):
    """One row per discovered model, and one per Caikit InferenceService whose models could not be read."""
    by_service = {}
    for model in models:
        by_service.setdefault(model["inference_service"], []).append(model)
    rows = []
    for service in services:
        ref = "%s/%s" % (service["namespace"], service["name"])
        common = {"inference_service": ref, "mode": service["deployment_mode"], "ready": service["ready"],
                  "exposed": service["exposed"], "auth": service["auth"], "storage": service["storage"]["where"],
                  "url": "%s (%s)" % (service["url_used"], service["url_path"]) if service["url_used"] else ""}
        unread = {"model_id": "", "kind": "", "key": "", "status": "not read: " + "; ".join(service["problems"])}
        for model in by_service.get(ref) or [unread]:
            row = dict(common, model_id=model["model_id"], kind=model["kind"] or "", key=model["key"] or "",
                       status=model["status"])
            if model.get("weights"):  # a claim's folder, which the check Job digests
                row["weights"] = model["weights"]
            rows.append(row)
    return rows


def table_markdown(rows):
    """The table as Markdown (cells escaped), for the report or a review."""
    def cell(value):
        text = "yes" if value is True else "no" if value is False else str(value if value is not None else "")
        return text.replace("|", "\\|").replace("\n", " ")
    lines = ["| %s |" % " | ".join(column[1] for column in TABLE_COLUMNS),
             "|%s" % "---|" * len(TABLE_COLUMNS)]
    lines += ["| %s |" % " | ".join(cell(row.get(column[0])) for column in TABLE_COLUMNS) for row in rows]
    return "\n".join(lines) + "\n"


def add_fetched_weights(result, fetched):
    """Put what was fetched of Caikit's storage into a discovery ``result``: each proposed reference of a fetched
    model gets ``weights_path`` (its Caikit folder on the controller, which the checks' ``weights`` gate reads),
    ``weights_source`` (where it was copied from, for the report) and ``weights_digest`` (its digest, which the gate
    uses where the folder is not readable), each
    table row a ``weights`` cell (the digest, or why there is none), and a failed fetch becomes a problem.

    ``fetched``: ``{"namespace/name": {"models": {model id: caikit_storage fetch result}, "problem": str or None}}``.
    """
    for reference in result["proposal"]["references"].values():
        found = (fetched.get(reference.get("discovered_from")) or {}).get("models") or {}
        if reference.get("model") in found:
            reference["weights_path"] = found[reference["model"]]["path"]
            reference["weights_source"] = found[reference["model"]]["source"]["uri"]
            if found[reference["model"]].get("digest"):  # for where the folder is not readable (the check Job)
                reference["weights_digest"] = found[reference["model"]]["digest"]
    for row in result["table"]:
        service = fetched.get(row["inference_service"])
        if service is None:
            continue
        model = (service.get("models") or {}).get(row.get("model_id"))
        if model is not None:
            row["weights"] = model["digest"] or model["weights_problem"] or ""
        elif service.get("problem"):
            row["weights"] = "not fetched: " + service["problem"]
    for ref, service in sorted(fetched.items()):
        if service.get("problem"):
            result["problems"].append("%s: Caikit's weights were not fetched: %s" % (ref, service["problem"]))
    return result


def fragment(result, catalog=None, references=None):
    """The inventory variables a user reviews and commits: ``vllm_migration_models``, ``_catalog``, ``_references``.

    The proposal's selection, with the inventory's own catalog entries and references (``catalog``, ``references``)
    kept and over the proposal field by field: committed beside the inventory, or passed with ``-e``, the fragment's
    ``vllm_migration_catalog`` replaces the inventory's, so an entry left out would be lost (a model of the user's
    catalog would lose its weights)."""
    return effective_settings(result["proposal"], None, catalog, references)


def effective_settings(proposal, models=None, catalog=None, references=None):
    """What a run that discovers (``vllm_migration_discover``) uses: the proposal with the user's settings over it.

    The user's catalog entries and references win field by field (an entry set to None keeps its meaning: no such
    model); ``models`` (the user's ``vllm_migration_models``), when given, is the selection, else the proposal's.
    Returns the three inventory variables, as ``fragment`` does.
    """
    return {"vllm_migration_models": list(proposal["models"] if models is None else models),
            "vllm_migration_catalog": _overlay(proposal["catalog"], catalog),
            "vllm_migration_references": _overlay(proposal["references"], references)}


def _overlay(proposed, given):
    merged = copy.deepcopy(proposed)
    for key, entry in (given or {}).items():
        if isinstance(entry, dict) and isinstance(merged.get(key), dict):
            merged[key].update(copy.deepcopy(entry))
        else:
            merged[key] = copy.deepcopy(entry)
    return merged


def nothing_to_migrate(result, where):
    """The message of a discovering run that found no model to migrate: where it looked and why nothing qualified."""
    reasons = result["review"] + result["problems"]
    return ("vllm_migration_discover: no Caikit model ready to migrate was found in %s (%d Caikit InferenceService(s), "
            "%d model(s) listed)%s. Run playbooks/discover.yml to see the table, fix what it reports, or set "
            "vllm_migration_models and vllm_migration_references yourself" % (
                where, len(result["services"]), len(result["models"]),
                ": " + "; ".join(reasons) if reasons else ""))


def fragment_header(result, token_env=DEFAULT_TOKEN_ENV, token_from=None):
    """Comment lines for the top of the fragment: where it came from and what to review."""
    lines = ["Proposed by playbooks/discover.yml (module vllm_pooling.migration.caikit_discovery): review, then "
             "commit it as group_vars.",
             "It holds no secret: a reference with auth says where its token is read when the playbook runs (%s)."
             % _token_words(token_from or token_env)]
    if result["review"] or result["problems"]:
        lines.append("To review before migrating:")
        lines += ["- " + text for text in result["review"] + result["problems"]]
    return "".join("# %s\n" % line for line in lines)

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations

DOCUMENTATION = r"""
module: caikit_discovery
short_description: Find the Caikit InferenceServices of OpenShift AI and propose the migration's catalog and references
version_added: 0.1.0
description:
  - Lists the KServe C(InferenceService) objects (C(serving.kserve.io/v1beta1)) in O(namespaces), or in every
    namespace the account may read, with their C(ServingRuntime) objects, and keeps those served by Caikit
    (model format C(caikit), or a runtime that supports it or runs a Caikit image).
  - For each it reads the name, namespace, runtime, deployment mode (annotation C(serving.kserve.io/deploymentMode)),
    URLs (C(status.url), C(status.address.url), C(status.components.predictor.url)), storage (C(storageUri), or
    C(storage.key) and C(storage.path) with the data-connection Secret's name), whether the auth proxy is on
    (annotation C(security.opendatahub.io/enable-auth)), visibility (label C(networking.kserve.io/visibility)),
    resources and the C(Ready) condition. A data connection is checked for its C(AWS_*) keys (key names only).
  - Then it asks each runtime C(GET /info/models) for the model ids it loaded and their module (C(EmbeddingModule) for an
    embedding model, C(CrossEncoderModule) for a reranker), and proposes one catalog entry and one reference per model (
    kind, max tokens where Caikit reports them, the Caikit model id, the URL to use and how to authenticate).
  - A model the built-in or given catalog knows (same kind, matching id or model name) reuses its key; any other
    gets a new key and needs its O(model_repos) entry (the weights vLLM loads) before it is selected, unless vLLM can
    serve Caikit's own files (below).
  - Where vLLM on the cluster can serve the very files Caikit serves, each model's catalog entry names them - for a
    C(pvc://CLAIM/PATH) storage C(model_claim), C(model_claim_path) (C(PATH/MODEL_ID/artifacts)) and C(model_claim_pods)
    (Caikit's predictor pods, whose node vLLM's pods then share), for S3 through a data connection (C(storage.key) and
    C(storage.path)) C(model_data_connection) and C(model_data_connection_path). Only for InferenceServices in
    O(server_namespace), where vLLM's pods can mount the claim or read the Secret; the others are named in RV(review).
  - The claim's access mode is read (C(get) on C(persistentvolumeclaims)) - a ReadWriteMany or ReadOnlyMany claim gets
    no C(model_claim_pods); a ReadWriteOncePod claim (no second pod may mount it) and a claim that does not exist are
    not proposed, RV(review) saying why; a claim that cannot be read is taken for ReadWriteOnce, and RV(problems) says
    so. The proposed reference of such a model names Caikit's folder on the claim (C(weights_claim)), which the check
    Job of M(vllm_pooling.migration.check_job) mounts to digest it.
  - Nothing on the cluster is changed. Tokens are never returned; a reference behind the auth proxy gets
    C(api_key_env), the name of the environment variable (O(token_env)) the checks read the token from when they run.
  - C(playbooks/discover.yml) writes RV(fragment) as an inventory file to review and commit. C(playbooks/migrate.yml)
    and C(playbooks/verify.yml) with C(vllm_migration_discover=true) run with RV(effective), the proposal with the
    inventory's O(models), O(catalog) and O(references) over it.
author:
  - vllm_pooling.migration maintainers (@vllm-pooling)
requirements:
  - kubernetes.core (the collection this one depends on) and the C(kubernetes) Python client it needs.
  - requests (the HTTP client of the collection's endpoint modules).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vllm_pooling.migration.kubernetes
options:
  namespaces:
    description:
      - Namespaces to look in (spaces around the names are ignored). Empty (the default) lists InferenceServices in
        every namespace, which needs C(list) on them cluster-wide.
    type: list
    elements: str
    default: []
  urls:
    description:
      - URLs to use instead of the status' ones, keyed C(namespace/name), for example the local end of an
        C(oc port-forward) to a predictor that is not exposed.
    type: dict
    default: {}
  token:
    description:
      - Bearer token sent to runtimes behind the auth proxy when asking C(/info/models) (a Kubernetes token that
        may C(get) the InferenceService). Falls back to E(CAIKIT_TOKEN). Never returned.
    type: str
  token_env:
    description:
      - Name of the environment variable the proposed references read their token from (only references with
        auth get one). O(token_from) wins over it.
    type: str
    default: CAIKIT_TOKEN
  token_from:
    description:
      - Where the token of the runtimes behind the auth proxy is on the cluster, as the checks' C(api_key_from)
        reads it - C(secret) (C(NAMESPACE/NAME), with C(key), default C(token)), C(service_account) (C(NAMESPACE/NAME),
        a TokenRequest, with C(audience) and C(expiration_seconds)) or C(login) (true, the login's own token).
      - The proposed references with auth get C(api_key_from) set to it instead of C(api_key_env), so no variable is
        needed when the checks run; without O(token), the module reads the token the same way to ask those runtimes.
    type: dict
  catalog:
    description:
      - The inventory's C(vllm_migration_catalog) (merged with the built-in catalog) that discovered models are
        matched against.
    type: dict
    default: {}
  models:
    description:
      - The inventory's C(vllm_migration_models). Given, it is RV(effective)'s selection as it is; left out, the
        proposal's models ready to migrate are.
    type: list
    elements: str
  references:
    description:
      - The inventory's C(vllm_migration_references). Each wins field by field over the discovered reference of
        the same key in RV(effective).
    type: dict
    default: {}
  require_models:
    description:
      - Fail, naming where it looked and why nothing qualified, when RV(effective) selects no model. The run
        that migrates what it discovers sets it; C(playbooks/discover.yml) does not (an empty table is an answer).
    type: bool
    default: false
  server_namespace:
    description:
      - The namespace the vLLM servers run in (C(vllm_migration_namespace)). Caikit's claims and data-connection Secrets
        are proposed as the models' files only for InferenceServices in it; unset, for every InferenceService.
    type: str
  model_repos:
    description:
      - The weights vLLM loads for models the catalog does not know, as a mapping of Caikit model id to Hugging Face id or path.
    type: dict
    default: {}
  runtime_validate_certs:
    description: Verify the TLS certificate of the runtimes' URLs (their Routes).
    type: bool
    default: true
  runtime_ca_path:
    description: PEM bundle that signed the runtimes' certificates, for example the OpenShift ingress CA.
    type: path
  runtime_timeout:
    description: Seconds to wait for each runtime's C(/info/models) answer.
    type: float
    default: 10
  weights_dir:
    description:
      - Also copy the Caikit model folders of every proposed model from its InferenceService's S3 storage (the data
        connection its C(storage.key) names, read from the cluster, and C(storage.path)) to C(WEIGHTS_DIR/NAMESPACE/NAME/MODEL_ID)
        on the controller, as the module M(vllm_pooling.migration.caikit_weights) does (idempotent, a manifest of ETags).
      - Each proposed reference of a fetched model then has C(weights_path), the Caikit folder the checks' C(weights)
        gate compares with the folder vLLM serves, and the table a C(weights) column with its digest.
      - A service whose storage cannot be fetched (not S3, a C(storageUri) without a data connection, keys missing,
        S3 refusing) is a problem of the result naming it and the fix, and its references have no C(weights_path).
      - Needs C(get) on the data-connection Secrets (their values are read, never returned) and boto3.
      - Unset (the default) fetches nothing.
    type: path
  weights_validate_certs:
    description: Verify the TLS certificate of the S3 endpoints of O(weights_dir).
    type: bool
    default: true
  weights_ca_path:
    description: PEM bundle that signed the S3 endpoints' certificates (for example an object store inside the cluster).
    type: path
  weights_timeout:
    description: Seconds to wait for each S3 request of O(weights_dir).
    type: float
    default: 30
attributes:
  check_mode:
    support: full
    details:
      - The module reads the cluster only; check mode runs it the same way.
      - With O(weights_dir), check mode lists what would be fetched and writes nothing.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Find the Caikit models of two namespaces
  vllm_pooling.migration.caikit_discovery:
    namespaces: [rag-prod, search]
  register: caikit

- name: Reach a predictor that is not exposed through a port-forward, and say where an unknown model's weights are
  vllm_pooling.migration.caikit_discovery:
    namespaces: [search]
    urls:
      search/caikit-embeddings: http://127.0.0.1:8080
    model_repos:
      bge-small-en-v1-5: BAAI/bge-small-en-v1.5
    runtime_ca_path: /tmp/ingress-ca.crt

- name: Read the token of runtimes behind the auth proxy from a Secret, here and in the checks (no CAIKIT_TOKEN)
  vllm_pooling.migration.caikit_discovery:
    namespaces: [rag-prod]
    token_from:
      secret: rag-prod/caikit-token

- name: Also copy Caikit's model folders from their S3 data connections, for the checks' weights gate
  vllm_pooling.migration.caikit_discovery:
    namespaces: [rag-prod]
    weights_dir: /srv/caikit-weights

- name: Migrate what was discovered, with the inventory's own settings over it (as migrate.yml does)
  vllm_pooling.migration.caikit_discovery:
    namespaces: [rag-prod]
    catalog: "{{ vllm_migration_catalog | default({}) }}"
    references: "{{ vllm_migration_references | default({}) }}"
    require_models: true
  register: caikit
"""

RETURN = r"""
services:
  description:
    - Every Caikit InferenceService found, with C(name), C(namespace), C(runtime), C(runtime_flavor),
      C(deployment_mode), C(urls), C(storage), C(auth), C(exposed), C(resources), C(ready), C(ready_reason),
      the URL used (C(url_used), C(url_path) V(external), V(in_cluster) or V(override)), its C(models) and C(problems).
  returned: always
  type: list
  elements: dict
models:
  description:
    - One entry per model a runtime listed, with C(model_id), C(kind), C(module), C(max_tokens), C(inference_service),
      the proposed catalog C(key), C(auth) (how to authenticate, in words) and C(status)
      (V(proposed), V(needs model), V(not loaded) or V(skipped)).
  returned: always
  type: list
  elements: dict
proposal:
  description:
    - C(catalog) additions, C(references) and the C(models) ready to migrate, keyed by catalog key.
    - A reference has C(type), C(url) (what the controller calls), C(model), C(discovered_from), C(api_key_env) (the
      environment variable holding the token, with auth) and C(internal_url) (the predictor's in-cluster URL, which the
      in-cluster benchmark Job calls), when there is one other than C(url).
  returned: always
  type: dict
fragment:
  description:
    - The inventory variables C(vllm_migration_models), C(vllm_migration_catalog), C(vllm_migration_references).
    - The proposal's models; its catalog entries and references with O(catalog) and O(references) kept and over them
      field by field, so that the fragment, which replaces the inventory's variables of those names, loses none of them.
  returned: always
  type: dict
effective:
  description:
    - The settings a discovering run uses, as RV(fragment)'s three variables. The catalog entries and references
      of the proposal with O(catalog) and O(references) over them field by field; the selection is O(models) when
      given, else the proposal's.
  returned: always
  type: dict
  sample:
    vllm_migration_models: [minilm]
    vllm_migration_catalog: {minilm: {caikit_model_id: all-minilm-l6-v2}}
    vllm_migration_references:
      minilm: {type: caikit, url: "https://caikit-embeddings-rag-prod.apps.example.com", model: all-minilm-l6-v2,
               discovered_from: rag-prod/caikit-embeddings}
fragment_header:
  description: Comment lines for the top of the fragment file (its origin and what to review).
  returned: always
  type: str
table:
  description: One row per model (or per InferenceService whose models could not be read), for a report.
  returned: always
  type: list
  elements: dict
weights:
  description:
    - With O(weights_dir), per InferenceService (C(NAMESPACE/NAME)) whose models are proposed, what was fetched of
      its storage; C({}) without it.
    - C(models) maps each model id to its Caikit folder C(path), C(artifacts) (the Hugging Face files vLLM can load),
      C(digest) and C(tensors) of its weights, C(source) (endpoint, bucket, prefix) and what was downloaded;
      C(problem) says why nothing was fetched.
  returned: always
  type: dict
table_markdown:
  description: RV(table) as Markdown.
  returned: always
  type: str
review:
  description: What a person must decide before migrating (a model without weights, a limit that differs, ...).
  returned: always
  type: list
  elements: str
problems:
  description: Why an InferenceService's models could not be read, each naming the object and the fix.
  returned: always
  type: list
  elements: str
msg:
  description: A summary in words.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cluster_credentials
from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_client import models_info
from ansible_collections.vllm_pooling.migration.plugins.module_utils.caikit_storage import (
    BOTO3_IMPORT_ERROR, HAS_BOTO3, fetch_discovered, read_data_connection)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, JsonEndpoint)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import INFERENCE_SERVICE_API
from ansible_collections.vllm_pooling.migration.plugins.module_utils.kserve import (
    SERVING_RUNTIME_API, add_fetched_weights, discover, effective_settings, fragment, fragment_header, namespace_names,
    nothing_to_migrate, table_markdown)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import (
    fail_without_libraries, kubernetes_client, kubernetes_options)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.storage_plan import claim_access_mode, split_claim_uri

ARGUMENT_SPEC = dict(
    namespaces=dict(type="list", elements="str", default=[]),
    urls=dict(type="dict", default={}),
    token=dict(type="str", no_log=True, fallback=(env_fallback, ["CAIKIT_TOKEN"])),
    token_env=dict(type="str", default="CAIKIT_TOKEN", no_log=False),
    token_from=dict(type="dict", no_log=False),
    catalog=dict(type="dict", default={}),
    models=dict(type="list", elements="str"),
    references=dict(type="dict", default={}),
    require_models=dict(type="bool", default=False),
    model_repos=dict(type="dict", default={}),
    server_namespace=dict(type="str"),
    runtime_validate_certs=dict(type="bool", default=True),
    runtime_ca_path=dict(type="path"),
    runtime_timeout=dict(type="float", default=10.0),
    weights_dir=dict(type="path"),
    weights_validate_certs=dict(type="bool", default=True),
    weights_ca_path=dict(type="path"),
    weights_timeout=dict(type="float", default=30.0),
    **kubernetes_options()
)


def _items(answer):
    return (answer.to_dict() if hasattr(answer, "to_dict") else answer).get("items") or []


def _list(resource, namespaces):
    """Every object of a kind in the namespaces (all namespaces when none are named)."""
    if not namespaces:
        return _items(resource.get())
    return [item for namespace in namespaces for item in _items(resource.get(namespace=namespace))]


def _kind(client, api_version, kind):
    try:
        return client.resources.get(api_version=api_version, kind=kind)
    except Exception:  # pylint: disable=broad-exception-caught  # ResourceNotFoundError: the kind is not served
        return None


def _read_named(kind, refs, what, notes, keep):
    """``{(namespace, name): keep(object as a dict), or None when it does not exist}`` for each of ``refs``; one
    that cannot be read (forbidden) is left out, and a note says so (``what``: its noun, and what was not checked)."""
    found = {}
    for namespace, name in refs:
        if not name or (namespace, name) in found or kind is None:
            continue
        try:
            obj = kind.get(name=name, namespace=namespace)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # NotFound, Forbidden
            if getattr(exc, "status", None) == 404:
                found[(namespace, name)] = None
            else:
                notes.append("could not read the %s %s/%s (%s %s): %s" % (
                    what[0], namespace, name, getattr(exc, "status", ""), getattr(exc, "reason", "") or exc, what[1]))
            continue
        found[(namespace, name)] = keep(obj.to_dict() if hasattr(obj, "to_dict") else obj)
    return found


def _model_storage(isvc):
    return ((isvc.get("spec") or {}).get("predictor") or {}).get("model") or {}


def _data_connections(secret_kind, isvcs, notes):
    """``{(namespace, name): Secret with its key names only, or None when it does not exist}`` for every
    ``storage.key``; values are dropped at once, and a Secret that cannot be read is left out (noted)."""
    refs = [((isvc.get("metadata") or {}).get("namespace"), (_model_storage(isvc).get("storage") or {}).get("key"))
            for isvc in isvcs]
    return _read_named(secret_kind, refs, ("data connection Secret", "its keys were not checked"), notes,
                       lambda secret: {"data": dict.fromkeys(secret.get("data") or {}, "")})


def _claim_modes(claim_kind, isvcs, notes):
    """``{(namespace, claim): access mode, or None when it does not exist}`` for every ``pvc://`` storageUri; a claim
    that cannot be read is left out (noted): it is then taken for ReadWriteOnce."""
    refs = []
    for isvc in isvcs:
        found = split_claim_uri(_model_storage(isvc).get("storageUri"))
        if found:
            refs.append(((isvc.get("metadata") or {}).get("namespace"), found[0]))
    return _read_named(claim_kind, refs, ("claim", "its access mode was not checked"), notes, claim_access_mode)


def _cluster_token(module, client, spec):
    """The token ``token_from`` names, read from the cluster for this module's own requests, hidden from the output."""
    problem = cluster_credentials.token_spec_problem(spec, "token_from")
    if problem:
        module.fail_json(msg="invalid arguments: %s" % problem)
    try:
        token = cluster_credentials.resolve_token(client, spec, "the runtimes behind the auth proxy (token_from)")
    except cluster_credentials.CredentialError as exc:
        module.fail_json(msg=str(exc))
    module.no_log_values.add(token)
    return token


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    p = module.params
    fail_without_libraries(module, [("requests", HAS_REQUESTS, REQUESTS_IMPORT_ERROR)] +
                           ([("boto3", HAS_BOTO3, BOTO3_IMPORT_ERROR)] if p["weights_dir"] else []))
    p["namespaces"] = namespace_names(p["namespaces"])
    client = kubernetes_client(module)
    if p["token_from"]:
        p["token"] = p["token"] or _cluster_token(module, client, p["token_from"])
    isvc_kind = _kind(client, INFERENCE_SERVICE_API, "InferenceService")
    if isvc_kind is None:
        module.fail_json(msg="the API serves no InferenceService kind (%s): install OpenShift AI, Open Data Hub or "
                             "KServe, or point the kubeconfig at the cluster that has them" % INFERENCE_SERVICE_API)
    where = ", ".join(p["namespaces"]) or "all namespaces"
    try:
        isvcs = _list(isvc_kind, p["namespaces"])
    except Exception as exc:  # pylint: disable=broad-exception-caught  # forbidden, unreachable
        module.fail_json(msg="could not list InferenceServices in %s (%s %s): %s" % (
            where, getattr(exc, "status", ""), getattr(exc, "reason", "") or exc,
            "name the namespaces you may read in the option namespaces" if not p["namespaces"] else
            "check that the account may list inferenceservices.serving.kserve.io there"))
    notes, runtimes = [], {}
    runtime_kind = _kind(client, SERVING_RUNTIME_API, "ServingRuntime")
    if runtime_kind is not None:
        namespaces = p["namespaces"] or sorted({(i.get("metadata") or {}).get("namespace") for i in isvcs})
        try:
            runtimes = {(r["metadata"].get("namespace"), r["metadata"]["name"]): r for r in _list(runtime_kind, namespaces)}
        except Exception as exc:  # pylint: disable=broad-exception-caught
            notes.append("could not list ServingRuntimes (%s): runtimes judged by their names" % exc)
    secrets = _data_connections(_kind(client, "v1", "Secret"), isvcs, notes)
    claims = _claim_modes(_kind(client, "v1", "PersistentVolumeClaim"), isvcs, notes)

    def ask(url, service):
        endpoint = JsonEndpoint(url, service["ref"], api_key=p["token"] if service["auth"] else None,
                                validate_certs=p["runtime_validate_certs"], ca_path=p["runtime_ca_path"],
                                timeout=p["runtime_timeout"])
        return models_info(endpoint)

    result = discover(isvcs, runtimes, secrets, ask, catalog=p["catalog"], urls=p["urls"],
                      model_repos=p["model_repos"], token_env=p["token_env"], token_from=p["token_from"],
                      server_namespace=p["server_namespace"], claims=claims)
    result["problems"] += notes
    fetched = {}
    if p["weights_dir"]:
        fetched = fetch_discovered(
            result, lambda namespace, name: read_data_connection(client, "%s/%s" % (namespace, name)), p["weights_dir"],
            module.check_mode, p["weights_ca_path"], p["weights_validate_certs"], p["weights_timeout"])
        add_fetched_weights(result, fetched)
    msg = "%d Caikit InferenceService(s) in %s, %d model(s) found, %d ready to migrate; %d problem(s)" % (
        len(result["services"]), where, len(result["models"]), len(result["proposal"]["models"]), len(result["problems"]))
    effective = effective_settings(result["proposal"], p["models"], p["catalog"], p["references"])
    outcome = dict(result, weights=fetched, fragment=fragment(result, p["catalog"], p["references"]),
                   fragment_header=fragment_header(result, p["token_env"], p["token_from"]),
                   table_markdown=table_markdown(result["table"]), effective=effective)
    if p["require_models"] and not effective["vllm_migration_models"]:
        module.fail_json(msg=nothing_to_migrate(result, where), **outcome)
    module.exit_json(changed=any(service["changed"] for service in fetched.values()), msg=msg, **outcome)


if __name__ == "__main__":
    main()

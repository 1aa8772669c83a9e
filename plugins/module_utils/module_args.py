# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Argument specs shared by the modules that call a server, matching the doc fragments in
plugins/doc_fragments/endpoint.py, and the check for the libraries those modules need."""

from __future__ import annotations

import os

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    REFERENCE_SERVERS, REFERENCE_TYPES, WEIGHTS_MISMATCH)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError


def endpoint_options():
    """``validate_certs``, ``ca_path`` and ``timeout`` (doc fragment ``vllm_pooling.migration.endpoint``)."""
    return dict(
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="float", default=60.0),
    )


def endpoint_settings(params):
    """The values of the ``endpoint_options()`` from a module's params, as ``JsonEndpoint`` keyword arguments."""
    return {name: params[name] for name in endpoint_options()}


def candidate_options():
    """``candidate_url``, ``candidate_model`` and ``candidate_api_key`` (doc fragment ``endpoint.candidate``)."""
    return dict(
        candidate_url=dict(type="str", required=True),
        candidate_model=dict(type="str", required=True),
        candidate_api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["VLLM_API_KEY"])),
    )


def reference_options():
    """``reference_type``, ``reference_url``, ``reference_model``, ``reference_api_key`` (or ``reference_api_key_env``),
    ``reference_ca_path`` and ``reference_path`` (doc fragment ``endpoint.reference``), the same for every module that
    compares with a reference."""
    return dict(
        reference_type=dict(type="str", required=True, choices=list(REFERENCE_TYPES)),
        reference_url=dict(type="str"),
        reference_model=dict(type="str"),
        reference_api_key=dict(type="str", no_log=True),
        reference_api_key_env=dict(type="str", no_log=False),
        reference_ca_path=dict(type="path"),
        reference_path=dict(type="path"),
    )


def reference_endpoint_settings(params):
    """``endpoint_settings`` for the reference: its own CA bundle (``reference_ca_path``) where given, because the
    reference is often reached through another CA than the candidate (a KServe predictor's service CA, another
    cluster's router), else ``ca_path``."""
    settings = endpoint_settings(params)
    settings["ca_path"] = reference_ca(params)
    return settings


def reference_ca(params):
    """The reference's CA bundle: ``reference_ca_path`` (given, or written from ``reference_ca_from``), else
    ``ca_path``; never the candidate's CA read with ``candidate_ca_from``, which is the candidate's alone."""
    if params.get("reference_ca_path"):
        return params["reference_ca_path"]
    return None if params.get("candidate_ca_from") else params.get("ca_path")


def reference_api_key(params):
    """The reference's bearer token: ``reference_api_key``, else the value of the controller's environment variable
    ``reference_api_key_env`` (how a discovered KServe reference behind the auth proxy gets its token without the
    inventory holding it), else None. A named variable that is empty or not set raises ``CheckError``."""
    if params.get("reference_api_key"):
        return params["reference_api_key"]
    name = params.get("reference_api_key_env")
    if not name:
        return None
    value = os.environ.get(name, "")
    if not value:
        raise CheckError(
            params.get("model") or params.get("reference_model") or "?", params.get("reference_url") or "the reference",
            "its token is read from the environment variable %s (reference_api_key_env), which is empty or not set "
            "on the controller" % name,
            "export %s before the run (for a KServe runtime behind the auth proxy: "
            "export %s=$(oc create token <serviceaccount> -n <namespace>) for an account that may get the "
            "InferenceService; in AWX, a credential that injects it), or give the reference's api_key" % (name, name))
    return value


def reference_required_if():
    """The ``required_if`` of ``reference_options()``: a server needs its URL, a golden file its path."""
    return [("reference_type", kind, ("reference_url",)) for kind in REFERENCE_SERVERS] + [
        ("reference_type", "golden", ("reference_path",))]


def check_options(fail_on_gate=True):
    """``fail_on_gate``, the one name of "fail the task when a gate fails" (doc fragment ``endpoint.check``
    for the verification checks). ``fail_on_gate`` is the module's default: the checks and probes fail,
    the benchmark only reports."""
    return dict(fail_on_gate=dict(type="bool", default=fail_on_gate))


def weights_options():
    """``reference_weights_path``, the recorded digests and ``weights_mismatch``: the ``weights`` gate of the verification
    checks (doc fragment ``endpoint.weights``); the candidate's folder is the module's ``model_path``."""
    return dict(
        reference_weights_path=dict(type="path"),
        candidate_weights_digest=dict(type="str"),
        candidate_weights_note=dict(type="str"),
        reference_weights_digest=dict(type="str"),
        weights_mismatch=dict(type="str", default="fail", choices=list(WEIGHTS_MISMATCH)),
    )


def retrieval_options():
    """The labelled retrieval gate of the verification checks (doc fragment ``endpoint.retrieval``)."""
    return dict(
        check_retrieval=dict(type="bool", default=True),
        retrieval_dataset=dict(type="str", default="builtin"),
        retrieval_k=dict(type="int", default=10),
        retrieval_recall_at=dict(type="list", elements="int", default=[10, 50]),
        retrieval_margin=dict(type="float", default=0.01),
        retrieval_confidence=dict(type="float", default=0.95),
        retrieval_bootstrap_samples=dict(type="int", default=2000),
    )


def retrieval_settings(params):
    """The retrieval options as ``retrieval.run_retrieval`` keywords, or a list of what is wrong with them."""
    problems = []
    if params["retrieval_k"] < 1 or any(depth < 1 for depth in params["retrieval_recall_at"]):
        problems.append("retrieval_k and retrieval_recall_at must be positive")
    if not 0.0 <= params["retrieval_margin"] < 1.0:
        problems.append("retrieval_margin=%s is outside [0, 1)" % params["retrieval_margin"])
    if not 0.5 <= params["retrieval_confidence"] < 1.0:
        problems.append("retrieval_confidence=%s is outside [0.5, 1)" % params["retrieval_confidence"])
    if params["retrieval_bootstrap_samples"] < 100:
        problems.append("retrieval_bootstrap_samples=%s is below 100" % params["retrieval_bootstrap_samples"])
    return problems, {"k": params["retrieval_k"], "recall_at": tuple(params["retrieval_recall_at"]),
                      "margin": params["retrieval_margin"], "confidence": params["retrieval_confidence"],
                      "samples": params["retrieval_bootstrap_samples"]}


def fail_without_libraries(module, libraries):
    """Fail the module, naming the first missing library, for ``(name, available, import_error)`` triples."""
    for name, available, import_error in libraries:
        if not available:
            detail = {} if import_error is None else {"exception": str(import_error)}
            module.fail_json(msg=missing_required_lib(name), **detail)


KUBERNETES_OPTIONS = ("kubeconfig", "context", "host", "api_key", "validate_certs", "ca_cert")


def kubernetes_options():
    """How a module reaches the API server, as kubernetes.core's modules (doc fragment ``vllm_pooling.migration.kubernetes``)."""
    return dict(
        kubeconfig=dict(type="path", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG"])),
        context=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_CONTEXT"])),
        host=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_HOST"])),
        api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["K8S_AUTH_API_KEY"])),
        validate_certs=dict(type="bool", aliases=["verify_ssl"], fallback=(env_fallback, ["K8S_AUTH_VERIFY_SSL"])),
        ca_cert=dict(type="path", aliases=["ssl_ca_cert"], fallback=(env_fallback, ["K8S_AUTH_SSL_CA_CERT"])),
    )


def kubernetes_client(module, settings=None):
    """kubernetes.core's dynamic client for the module's ``kubernetes_options()`` (or ``settings``, the same options
    from another place such as the checks' ``kubernetes`` dict); fails the module without it."""
    try:
        from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    except ImportError as exc:
        module.fail_json(msg=missing_required_lib("the kubernetes.core collection and the kubernetes Python client"),
                         exception=str(exc))
    source = module.params if settings is None else settings
    auth = {name: source[name] for name in KUBERNETES_OPTIONS if source.get(name) is not None}
    try:
        return get_api_client(**auth)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # no kubeconfig, bad token: a task failure
        module.fail_json(msg="could not set up the Kubernetes client: %s" % exc)


# Where each endpoint's credentials go in a check module's params: (token option, CA option). The candidate's CA is
# ``ca_path`` (which the reference also falls back to when it has none of its own, see reference_ca()).
CREDENTIAL_SIDES = {"candidate": ("candidate_api_key", "ca_path"), "reference": ("reference_api_key", "reference_ca_path")}


def credential_options(sides=("candidate", "reference")):
    """``<side>_api_key_from`` and ``<side>_ca_from`` for each side, and ``kubernetes`` (the ``kubernetes_options()``
    as a dict, used only when one of these is given): a token or CA read from the cluster per endpoint (doc fragments
    ``endpoint.candidate_from``, ``endpoint.reference_from`` and ``kubernetes.checks``; cluster_credentials.py)."""
    options = {}
    for side in sides:
        options["%s_api_key_from" % side] = dict(type="dict", no_log=False, options=dict(
            secret=dict(type="str", no_log=False),
            key=dict(type="str", no_log=False, default="token"),
            service_account=dict(type="str"),
            audience=dict(type="str"),
            expiration_seconds=dict(type="int", default=600),
            login=dict(type="bool"),
        ))
        options["%s_ca_from" % side] = dict(type="dict", options=dict(
            configmap=dict(type="str"),
            secret=dict(type="str", no_log=False),
            key=dict(type="str", no_log=False),
            ingress=dict(type="bool"),
        ))
    options["kubernetes"] = dict(type="dict", options=kubernetes_options())
    return options


def credential_mutually_exclusive(sides=("candidate", "reference")):
    """A CA is given as a file or read from the cluster, not both."""
    return [(CREDENTIAL_SIDES[side][1], "%s_ca_from" % side) for side in sides]


def _explicit_token(params, side):
    """The token given in the task for ``side``; the candidate's value that only came from E(VLLM_API_KEY) (its
    fallback, the same value) does not count, so ``candidate_api_key_from`` wins over the environment."""
    value = params.get(CREDENTIAL_SIDES[side][0])
    if side == "candidate" and value and value == os.environ.get("VLLM_API_KEY"):
        return None
    return value


def apply_cluster_credentials(module, sides=("candidate", "reference")):
    """Read the tokens and CAs that ``<side>_api_key_from`` / ``<side>_ca_from`` name from the cluster and put them in
    ``module.params`` where the endpoints read theirs (CREDENTIAL_SIDES): a token only where none is given in the task
    (given > from the cluster > environment), a CA as a private file (0600) in the module's temporary directory,
    which goes when the module exits. Tokens are added to ``module.no_log_values``. Without any of these options
    nothing is imported and no cluster is needed; every failure fails the module with a one-line message."""
    params = module.params
    wanted = [side for side in sides if params.get("%s_api_key_from" % side) or params.get("%s_ca_from" % side)]
    if not wanted:
        return
    from ansible_collections.vllm_pooling.migration.plugins.module_utils import cluster_credentials as cc
    problems = []
    for side in wanted:
        token_spec, ca_spec = params.get("%s_api_key_from" % side), params.get("%s_ca_from" % side)
        problems += [problem for problem in (
            token_spec and cc.token_spec_problem(token_spec, "%s_api_key_from" % side),
            ca_spec and cc.ca_spec_problem(ca_spec, "%s_ca_from" % side)) if problem]
    if problems:
        module.fail_json(msg="invalid arguments: %s" % "; ".join(problems))
    client = kubernetes_client(module, params.get("kubernetes") or {})
    model = params.get("model")
    for side in wanted:
        token_option, ca_option = CREDENTIAL_SIDES[side]
        token_spec = params.get("%s_api_key_from" % side) if not _explicit_token(params, side) else None
        try:
            token, ca_file = cc.resolve_endpoint(client, side, model, token_spec, params.get("%s_ca_from" % side),
                                                 module.tmpdir)
        except cc.CredentialError as exc:
            module.fail_json(msg=str(exc))
        if token:
            module.no_log_values.add(token)
            params[token_option] = token
        if ca_file:
            params[ca_option] = ca_file

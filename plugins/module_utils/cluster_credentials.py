# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Per-endpoint credentials read from the cluster the way the platform hands them out: a bearer token from a
Secret, from a ServiceAccount (a TokenRequest, nothing stored) or the login's own token, and a CA bundle from a
ConfigMap (the service CA), a Secret or OpenShift's ingress CA.

Plain functions over kubernetes.core's API client (``K8SClient``: ``.client.request`` and ``.configuration``);
no Ansible here, so they are unit tested with a fake client. Every failure is a ``CredentialError`` whose message
is one line naming the endpoint, the object and the fix, and never holds a token.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

DEFAULT_TOKEN_KEY = "token"
DEFAULT_EXPIRATION_SECONDS = 600
MIN_EXPIRATION_SECONDS = 600  # the API server refuses a TokenRequest below 10 minutes
DEFAULT_CA_KEYS = {"configmap": "service-ca.crt", "secret": "ca.crt"}
# OpenShift publishes the CA of its default ingress (the router's certificates) here, readable by any login.
INGRESS_CA = ("openshift-config-managed", "default-ingress-cert", "ca-bundle.crt")
TOKEN_KINDS = ("secret", "service_account", "login")
CA_KINDS = ("configmap", "secret", "ingress")
PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----")


class CredentialError(Exception):
    """A credential that could not be read; ``str()`` is the one-line message for the task."""


def _spec_kind(spec, kinds):
    chosen = [kind for kind in kinds if spec.get(kind)]
    return chosen[0] if len(chosen) == 1 else None


def _object_ref(text, what, endpoint, option):
    """``NAMESPACE/NAME`` as a pair, else a CredentialError naming the option."""
    parts = str(text or "").split("/")
    if len(parts) != 2 or not all(parts):
        raise CredentialError("%s: %s.%s is %r, which is not NAMESPACE/NAME: write it as, for example, "
                              "rag-prod/%s" % (endpoint, option, what, str(text), "caikit-token"
                                               if what != "configmap" else "openshift-service-ca.crt"))
    return parts[0], parts[1]


def token_spec_problem(spec, option):
    """Why a token spec cannot be used (None when it can): exactly one of ``secret``, ``service_account`` or
    ``login``, and an expiration the API server accepts."""
    if not isinstance(spec, dict):
        return "%s must be a dict" % option
    if _spec_kind(spec, TOKEN_KINDS) is None:
        return "%s needs exactly one of secret, service_account or login: true" % option
    if spec.get("service_account"):
        seconds = spec.get("expiration_seconds")
        if seconds is not None and int(seconds) < MIN_EXPIRATION_SECONDS:
            return "%s.expiration_seconds is %s; the API server accepts %d or more" % (
                option, seconds, MIN_EXPIRATION_SECONDS)
    return None


def ca_spec_problem(spec, option):
    """Why a CA spec cannot be used (None when it can): exactly one of ``configmap``, ``secret`` or ``ingress``."""
    if not isinstance(spec, dict):
        return "%s must be a dict" % option
    if _spec_kind(spec, CA_KINDS) is None:
        return "%s needs exactly one of configmap, secret or ingress: true" % option
    return None


def _as_dict(answer):
    if hasattr(answer, "to_dict"):
        return answer.to_dict()
    return answer if isinstance(answer, dict) else {}


def _status(exc):
    status = getattr(exc, "status", None)
    try:
        return int(status)
    except (TypeError, ValueError):
        return None


def _api_failure(exc, endpoint, what, verb, resource, namespace, fix_not_found):
    """The one-line CredentialError for a failed API call (never the exception's body, which may echo a request)."""
    status = _status(exc)
    if status == 404:
        return CredentialError("%s: %s was not found (404): %s" % (endpoint, what, fix_not_found))
    if status == 403:
        return CredentialError(
            "%s: the login may not %s %s in namespace %s (403 Forbidden), needed to read %s: grant it, e.g. "
            "oc create role ... --verb=%s --resource=%s -n %s and a rolebinding for the login's user or "
            "ServiceAccount" % (endpoint, verb, resource, namespace, what, verb, resource, namespace))
    if status == 401:
        return CredentialError("%s: the API server refused the login (401 Unauthorized) while reading %s: log in "
                               "again (oc login) or give a valid kubernetes api_key" % (endpoint, what))
    if status is not None:
        return CredentialError("%s: the API server answered HTTP %s %s for %s: check the object, the login's rights "
                               "and the API server's health" % (endpoint, status, getattr(exc, "reason", "") or "", what))
    return CredentialError("%s: could not reach the API server to read %s (%s): check the kubeconfig, context or "
                           "host of the kubernetes option" % (endpoint, what, type(exc).__name__))


def _get(client, path, endpoint, what, resource, namespace, fix_not_found):
    try:
        return _as_dict(client.client.request("get", path))
    except Exception as exc:  # pylint: disable=broad-exception-caught  # ApiException, urllib3 errors
        raise _api_failure(exc, endpoint, what, "get", resource, namespace, fix_not_found) from None


def _data_value(obj, key, binary, endpoint, what, fix_key):
    """The value of ``key`` in a Secret (``binary``: base64 in ``data``) or ConfigMap (``data``)."""
    data = obj.get("data") or {}
    if binary and key not in data and key in (obj.get("stringData") or {}):
        return obj["stringData"][key]
    if key not in data:
        keys = ", ".join(sorted(data)) or "none"
        raise CredentialError("%s: %s has no key %r (its keys: %s): %s" % (endpoint, what, key, keys, fix_key))
    value = data[key]
    if binary:
        try:
            value = base64.b64decode(str(value), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise CredentialError("%s: %s key %r is not base64-encoded UTF-8 text: store the value in "
                                  "data as base64 (oc create secret generic ... --from-literal=%s=...)"
                                  % (endpoint, what, key, key)) from None
    value = str(value or "")
    if not value.strip():
        raise CredentialError("%s: %s key %r is empty: %s" % (endpoint, what, key, fix_key))
    return value


def login_token(client):
    """The bearer token of the client's own configuration (kubeconfig user token, K8S_AUTH_API_KEY), or None."""
    configuration = getattr(client, "configuration", None)
    api_key = getattr(configuration, "api_key", None) or {}
    header = str(api_key.get("authorization") or api_key.get("BearerToken") or "").strip()
    token = header.split(" ", 1)[1] if header.lower().startswith("bearer ") else header
    return token.strip() or None


def resolve_token(client, spec, endpoint):
    """The bearer token ``spec`` names, for the endpoint named ``endpoint`` (e.g. "reference of model 'minilm'").
    A spec ``token_spec_problem`` refuses is refused here too, whoever calls."""
    problem = token_spec_problem(spec, "api_key_from")
    if problem:
        raise CredentialError("%s: %s" % (endpoint, problem))
    if spec.get("login"):
        token = login_token(client)
        if not token:
            raise CredentialError(
                "%s: api_key_from login: true, but the login has no bearer token (client-certificate or no "
                "authentication in the kubeconfig): log in with a token (oc login --token, or K8S_AUTH_API_KEY), or "
                "name a secret or service_account instead" % endpoint)
        return token
    if spec.get("secret"):
        namespace, name = _object_ref(spec["secret"], "secret", endpoint, "api_key_from")
        key = spec.get("key") or DEFAULT_TOKEN_KEY
        what = "Secret %s/%s" % (namespace, name)
        secret = _get(client, "/api/v1/namespaces/%s/secrets/%s" % (namespace, name), endpoint, what, "secrets",
                      namespace, "create it (oc create secret generic %s -n %s --from-literal=%s=<token>) or fix "
                      "api_key_from.secret" % (name, namespace, key))
        return _data_value(secret, key, True, endpoint, what,
                           "put the token under that key, or set api_key_from.key to the key that holds it").strip()
    return request_token(client, spec, endpoint)


def request_token(client, spec, endpoint):
    """A short-lived token of the ServiceAccount ``spec['service_account']`` (TokenRequest, authentication.k8s.io/v1):
    a POST to its ``token`` subresource; the API server stores nothing."""
    namespace, name = _object_ref(spec["service_account"], "service_account", endpoint, "api_key_from")
    what = "ServiceAccount %s/%s" % (namespace, name)
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "spec": {"expirationSeconds": int(spec.get("expiration_seconds") or DEFAULT_EXPIRATION_SECONDS)}}
    if spec.get("audience"):
        body["spec"]["audiences"] = [spec["audience"]]
    path = "/api/v1/namespaces/%s/serviceaccounts/%s/token" % (namespace, name)
    try:
        answer = _as_dict(client.client.request("post", path, body=body))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        status = _status(exc)
        if status in (400, 422):
            raise CredentialError(
                "%s: the API server refused the TokenRequest for %s (HTTP %s %s): check api_key_from.audience and "
                "expiration_seconds (the cluster may cap or refuse them)" % (
                    endpoint, what, status, getattr(exc, "reason", "") or "")) from None
        raise _api_failure(exc, endpoint, what, "create", "serviceaccounts/token", namespace,
                           "create it (oc create serviceaccount %s -n %s) and let it get what the endpoint needs, or "
                           "fix api_key_from.service_account" % (name, namespace)) from None
    token = ((answer.get("status") or {}).get("token") or "").strip()
    if not token:
        raise CredentialError("%s: the TokenRequest for %s answered without a token: check that the cluster issues "
                              "ServiceAccount tokens (TokenRequest API)" % (endpoint, what))
    return token


def resolve_ca(client, spec, endpoint):
    """The PEM text of the CA bundle ``spec`` names, checked to hold at least one certificate."""
    problem = ca_spec_problem(spec, "ca_from")
    if problem:
        raise CredentialError("%s: %s" % (endpoint, problem))
    if spec.get("ingress"):
        namespace, name, key = INGRESS_CA
        what = "ConfigMap %s/%s (the OpenShift ingress CA)" % (namespace, name)
        obj = _get(client, "/api/v1/namespaces/%s/configmaps/%s" % (namespace, name), endpoint, what, "configmaps",
                   namespace, "this is not an OpenShift cluster, or its ingress operator has not published the CA: "
                   "name the CA's configmap or secret instead")
        binary = False
    else:
        kind = _spec_kind(spec, ("configmap", "secret"))
        namespace, name = _object_ref(spec[kind], kind, endpoint, "ca_from")
        key = spec.get("key") or DEFAULT_CA_KEYS[kind]
        binary = kind == "secret"
        what = "%s %s/%s" % ("Secret" if binary else "ConfigMap", namespace, name)
        plural = "secrets" if binary else "configmaps"
        hint = ("every namespace of OpenShift has the ConfigMap openshift-service-ca.crt (key service-ca.crt); "
                "fix ca_from.%s" % kind) if not binary else "fix ca_from.secret"
        obj = _get(client, "/api/v1/namespaces/%s/%s/%s" % (namespace, plural, name), endpoint, what, plural,
                   namespace, hint)
    pem = _data_value(obj, key, binary, endpoint, what, "set ca_from.key to the key that holds the PEM bundle")
    if not pem_certificates(pem):
        raise CredentialError("%s: %s key %r does not hold a PEM certificate (-----BEGIN CERTIFICATE-----): "
                              "name the key that holds the CA bundle" % (endpoint, what, key))
    return pem


def pem_certificates(text):
    """How many well-formed PEM certificate blocks ``text`` holds."""
    count = 0
    for block in PEM_BLOCK.findall(text or ""):
        try:
            base64.b64decode("".join(block.split()), validate=True)
        except (binascii.Error, ValueError):
            return 0
        count += 1
    return count


def write_ca_file(pem, directory, side):
    """Write ``pem`` to a new file readable only by its owner (0600) in ``directory``; return its path."""
    path = os.path.join(directory, "%s-ca.pem" % side)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(pem if pem.endswith("\n") else pem + "\n")
    return path


def endpoint_name(side, model):
    """How the messages name an endpoint: "candidate of model 'minilm'", "reference of model 'minilm'"."""
    return "%s of model '%s'" % (side, model or "?")


def resolve_endpoint(client, side, model, token_spec=None, ca_spec=None, directory=None):
    """``(token or None, CA file path or None)`` of one endpoint; the CA is written under ``directory``."""
    endpoint = endpoint_name(side, model)
    token = resolve_token(client, token_spec, endpoint) if token_spec else None
    ca_file = None
    if ca_spec:
        ca_file = write_ca_file(resolve_ca(client, ca_spec, endpoint), directory, side)
    return token, ca_file


# The connection settings of community.okd.openshift_auth's result that the checks' ``kubernetes`` option takes.
LOGIN_SETTINGS = ("host", "api_key", "validate_certs", "ca_cert")


def login_kubernetes(openshift_auth):
    """The checks' ``kubernetes`` option from a username/password login (``openshift_auth`` of
    community.okd.openshift_auth's result, as tasks/openshift_login.yml registers it; {} or None without a login):
    its API server, token and certificate check, the settings it left empty left out, so the kubeconfig or the
    ``K8S_AUTH_*`` variables apply where it gives nothing."""
    return {name: value for name, value in (openshift_auth or {}).items()
            if name in LOGIN_SETTINGS and value not in (None, "")}

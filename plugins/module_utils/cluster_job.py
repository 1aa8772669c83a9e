# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""A role of this collection run as a Job inside the cluster, its records handed back (the ``benchmark_job`` and
``check_job`` modules' shared logic).

From a laptop or an AWX pod the servers are reached through the router, when they are reachable at all: a KServe
predictor that is not exposed has only its in-cluster URL, and a benchmark measured through the router measures the
router. A :class:`JobPurpose` names what differs between the two uses (the role, its variables, the records, the
deadline); the rest is here. ``start`` applies, in the migration's namespace and owned by the collection
(``owned_object.OwnedObjects``):

- a ServiceAccount whose token only the Job's pod mounts;
- a Role allowing ``get``, ``update`` and ``patch`` of one ConfigMap, by ``resourceNames`` (no ``create``,
  no ``list``, nothing else), and its RoleBinding to the ServiceAccount;
- that result ConfigMap, empty (created here, so the Role needs no ``create``; emptied before each new Job);
- a ConfigMap with the parameters: the role's variables, the vLLM endpoints rewritten to their in-cluster Service
  URLs (``service_url``) and each reference to its ``internal_url`` when it has one. No API key: vLLM's key
  reaches the pod from the servers' own Secret, other keys from a Secret of the Job's;
- the Job: restricted pod (non-root, no capabilities, RuntimeDefault seccomp, no privilege escalation, read-only
  root), resources, ``backoffLimit: 0``, ``activeDeadlineSeconds`` from the expected duration and a TTL. Its
  container runs ``ansible-playbook vllm_pooling.migration.run_in_job`` with the role's name, which runs that role
  on the parameters and writes its records into the result ConfigMap.

A Job of that name that runs with the same parameters is left running (a second start changes nothing); one
that runs with other parameters is refused; a finished one is replaced. ``collect`` reads the Job and the result
ConfigMap: not done yet, done with the records, or failed with the reason (the Job's condition, its pod's state
and the last lines of its log) and an error record for each model.

The modules adapt kubernetes.core's client to ``JobCluster``; everything else here is plain functions.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import re
import time

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    COLLECTION, COMMON_LABELS, COMPONENT_LABEL)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.diagnosis import IMAGE_PULL_WAITING_REASONS
from ansible_collections.vllm_pooling.migration.plugins.module_utils.owned_object import (
    CREATED, OwnedObjects, describe, outcome)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.ownership import FOREIGN, object_owner
from ansible_collections.vllm_pooling.migration.plugins.module_utils.storage_plan import RESTRICTED_CONTAINER, RESTRICTED_POD

PLAYBOOK = COLLECTION + ".run_in_job"
PARAMETERS_KEY = "parameters.json"
RESULT_KEY = "results.json"
CA_DIR = "/etc/vllm-migration/ca"
# Environment of the Job's container that carries API keys (from Secrets, never from the parameters).
CANDIDATE_KEY_ENV = "VLLM_API_KEY"
REFERENCE_KEYS_ENV = "VLLM_MIGRATION_REFERENCE_API_KEYS"
CANDIDATE_KEY = "candidate-api-key"
REFERENCE_KEYS = "reference-api-keys"
# What an endpoint or reference record may carry into the parameters.
ENDPOINT_FIELDS = ("status", "served_name", "reason", "server", "namespace", "image", "platform", "weights_digest",
                   "weights_source", "weights_note", "weights_claim", "model_root")
REFERENCE_FIELDS = ("type", "model")
LOG_TAIL_LINES = 40
# A waiting container in one of these states does not start by waiting: the Job is failed at once.
HOPELESS_WAITING = frozenset(IMAGE_PULL_WAITING_REASONS | {"CreateContainerConfigError", "CreateContainerError"})
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"


class JobError(Exception):
    """A failure to name in the task's message: the Job or object, what happened, what to do."""


class JobPurpose(object):
    """What one kind of Job runs and returns.

    ``role``: the collection's role the Job runs (its variables start with ``<role>_``); ``reserved``: the role's
    variables the module sets itself; ``result_schema``/``record_schema``: what the result ConfigMap and each record
    carry; ``models(parameters)``: the models the Job works on (none: no Job); ``expected_seconds(parameters)``: how
    long it may take; ``record_noun``: what the records are, in words; ``records(parameters, reason, advisory,
    started)``: a record per model when the Job gave none (``started`` False: check mode, nothing ran; True: it
    failed)."""

    def __init__(self, role, noun, name, component, result_schema, record_schema, reserved, models,
                 expected_seconds, records, image_needs, record_noun):
        self.role, self.noun, self.name, self.component = role, noun, name, component
        self.record_noun = record_noun
        self.result_schema, self.record_schema = result_schema, record_schema
        self.reserved = tuple(reserved)
        self.models, self.expected_seconds, self.records = models, expected_seconds, records
        self.image_needs = image_needs
        self.parameters_dir = "/etc/vllm-migration/%s" % component
        # what a running Job was started with (the benchmark's name predates the other purposes)
        self.digest_annotation = "vllm-migration/%s-parameters" % component
        self.container = component


def object_names(name, noun="Job"):
    """The names of the objects of one Job."""
    if not _DNS_LABEL.match(name or "") or len(name) > 52:
        raise JobError("%s Job name %r: use lower-case letters, digits and '-', at most 52 characters (the "
                       "ConfigMaps add -parameters)" % (noun, name))
    return {"job": name, "service_account": name, "role": name, "role_binding": name,
            "parameters": name + "-parameters", "result": name + "-result", "keys": name + "-keys"}


def check_settings(settings, purpose):
    """Refuse settings that are not the role's own options, or that the module sets itself."""
    prefix = purpose.role + "_"
    problems = [key for key in settings if not str(key).startswith(prefix) or key in purpose.reserved]
    if problems:
        raise JobError("settings may hold only the %s role's own options (%s*), not %s: those the module sets itself "
                       "(%s) or anything else" % (purpose.role, prefix, ", ".join(sorted(map(str, problems))),
                                                  ", ".join(purpose.reserved)))
    try:
        json.dumps(settings)
    except (TypeError, ValueError) as exc:
        raise JobError("settings must be plain data (they go into a ConfigMap as JSON): %s" % exc)


def selected(records, models):
    """The records of the selected models (all when ``models`` is None)."""
    return {key: value for key, value in (records or {}).items() if models is None or key in models}


def selected_models(settings, role):
    """The ``<role>_models`` setting as a list, or None (every model)."""
    models = (settings or {}).get(role + "_models")
    return list(models) if isinstance(models, (list, tuple)) else None


def job_candidates(candidates, models=None, noun="Job", fallback=""):
    """The endpoint records as the Job sees them: ``url`` is the in-cluster ``service_url``. A ready endpoint
    without one cannot be reached from the Job: JobError, naming the model and what to do (``fallback``)."""
    rewritten = {}
    for key, endpoint in sorted(selected(candidates, models).items()):
        endpoint = endpoint or {}
        record = {field: endpoint[field] for field in ENDPOINT_FIELDS if endpoint.get(field) is not None}
        if endpoint.get("status") == "ready":
            if not endpoint.get("service_url"):
                raise JobError("the vLLM endpoint of '%s' has no service_url (the in-cluster URL of its Service), so the "
                               "%s Job cannot reach it: provision it with the vllm_server role of this version%s"
                               % (key, noun, ", or " + fallback if fallback else ""))
            record["url"] = endpoint["service_url"]
        rewritten[key] = record
    return rewritten


def reference_key(key, reference, environ=None, read_token=None):
    """The API key of model ``key``'s reference: its ``api_key``, else the token its ``api_key_from`` names, read
    with ``read_token(key, spec)`` (from the cluster, as the checks read it), else the value of the controller's
    variable ``api_key_env`` in ``environ`` (default: this process' environment), else None. A named variable that is
    empty or not set is a ``JobError``."""
    if reference.get("api_key"):
        return reference["api_key"]
    if reference.get("api_key_from") and read_token is not None:
        return read_token(key, reference["api_key_from"])
    name = reference.get("api_key_env")
    if not name:
        return None
    value = (os.environ if environ is None else environ).get(name, "")
    if not value:
        raise JobError("model '%s': the reference's token is read from the environment variable %s (api_key_env), "
                       "which is empty or not set on the controller: export it before the run (oc create token "
                       "<serviceaccount> -n <namespace>), or give the reference's api_key" % (key, name))
    return value


def job_references(references, models=None, environ=None, read_token=None, fields=REFERENCE_FIELDS):
    """``(references, api_keys)``: each reference without its API key, its URL the ``internal_url`` when given
    (for example ``http://<isvc>-predictor.<namespace>.svc.cluster.local``), else its ``url``; the keys apart
    (``reference_key``, with ``read_token`` for an ``api_key_from``). Nothing of the controller's files (a
    ``ca_path``, a ``weights_path``) goes along: the pod has none of them (it trusts the CA ConfigMap it mounts)."""
    rewritten, keys = {}, {}
    for key, reference in sorted(selected(references, models).items()):
        reference = reference or {}
        record = {field: reference[field] for field in fields if reference.get(field)}
        url = reference.get("internal_url") or reference.get("url")
        if url:
            record["url"] = url
        api_key = reference_key(key, reference, environ, read_token)
        if api_key:
            keys[key] = api_key
        rewritten[key] = record
    return rewritten, keys


def api_key_secret(candidates, models, noun="Job"):
    """The one Secret the selected servers read their API key from ('' when none does)."""
    secrets = sorted({(endpoint or {}).get("api_key_secret") for key, endpoint in (candidates or {}).items()
                      if (models is None or key in models) and (endpoint or {}).get("api_key_secret")})
    if len(secrets) > 1:
        raise JobError("the selected vLLM servers read their API key from different Secrets (%s); the %s Job reads "
                       "one: run them in separate runs" % (", ".join(secrets), noun))
    return secrets[0] if secrets else ""


def digest(*parts):
    """The first 16 hex digits of the sha256 of the parts as canonical JSON: what a Job was started with."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()[:16]


class JobSpec(object):
    """What one start applies: names, image, parameters, keys and the pod's settings (the module's options)."""

    purpose = None

    def __init__(self, namespace, image, parameters, name=None, reference_keys=None, candidate_api_key="",
                 api_key_secret="", api_key_secret_key="api-key", resources=None, ttl=86400, deadline=0,
                 deadline_margin=600, image_pull_secrets=(), run_as_user=0, ca_configmap="", ca_key="ca-bundle.crt",
                 labels=None, purpose=None, tolerations=()):
        self.purpose = purpose or self.purpose
        if not image:
            raise JobError("no image for the %s Job: set %s_job_image to an image with %s (the collection's execution "
                           "environment, execution-environment.yml; none is published)"
                           % (self.purpose.noun, self.purpose.role, self.purpose.image_needs))
        self.namespace, self.image, self.parameters = namespace, image, parameters
        self.names = object_names(name or self.purpose.name, self.purpose.noun)
        self.reference_keys = dict(reference_keys or {})
        self.candidate_api_key, self.api_key_secret, self.api_key_secret_key = (
            candidate_api_key or "", api_key_secret or "", api_key_secret_key)
        self.resources = resources or {}
        self.ttl, self.image_pull_secrets, self.run_as_user = int(ttl), list(image_pull_secrets or []), int(run_as_user)
        self.ca_configmap, self.ca_key = ca_configmap or "", ca_key
        self.tolerations = [dict(t) for t in tolerations or []]
        self.labels = dict(labels or {}, **{COMPONENT_LABEL: self.purpose.component})
        self.expected = self.purpose.expected_seconds(parameters)
        self.deadline = int(deadline) if deadline else self.expected + int(deadline_margin)
        if self.ca_configmap:
            self.parameters = dict(self.parameters, **{self.purpose.role + "_ca_path": "%s/%s" % (CA_DIR, self.ca_key)})

    def keys(self):
        """The data of the Job's own key Secret (empty: no Secret): the candidate's key when the servers' Secret
        does not hold it, and the references' keys as one JSON document."""
        data = {}
        if self.candidate_api_key and not self.api_key_secret:
            data[CANDIDATE_KEY] = self.candidate_api_key
        if self.reference_keys:
            data[REFERENCE_KEYS] = json.dumps(self.reference_keys, sort_keys=True)
        return data

    def parameters_digest(self):
        """What the Job runs: parameters, image, pod settings and which keys it reads (not their values)."""
        return digest(self.parameters, self.image, self.resources, self.deadline, self.ttl, self.image_pull_secrets,
                      self.run_as_user, self.ca_configmap, self.ca_key, self.api_key_secret, sorted(self.keys()),
                      self.tolerations)

    def _metadata(self, name):
        return {"name": name, "namespace": self.namespace, "labels": dict(self.labels)}

    def objects(self):
        """Every object but the Job, in the order they are applied."""
        names = self.names
        objects = [
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": self._metadata(names["service_account"]),
             "automountServiceAccountToken": False},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": self._metadata(names["role"]),
             "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [names["result"]],
                        "verbs": ["get", "update", "patch"]}]},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": self._metadata(names["role_binding"]),
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": names["role"]},
             "subjects": [{"kind": "ServiceAccount", "name": names["service_account"], "namespace": self.namespace}]},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": self._metadata(names["result"])},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": self._metadata(names["parameters"]),
             "data": {PARAMETERS_KEY: json.dumps(self.parameters, indent=1, sort_keys=True)}},
        ]
        keys = self.keys()
        if keys:
            objects.append({"apiVersion": "v1", "kind": "Secret", "metadata": self._metadata(names["keys"]),
                            "type": "Opaque", "data": {key: base64.b64encode(value.encode("utf-8")).decode("ascii")
                                                       for key, value in sorted(keys.items())}})
        return objects

    def _env(self):
        env = [{"name": "HOME", "value": "/tmp/home"}, {"name": "ANSIBLE_LOCAL_TEMP", "value": "/tmp/ansible"},
               {"name": "ANSIBLE_NOCOLOR", "value": "1"}, {"name": "MPLCONFIGDIR", "value": "/tmp/matplotlib"},
               {"name": "PYTHONUNBUFFERED", "value": "1"}]
        if self.api_key_secret:
            env.append({"name": CANDIDATE_KEY_ENV, "valueFrom": {"secretKeyRef": {
                "name": self.api_key_secret, "key": self.api_key_secret_key}}})
        keys = self.keys()
        for env_name, key in ((CANDIDATE_KEY_ENV, CANDIDATE_KEY), (REFERENCE_KEYS_ENV, REFERENCE_KEYS)):
            if key in keys:
                env.append({"name": env_name, "valueFrom": {"secretKeyRef": {"name": self.names["keys"], "key": key}}})
        return env

    def command(self):
        """What the container runs: the in-Job playbook on the mounted parameters, for this purpose's role."""
        return ["ansible-playbook", PLAYBOOK,
                "-e", "vllm_migration_job_role=%s" % self.purpose.role,
                "-e", "vllm_migration_job_parameters_file=%s/%s" % (self.purpose.parameters_dir, PARAMETERS_KEY),
                "-e", "vllm_migration_job_result_configmap=%s" % self.names["result"],
                "-e", "vllm_migration_namespace=%s" % self.namespace]

    def pod_files(self):
        """``(volumes, mounts, affinity)`` a purpose adds to the pod for files it reads (none here)."""
        return [], [], {}

    def job(self):
        """The Job's manifest."""
        names = self.names
        volumes_added, mounts_added, affinity = self.pod_files()
        mounts = [{"name": "parameters", "mountPath": self.purpose.parameters_dir, "readOnly": True},
                  {"name": "tmp", "mountPath": "/tmp"}] + mounts_added
        volumes = [{"name": "parameters", "configMap": {"name": names["parameters"],
                                                        "items": [{"key": PARAMETERS_KEY, "path": PARAMETERS_KEY}]}},
                   {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}] + volumes_added
        if self.ca_configmap:
            mounts.append({"name": "ca", "mountPath": CA_DIR, "readOnly": True})
            volumes.append({"name": "ca", "configMap": {"name": self.ca_configmap,
                                                        "items": [{"key": self.ca_key, "path": self.ca_key}]}})
        pod_security = copy.deepcopy(RESTRICTED_POD)
        if self.run_as_user:
            pod_security.update(runAsUser=self.run_as_user, fsGroup=self.run_as_user)
        pod = {
            "serviceAccountName": names["service_account"],
            # the token writes the result ConfigMap; the ServiceAccount itself mounts none elsewhere
            "automountServiceAccountToken": True,
            "restartPolicy": "Never",
            "securityContext": pod_security,
            "containers": [{
                "name": self.purpose.container, "image": self.image,
                "command": self.command(),
                "env": self._env(),
                "resources": self.resources,
                "securityContext": dict(copy.deepcopy(RESTRICTED_CONTAINER), readOnlyRootFilesystem=True),
                "volumeMounts": mounts,
            }],
            "volumes": volumes,
        }
        if affinity:
            pod["affinity"] = affinity
        if self.tolerations:
            pod["tolerations"] = copy.deepcopy(self.tolerations)
        if self.image_pull_secrets:
            pod["imagePullSecrets"] = [{"name": secret} for secret in self.image_pull_secrets]
        metadata = self._metadata(names["job"])
        metadata["annotations"] = {self.purpose.digest_annotation: self.parameters_digest()}
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": {
            "backoffLimit": 0, "activeDeadlineSeconds": self.deadline, "ttlSecondsAfterFinished": self.ttl,
            "template": {"metadata": {"labels": dict(self.labels, **COMMON_LABELS)}, "spec": pod}}}


def job_state(job):
    """``(state, reason)`` of a Job as the API returns it: ``succeeded``, ``failed`` (with the controller's reason)
    or ``running`` (no terminal condition yet)."""
    status = (job or {}).get("status") or {}
    for condition in status.get("conditions") or []:
        if str(condition.get("status")) != "True":
            continue
        if condition.get("type") == "Complete":
            return SUCCEEDED, ""
        if condition.get("type") == "Failed":
            text = ": ".join(str(part) for part in (condition.get("reason"), condition.get("message")) if part)
            return FAILED, text or "the Job failed"
    if status.get("succeeded"):
        return SUCCEEDED, ""
    if status.get("failed"):
        return FAILED, "its pod failed (backoffLimit 0: no retry)"
    return RUNNING, ""


def pod_states(pods):
    """One short line per pod: phase, and each container's waiting or terminated state."""
    lines = []
    for pod in pods or []:
        name = (pod.get("metadata") or {}).get("name", "?")
        status = pod.get("status") or {}
        parts = ["phase %s" % status.get("phase", "unknown")]
        for container in status.get("containerStatuses") or []:
            state = container.get("state") or {}
            if state.get("waiting"):
                parts.append("waiting: %s" % _reason(state["waiting"]))
            if state.get("terminated"):
                term = state["terminated"]
                parts.append("terminated: %s, exit code %s" % (_reason(term), term.get("exitCode")))
        lines.append("pod %s: %s" % (name, ", ".join(parts)))
    return lines


def _reason(state):
    return " ".join(str(part) for part in (state.get("reason"), state.get("message")) if part) or "no reason given"


def hopeless(pods, events):
    """Why a Job that still runs cannot succeed by waiting ('' when it can): its container waits in a state that
    waiting does not change (the image cannot be pulled, the container cannot be configured), or the Job controller
    cannot create its pod (a quota, admission)."""
    for pod in pods or []:
        for container in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in HOPELESS_WAITING:
                return "pod %s cannot start: %s" % ((pod.get("metadata") or {}).get("name", "?"), _reason(waiting))
    if not pods:
        refused = [e for e in events or [] if e.get("reason") == "FailedCreate"]
        if refused:
            return "the Job controller cannot create its pod: %s" % (refused[-1].get("message") or "FailedCreate")
    return ""


def log_tail(text, lines=LOG_TAIL_LINES):
    """The last ``lines`` non-empty lines of a log."""
    kept = [line for line in str(text or "").splitlines() if line.strip()]
    return kept[-lines:]


def read_result(configmap, purpose, name=""):
    """The records the Job wrote into its result ConfigMap; JobError when there are none or they are not what the
    in-Job playbook writes for ``purpose``."""
    text = ((configmap or {}).get("data") or {}).get(RESULT_KEY)
    where = "ConfigMap %s" % name if name else "the result ConfigMap"
    if not text:
        raise JobError("%s holds no %s" % (where, RESULT_KEY))
    try:
        result = json.loads(text)
    except ValueError as exc:
        raise JobError("%s: %s is not JSON (%s)" % (where, RESULT_KEY, exc))
    if (not isinstance(result, dict) or result.get("schema") != purpose.result_schema
            or not isinstance(result.get("records"), dict)):
        raise JobError("%s: %s is not a result of the %s Job (schema %s)"
                       % (where, RESULT_KEY, purpose.noun, purpose.result_schema))
    wrong = sorted(key for key, record in result["records"].items()
                   if not isinstance(record, dict) or record.get("schema") != purpose.record_schema)
    if wrong:
        raise JobError("%s: not %s records: %s" % (where, purpose.record_noun, ", ".join(wrong)))
    return result["records"]


def parameters_of(configmap):
    """The parameters a Job was started with, from its parameters ConfigMap ({} when unreadable)."""
    try:
        return json.loads(((configmap or {}).get("data") or {}).get(PARAMETERS_KEY) or "{}")
    except ValueError:
        return {}


class JobCluster(object):
    """The reads and writes of a Job through kubernetes.core's client (``resource``, ``get``, ``apply``,
    ``delete``, ``patch``), in one namespace. Reads answer plain dicts (None when absent); failures are JobError."""

    KINDS = {"Job": "batch/v1", "ConfigMap": "v1", "Pod": "v1", "Event": "v1"}

    def __init__(self, client, namespace, check_mode=False):
        self.client, self.namespace, self.check_mode = client, namespace, check_mode
        self.owned = OwnedObjects(client, check_mode=check_mode, on_foreign="fail")

    def _resource(self, kind):
        try:
            return self.client.resource(kind, self.KINDS[kind])
        except Exception as exc:  # pylint: disable=broad-exception-caught  # discovery failed: API unreachable
            raise JobError("the API does not serve %s %s (%s)" % (self.KINDS[kind], kind, _why(exc)))

    def get(self, kind, name):
        try:
            found = self.client.get(self._resource(kind), name=name, namespace=self.namespace)
        except JobError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if getattr(exc, "status", None) == 404:
                return None
            raise JobError("could not read %s %s/%s (%s)" % (kind, self.namespace, name, _why(exc)))
        return _plain(found)

    def items(self, kind, **selectors):
        try:
            found = self.client.get(self._resource(kind), namespace=self.namespace, **selectors)
        except JobError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            raise JobError("could not list %s in namespace %s (%s)" % (kind, self.namespace, _why(exc)))
        return (_plain(found) or {}).get("items") or []

    def log(self, pod, container, tail_lines=LOG_TAIL_LINES):
        """A container's log, or '' when the API has none (a container that never started answers 400)."""
        try:
            response = self._resource("Pod").log.get(name=pod, namespace=self.namespace, serialize=False,
                                                     query_params={"container": container, "tailLines": tail_lines})
        except Exception:  # pylint: disable=broad-exception-caught  # no log is evidence too
            return ""
        data = getattr(response, "data", response)
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data or "")

    def apply(self, definition):
        return self.owned.apply(definition)

    def delete_job(self, name, wait=30, sleep=time.sleep):
        """Delete a finished Job of ours with its pods (Background propagation) and wait until it is gone, so that a
        new Job of that name can be created."""
        try:
            self.client.delete(self._resource("Job"), name=name, namespace=self.namespace,
                               body={"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"})
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if getattr(exc, "status", None) != 404:
                raise JobError("could not delete the finished Job %s/%s (%s)" % (self.namespace, name, _why(exc)))
        for _attempt in range(int(wait)):
            if self.get("Job", name) is None:
                return
            sleep(1)
        raise JobError("the finished Job %s/%s was deleted but is still there after %d s (a finalizer?): start again "
                       "once it is gone" % (self.namespace, name, wait))

    def empty(self, configmap):
        """Remove the result a previous Job wrote (a JSON merge patch of ``data: null``)."""
        try:
            self.client.patch(self._resource("ConfigMap"), {"data": None}, name=configmap, namespace=self.namespace,
                              content_type="application/merge-patch+json")
        except Exception as exc:  # pylint: disable=broad-exception-caught
            raise JobError("could not empty ConfigMap %s/%s for the new Job (%s)" % (self.namespace, configmap, _why(exc)))


def _plain(answer):
    return answer.to_dict() if hasattr(answer, "to_dict") else answer


def _why(exc):
    status, reason = getattr(exc, "status", None), getattr(exc, "reason", None)
    return ("%s %s" % (status, reason or exc) if status else str(exc)).strip()


def _ours_or_refuse(obj, what, role):
    if object_owner(obj) == FOREIGN:
        raise JobError("%s exists and was not created by this collection: it is left alone. Delete it, or give the "
                       "Job another name (%s_job_name)" % (what, role))


def start(cluster, spec):
    """Apply what the Job needs and start it, attach to the same Job already running, or replace a finished one.

    Returns ``{action, changed, job, results, msg}``: ``action`` is ``created``, ``replaced``, ``running`` (the
    same parameters run already: nothing started) or ``not_started`` (no model to work on: nothing applied),
    ``results`` the outcome of every object (owned_object's)."""
    names, job, purpose = spec.names, spec.job(), spec.purpose
    if not purpose.models(spec.parameters):
        return {"action": "not_started", "changed": False, "results": [], "job": None,
                "msg": "no selected model has a ready vLLM endpoint and a server reference (or the %s is turned off): "
                       "no %s Job was started" % (purpose.noun, purpose.noun)}
    wanted = job["metadata"]["annotations"][purpose.digest_annotation]
    found = cluster.get("Job", names["job"])
    where = "Job %s/%s" % (spec.namespace, names["job"])
    _ours_or_refuse(found, where, purpose.role)
    state, _reason_text = job_state(found) if found else (None, "")
    if state == RUNNING:
        running = ((found.get("metadata") or {}).get("annotations") or {}).get(purpose.digest_annotation)
        if running != wanted:
            raise JobError("%s is running with other parameters (%s, these are %s); two %s Jobs at once would load "
                           "the servers together. Wait for it to finish, or stop it: kubectl delete job %s -n %s"
                           % (where, running or "unknown", wanted, purpose.noun, names["job"], spec.namespace))
    results = [cluster.apply(obj) for obj in spec.objects()]
    if state == RUNNING:
        return {"action": "running", "changed": any(r["changed"] for r in results), "results": results,
                "job": found, "msg": "%s is already running with these parameters: collecting it" % where}
    action = "replaced" if found else "created"
    if cluster.check_mode:
        # a finished Job's template cannot be changed, not even in a dry run: say what a real run does
        created = (outcome(CREATED, job, check_mode=True, note="the finished Job of that name would be deleted first")
                   if found else cluster.apply(job))
    else:
        result_cm = next(r["object"] for r in results if r["object"]["metadata"]["name"] == names["result"])
        if found:
            cluster.delete_job(names["job"])
        if result_cm.get("data") or found:
            cluster.empty(names["result"])
        created = cluster.apply(job)
    verb = {"replaced": "would replace the finished" if cluster.check_mode else "replaced the finished",
            "created": "would create" if cluster.check_mode else "created"}[action]
    return {"action": action, "changed": True, "results": results + [created], "job": created["object"],
            "msg": "%s %s (deadline %d s)" % (verb, where, spec.deadline)}


def collect(cluster, purpose, name=None, advisory=False):
    """The Job's outcome: ``{done, state, records, msg, pods}``. Not done while it runs (and may still succeed);
    done with the records it wrote, or done and ``failed`` with the reason and error records for its models."""
    names = object_names(name or purpose.name, purpose.noun)
    where = "Job %s/%s" % (cluster.namespace, names["job"])
    parameters = parameters_of(cluster.get("ConfigMap", names["parameters"]))
    found = cluster.get("Job", names["job"])
    if found is None:
        if cluster.check_mode:
            reason = "check mode: the %s Job was not started" % purpose.noun
            return {"done": True, "state": "not_started", "pods": [], "msg": "%s was not started (check mode)" % where,
                    "records": purpose.records(parameters, reason, advisory, False)}
        raise JobError("there is no %s: start it first (state=started)" % where)
    _ours_or_refuse(found, where, purpose.role)
    state, reason = job_state(found)
    pods = cluster.items("Pod", label_selector="job-name=%s" % names["job"])
    if state == RUNNING and cluster.check_mode:
        reason = "check mode: a %s Job is running and was not waited for" % purpose.noun
        return {"done": True, "state": RUNNING, "records": purpose.records(parameters, reason, advisory, False),
                "pods": pod_states(pods), "msg": "%s is running; check mode does not wait for it" % where}
    if state == RUNNING:
        events = cluster.items("Event", field_selector="involvedObject.name=%s" % names["job"]) if not pods else []
        stuck = hopeless(pods, events)
        if not stuck:
            return {"done": False, "state": RUNNING, "records": {}, "pods": pod_states(pods),
                    "msg": "%s is running: %s" % (where, "; ".join(pod_states(pods)) or "no pod yet")}
        state, reason = FAILED, stuck
    if state == SUCCEEDED:
        try:
            records = read_result(cluster.get("ConfigMap", names["result"]), purpose, names["result"])
        except JobError as exc:
            state, reason = FAILED, "it completed but left no records: %s" % exc
        else:
            verdicts = ", ".join("%s %s" % (key, record.get("status")) for key, record in sorted(records.items()))
            return {"done": True, "state": SUCCEEDED, "records": records, "pods": pod_states(pods),
                    "msg": "%s finished: %s" % (where, verdicts)}
    lines = []
    for pod in pods:
        lines += log_tail(cluster.log((pod.get("metadata") or {}).get("name", ""), purpose.container))
    state_text = "; ".join(pod_states(pods)) or "It has no pod."
    if lines:
        state_text += " Last log lines:\n" + "\n".join(lines[-LOG_TAIL_LINES:])
    message = "%s failed: %s. %s" % (where, reason, state_text)
    message += ("\nWhat to check: the image (%s_job_image) must hold %s; kubectl describe job %s -n %s; kubectl logs "
                "job/%s -n %s" % (purpose.role, purpose.image_needs, names["job"], cluster.namespace, names["job"],
                                  cluster.namespace))
    return {"done": True, "state": FAILED, "pods": pod_states(pods), "log": lines, "msg": message,
            "records": purpose.records(parameters, "the %s Job failed: %s. %s" % (purpose.noun, reason, state_text),
                                       advisory, True)}


def describe_objects(results):
    """``Kind namespace/name: action`` of each applied object."""
    return ["%s: %s" % (describe(r["object"]), r["action"]) for r in results]


# --- what the two modules share: their options, the tokens they read and hide, their results ----------------------

def argument_spec(name):
    """The options every Job module has (``name``: the default Job name); the module adds kubernetes_options."""
    return dict(
        state=dict(type="str", choices=["started", "collected"], default="started"),
        namespace=dict(type="str", required=True),
        name=dict(type="str", default=name),
        image=dict(type="str", default=""),
        candidates=dict(type="dict", default={}),
        references=dict(type="dict", default={}),
        settings=dict(type="dict", default={}),
        platform=dict(type="str", choices=["openshift", "kubernetes"], default="openshift"),
        candidate_api_key=dict(type="str", no_log=True),
        api_key_secret_key=dict(type="str", default="api-key", no_log=False),
        resources=dict(type="dict", default={"requests": {"cpu": "1", "memory": "1Gi"},
                                             "limits": {"cpu": "2", "memory": "2Gi"}}),
        ttl=dict(type="int", default=86400),
        deadline=dict(type="int", default=0),
        deadline_margin=dict(type="int", default=600),
        image_pull_secrets=dict(type="list", elements="str", default=[], no_log=False),
        run_as_user=dict(type="int", default=0),
        ca_configmap=dict(type="str", default=""),
        ca_key=dict(type="str", default="ca-bundle.crt", no_log=False),
        tolerations=dict(type="list", elements="dict", default=[]),
        advisory=dict(type="bool", default=False),
    )


def token_reader(client, hide):
    """``read_token(key, spec)`` for the references' ``api_key_from``: the token from the cluster, passed to
    ``hide`` (the module's no_log values), read once per model; a token that cannot be read is a JobError naming
    the reference and the fix."""
    from ansible_collections.vllm_pooling.migration.plugins.module_utils import cluster_credentials
    read = {}

    def read_token(key, spec):
        if key not in read:
            try:
                token = cluster_credentials.resolve_token(client, spec, cluster_credentials.endpoint_name("reference", key))
            except cluster_credentials.CredentialError as exc:
                raise JobError(str(exc)) from None
            hide(token)
            read[key] = token
        return read[key]
    return read_token


def hide_reference_keys(references, hide):
    """Pass the references' tokens, given or read from the controller's environment (api_key_env), to ``hide``. A
    variable that is not set hides nothing here; job_references fails on it, naming it."""
    for key, reference in (references or {}).items():
        try:
            api_key = reference_key(key, reference) if isinstance(reference, dict) else None
        except JobError:
            api_key = None
        if api_key:
            hide(str(api_key))


def job_spec(params, spec_class, parameters, reference_keys):
    """The ``spec_class`` (a JobSpec of one purpose) the module's options and the built parameters describe."""
    models = selected_models(parameters, spec_class.purpose.role)
    return spec_class(
        params["namespace"], params["image"], parameters, name=params["name"], reference_keys=reference_keys,
        candidate_api_key=params["candidate_api_key"],
        api_key_secret=api_key_secret(params["candidates"], models, spec_class.purpose.noun),
        api_key_secret_key=params["api_key_secret_key"], resources=params["resources"], ttl=params["ttl"],
        deadline=params["deadline"], deadline_margin=params["deadline_margin"],
        image_pull_secrets=params["image_pull_secrets"], run_as_user=params["run_as_user"],
        ca_configmap=params["ca_configmap"], ca_key=params["ca_key"], tolerations=params["tolerations"])


def started_result(cluster, spec, paths):
    """Start the Job (``start``) and the module's result: outcome, objects, times and ``urls`` (``paths`` of the
    parameters: per model the URLs the Job calls and the path each takes)."""
    result = start(cluster, spec)
    return dict(changed=result["changed"], outcome=result["action"], job=spec.names["job"],
                objects=describe_objects(result["results"]), expected_seconds=spec.expected,
                deadline_seconds=spec.deadline, urls=paths(spec.parameters), msg=result["msg"],
                diff=[r["diff"] for r in result["results"] if "diff" in r])


def collected_result(cluster, purpose, name, advisory):
    """``(result, failed)``: the module's result of one read of the Job (``collect``), and whether the task fails
    (the Job failed: the result then has its ``log``)."""
    found = collect(cluster, purpose, name, advisory)
    result = dict(changed=False, job=name, done=found["done"], state=found["state"], records=found["records"],
                  pods=found["pods"], msg=found["msg"])
    if found["state"] == FAILED:
        result["log"] = found["log"]
    return result, found["state"] == FAILED


def run_module(module, purpose, spec_class, build_parameters, paths, kubernetes_client, on_collected=None):
    """A Job module's run (``kubernetes_client(module)``: kubernetes.core's client): hide the keys, start the Job
    (``build_parameters(candidates, references, settings, platform, read_token)``) or read it (``on_collected(result)``
    may add to a finished one's result), and exit. Every failure is one message naming the Job, never a traceback."""
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.owned_object import OwnedObjectError
    p = module.params
    hide_reference_keys(p["references"], module.no_log_values.add)
    where = "%s Job %s in namespace %s" % (purpose.noun, p["name"], p["namespace"])
    try:
        client = kubernetes_client(module)
        cluster = JobCluster(client, p["namespace"], check_mode=module.check_mode)
        if p["state"] == "started":
            parameters, keys = build_parameters(p["candidates"], p["references"], p["settings"], p["platform"],
                                                token_reader(client, module.no_log_values.add))
            result = started_result(cluster, job_spec(p, spec_class, parameters, keys), paths)
        else:
            result, failed = collected_result(cluster, purpose, p["name"], p["advisory"])
            if failed:
                module.fail_json(**result)
            if on_collected is not None and result["state"] == SUCCEEDED:
                result = on_collected(result)
    except (JobError, OwnedObjectError) as exc:
        module.fail_json(msg="%s: %s" % (where, exc), job=p["name"])
    except Exception as exc:  # pylint: disable=broad-exception-caught  # never a traceback: name the Job
        module.fail_json(msg="%s: unexpected error: %s" % (where, exc), job=p["name"])
    module.exit_json(**result)

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The cluster side of the cutover as plain functions: what to send, what to save, how to restore.

Every write is a JSON merge patch (RFC 7386) built here from the object as it is now: maps are
merged (a ``None`` removes a key), lists are replaced whole, so a list is always sent complete
(a Deployment's containers with their env, a Route's alternateBackends). The same body gives the
same result on a real API server and on the test emulator, which knows no strategic merge.

- endpoint record: the ConfigMap ``vllm-endpoint-<key>`` consumers read (``endpoint.json`` plus flat
  keys for ``envFrom``), its snapshot and its exact restore;
- state: the ConfigMap ``vllm-cutover-<key>`` holding the cutover state document;
- consumer env: named env vars of consumer Deployments, their snapshot, the patch and the restore;
- route weights: the Route's backends before, the weight steps between the old and the new Service,
  and the restore;
- Caikit retirement: the soak check, the scale-to-zero patch that keeps the replicas to restore, and for a
  Caikit an InferenceService owns (OpenShift AI) KServe's stop annotation and the way back to its previous value.

Nothing here talks to a cluster: the strategies of module_utils/cutover_strategies.py and the Caikit retirement of
module_utils/caikit_retirement.py send what these functions build (module_utils/cutover_io.py).
"""

from __future__ import annotations

import copy
import json
import re

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    COMMON_LABELS, COMPONENT_LABEL, CUTOVER_STATE_SCHEMA, DEPLOYMENT_MODE_ANNOTATION, INFERENCE_SERVICE_API,
    KSERVE_STOP_ANNOTATION, MANAGED_BY, MANAGED_BY_LABEL, MODEL_LABEL)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import CutoverError, parse_time

RECORD_COMPONENT = "cutover-record"
STATE_COMPONENT = "cutover-state"
RECORD_DATA_KEY = "endpoint.json"
STATE_DATA_KEY = "state.json"
# Flat keys of the record ConfigMap, for consumers that read it with envFrom.
RECORD_ENV_KEYS = (("backend", "VLLM_MIGRATION_BACKEND"), ("url", "VLLM_MIGRATION_URL"),
                   ("api", "VLLM_MIGRATION_API"), ("served_name", "VLLM_MIGRATION_MODEL"))
# Consumer env: which record field goes into which variable unless the consumer names its own.
DEFAULT_ENV_NAMES = {"url": "VLLM_MIGRATION_URL", "api": "VLLM_MIGRATION_API", "model": "VLLM_MIGRATION_MODEL"}
_ENV_FIELDS = {"url": "url", "api": "api", "model": "served_name"}
# What a consumer needs besides the address, from objects in its own namespace (a pod can only reference those):
# the API key from a Secret (secretKeyRef, never a value) and the CA that signs vLLM's certificate from a ConfigMap,
# mounted as a file whose path goes into a variable (SSL_CERT_FILE for httpx/openai, REQUESTS_CA_BUNDLE for requests).
# field: (the consumer entry's source setting, its kind, the variable's default name, the source's default key)
CREDENTIAL_FIELDS = {"api_key": ("api_key_secret", "Secret", "VLLM_MIGRATION_API_KEY", "api-key"),
                     "ca_file": ("ca_configmap", "ConfigMap", "VLLM_MIGRATION_CA_FILE", "ca.crt")}
CA_VOLUME = "vllm-migration-ca"
CA_MOUNT_PATH = "/etc/vllm-migration/ca"

# OpenShift Route traffic split: spec.to plus at most 3 alternateBackends, each weight 0-256.
MAX_ALTERNATE_BACKENDS = 3
MAX_WEIGHT = 256
DEFAULT_ROUTE_STEPS = (10, 50, 100)
BALANCE_ANNOTATION = "haproxy.router.openshift.io/balance"
BALANCE = "roundrobin"
SERVER_COMPONENT = "vllm-server"
# Labels with which KServe and odh-model-controller mark what they make for an InferenceService (a Route among them).
INFERENCE_SERVICE_LABELS = ("serving.kserve.io/inferenceservice", "inferenceservice-name")

# Caikit retirement: the replicas to scale back to are kept on the Deployment itself.
RETIRED_REPLICAS_ANNOTATION = "vllm-migration/retired-replicas"
RETIRED_AT_ANNOTATION = "vllm-migration/retired-at"
# Caikit retirement through KServe: the method's name in the note of the model states.
KSERVE_STOP = "kserve_stop"

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


class CutoverClusterError(CutoverError):
    pass


# --- shared helpers ---------------------------------------------------------------------------


def found(value):
    """The object in ``value``: the object itself, or the first one of a ``k8s_info`` result (None when absent)."""
    if not value:
        return None
    if isinstance(value, dict) and "resources" in value and "metadata" not in value:
        return copy.deepcopy((value.get("resources") or [None])[0])
    return copy.deepcopy(value)


def is_ours(obj):
    """Created by this collection (the managed-by label cleanup also goes by)."""
    return ((obj or {}).get("metadata") or {}).get("labels", {}).get(MANAGED_BY_LABEL) == MANAGED_BY


def _meta(obj):
    return (obj or {}).get("metadata") or {}


def _object_name(prefix, key):
    name = (prefix + str(key).replace("_", "-")).lower()
    if len(name) > 253 or not _NAME.match(name):
        raise CutoverClusterError("model '%s': %r is not a valid object name; use a catalog key of letters, digits, "
                                  "'-' and '_'" % (key, name))
    return name


def record_configmap_name(key):
    return _object_name("vllm-endpoint-", key)


def state_configmap_name(key):
    return _object_name("vllm-cutover-", key)


def _labels(component, key):
    return dict(COMMON_LABELS, **{COMPONENT_LABEL: component, MODEL_LABEL: str(key)})


def _map_restore(before, now):
    """A merge-patch map turning ``now`` into ``before``: before's items, None for keys it did not have."""
    patch = {k: None for k in (now or {}) if k not in (before or {})}
    patch.update(copy.deepcopy(before or {}))
    return patch


# --- endpoint record ConfigMap ----------------------------------------------------------------


def record_configmap(record, namespace, existing=None):
    """The record ConfigMap (a merge-patch body that also creates it) pointing consumers at ``record``.

    A ConfigMap of the same name that this collection did not create gets the data only: our labels
    would make cleanup delete it (we never adopt what we did not create).
    """
    existing = found(existing)
    key = record.get("model") or ""
    if not namespace:
        raise CutoverClusterError("model '%s': no namespace for the endpoint record ConfigMap: set cutover_namespace" % key)
    if existing and existing.get("immutable"):
        raise CutoverClusterError("model '%s': ConfigMap %s/%s is immutable, so the record cannot be changed in place; "
                                  "delete it or choose another namespace" % (key, namespace, record_configmap_name(key)))
    data = {RECORD_DATA_KEY: json.dumps(record, indent=2, sort_keys=True) + "\n"}
    for field, name in RECORD_ENV_KEYS:
        data[name] = str(record.get(field, ""))
    metadata = {"name": record_configmap_name(key), "namespace": namespace}
    if existing is None or is_ours(existing):
        metadata["labels"] = _labels(RECORD_COMPONENT, key)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def configmap_snapshot(existing, name, namespace):
    """A ConfigMap as consumers see it: ``{exists: false}`` or its data, labels and annotations, exactly."""
    existing = found(existing)
    snapshot = {"kind": "ConfigMap", "name": name, "namespace": namespace, "exists": existing is not None}
    if existing is not None:
        metadata = _meta(existing)
        snapshot.update(ours=is_ours(existing), data=copy.deepcopy(existing.get("data") or {}),
                        labels=copy.deepcopy(metadata.get("labels") or {}),
                        annotations=copy.deepcopy(metadata.get("annotations") or {}))
    return snapshot


def configmap_restore(previous, current):
    """How to put a ConfigMap back as ``previous`` (configmap_snapshot) found it, from ``current``.

    Returns ``{action, body, reason}``: ``none`` (already so), ``patch`` (data, labels and annotations
    set back exactly; keys added since are removed), ``delete`` (it did not exist and the one there now
    is ours) or ``keep`` (it did not exist but someone else has created one since: never deleted).
    """
    current = found(current)
    ref = {"name": previous["name"], "namespace": previous["namespace"]}
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": dict(ref)}
    if not previous.get("exists"):
        if current is None:
            return {"action": "none", "body": body, "reason": "it did not exist before and does not exist now"}
        if not is_ours(current):
            return {"action": "keep", "body": body,
                    "reason": "ConfigMap %s/%s did not exist before the cutover, and the one there now was not "
                              "created by this collection: left alone" % (ref["namespace"], ref["name"])}
        return {"action": "delete", "body": body, "reason": "it did not exist before the cutover"}
    if current is None:
        body["data"] = copy.deepcopy(previous.get("data") or {})
        body["metadata"].update(labels=copy.deepcopy(previous.get("labels") or {}),
                                annotations=copy.deepcopy(previous.get("annotations") or {}))
        return {"action": "patch", "body": body, "reason": "it was deleted since the cutover: created again as it was"}
    now = configmap_snapshot(current, ref["name"], ref["namespace"])
    if all(now[field] == previous.get(field, {}) for field in ("data", "labels", "annotations")):
        return {"action": "none", "body": body, "reason": "it is as it was before the cutover"}
    body["data"] = _map_restore(previous.get("data"), now["data"])
    body["metadata"].update(labels=_map_restore(previous.get("labels"), now["labels"]),
                            annotations=_map_restore(previous.get("annotations"), now["annotations"]))
    return {"action": "patch", "body": body, "reason": "data, labels and annotations set back as they were"}


# --- the cutover state ConfigMap --------------------------------------------------------------


def state_configmap(state, namespace):
    """The ConfigMap ``vllm-cutover-<key>`` holding ``state`` (the cutover state document) as ``state.json``."""
    key = (state or {}).get("model")
    if not key or (state or {}).get("schema") != CUTOVER_STATE_SCHEMA:
        raise CutoverClusterError("not a %s document to save (model %r)" % (CUTOVER_STATE_SCHEMA, key))
    if not namespace:
        raise CutoverClusterError("model '%s': no namespace for the cutover state: set cutover_namespace" % key)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": state_configmap_name(key), "namespace": namespace,
                         "labels": _labels(STATE_COMPONENT, key)},
            "data": {STATE_DATA_KEY: json.dumps(state, indent=2, sort_keys=True) + "\n"}}


def state_from_configmap(configmap, key):
    """The saved state of ``key`` from its ConfigMap (or k8s_info result); ``{}`` when there is none.

    A ConfigMap of that name that is not ours, or whose document is not a state of ``key``, is refused:
    a rollback must never act on a state someone else wrote.
    """
    configmap = found(configmap)
    if configmap is None:
        return {}
    where = "ConfigMap %s/%s" % (_meta(configmap).get("namespace", "?"), _meta(configmap).get("name", "?"))
    if not is_ours(configmap):
        raise CutoverClusterError("%s was not created by this collection (no %s=%s label), so it is not the cutover "
                                  "state of '%s': rename or remove it" % (where, MANAGED_BY_LABEL, MANAGED_BY, key))
    text = (configmap.get("data") or {}).get(STATE_DATA_KEY)
    try:
        state = json.loads(text) if text else None
    except ValueError as exc:
        raise CutoverClusterError("%s: %s is not JSON (%s); restore it from the job log or roll back by hand"
                                  % (where, STATE_DATA_KEY, exc))
    if not isinstance(state, dict) or state.get("schema") != CUTOVER_STATE_SCHEMA or state.get("model") != key:
        raise CutoverClusterError("%s does not hold a %s document of '%s'; restore it from the job log or roll back by "
                                  "hand" % (where, CUTOVER_STATE_SCHEMA, key))
    return state


# --- consumer Deployments' environment --------------------------------------------------------


def consumer_list(consumers, key, namespace, env_names=None):
    """The consumer Deployments of ``key``, completed: ``[{name, namespace, container, env, api_key_secret,
    ca_configmap}]``.

    ``consumers`` is the list of cutover_consumers.<key>: each a Deployment ``name`` with optional
    ``namespace`` (default ``namespace``), ``container`` (default: the only container), ``env`` (which variable
    gets the URL, the API flavour and the model name, ``''`` leaving one out; ``api_key`` and ``ca_file`` name
    the variables of the credential and the CA file), ``api_key_secret`` (``{name, key}`` of a Secret in the
    consumer's namespace holding vLLM's API key) and ``ca_configmap`` (``{name, key}`` of a ConfigMap there
    holding the CA bundle that signs vLLM's certificate, such as the service CA bundle OpenShift injects).
    """
    if not consumers:
        raise CutoverClusterError("model '%s': strategy consumer_env needs the consumer Deployments: set "
                                  "cutover_consumers.%s to a list of {name, namespace, container, env}" % (key, key))
    names = dict(DEFAULT_ENV_NAMES, **{f: v[2] for f, v in CREDENTIAL_FIELDS.items()})
    names.update(env_names or {})
    completed, seen = [], set()
    for consumer in consumers:
        consumer = {"name": consumer} if isinstance(consumer, str) else dict(consumer or {})
        env = dict(names, **(consumer.get("env") or {}))
        entry = {"name": consumer.get("name") or "", "namespace": consumer.get("namespace") or namespace or "",
                 "container": consumer.get("container") or "", "env": {f: env.get(f) or "" for f in _ENV_FIELDS}}
        what = "model '%s', consumer %s/%s" % (key, entry["namespace"], entry["name"])
        unknown = sorted(set(env) - set(_ENV_FIELDS) - set(CREDENTIAL_FIELDS))
        if not entry["name"] or not entry["namespace"]:
            raise CutoverClusterError("model '%s': every consumer needs a Deployment name and a namespace (got %r)"
                                      % (key, consumer))
        if unknown:
            raise CutoverClusterError("%s: unknown env fields %s; the fields are url, api, model, api_key, ca_file"
                                      % (what, unknown))
        for field, (setting, kind, _default, default_key) in CREDENTIAL_FIELDS.items():
            entry[setting] = _credential_source(consumer.get(setting), setting, kind, default_key, what)
            if entry[setting]:
                entry["env"][field] = env.get(field) or ""
            elif (consumer.get("env") or {}).get(field):
                raise CutoverClusterError("%s: env.%s names a variable but no %s says where its value comes from: set "
                                          "%s: {name, key} (a %s in namespace %s)"
                                          % (what, field, setting, setting, kind, entry["namespace"]))
        bad = [v for v in entry["env"].values() if v and not _ENV_NAME.match(v)]
        if bad or not any(entry["env"].values()):
            raise CutoverClusterError("%s: env must name at least one valid variable (got %r)" % (what, entry["env"]))
        ident = (entry["namespace"], entry["name"], entry["container"])
        if ident in seen:
            raise CutoverClusterError("%s is listed twice" % what)
        seen.add(ident)
        completed.append(entry)
    return completed


def _credential_source(value, setting, kind, default_key, what):
    if not value:
        return None
    source = {"name": value} if isinstance(value, str) else dict(value)
    source.setdefault("key", default_key)
    if set(source) - {"name", "key"} or not source.get("name") or not _NAME.match(str(source["name"])):
        raise CutoverClusterError("%s: %s must be {name, key} naming a %s in the consumer's namespace (got %r)"
                                  % (what, setting, kind, value))
    return {"name": str(source["name"]), "key": str(source["key"])}


def consumer_source_problems(consumer, secret, configmap):
    """Why the consumer's credential or CA cannot be used (``[]`` when they can): the Secret and ConfigMap it names
    must exist in its namespace with the key. ``secret``/``configmap``: those objects (or lookups), None when absent.
    Only the keys are read, never the values."""
    problems = []
    for setting, kind, obj in (("api_key_secret", "Secret", secret), ("ca_configmap", "ConfigMap", configmap)):
        source = consumer.get(setting)
        if not source:
            continue
        where = "%s %s/%s" % (kind, consumer["namespace"], source["name"])
        obj = found(obj)
        if obj is None:
            hint = ("oc create secret generic %s -n %s --from-literal=%s=<vLLM's API key>" if kind == "Secret" else
                    "oc create configmap %s -n %s --from-file=%s=<CA bundle>") % (
                source["name"], consumer["namespace"], source["key"])
            problems.append("%s (%s of consumer %s) does not exist: create it (%s) or fix cutover_consumers"
                            % (where, setting, consumer["name"], hint))
        elif source["key"] not in (obj.get("data") or {}):
            problems.append("%s (%s of consumer %s) has no key %s (it has %s)" % (
                where, setting, consumer["name"], source["key"], ", ".join(sorted(obj.get("data") or {})) or "none"))
    return problems


def consumer_container(deployment, consumer):
    """``(containers, index)`` of the consumer's container in its Deployment (the one named, else the only one)."""
    where = "consumer Deployment %s/%s" % (consumer["namespace"], consumer["name"])
    if deployment is None:
        raise CutoverClusterError("%s does not exist: fix cutover_consumers or create it first" % where)
    containers = (((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    if consumer.get("container"):
        index = [i for i, c in enumerate(containers) if c.get("name") == consumer["container"]]
        if not index:
            raise CutoverClusterError("%s has no container %r (it has %s)" % (
                where, consumer["container"], ", ".join(c.get("name", "?") for c in containers) or "none"))
        return containers, index[0]
    if len(containers) != 1:
        raise CutoverClusterError("%s has %d containers: name the one to change in cutover_consumers (container)"
                                  % (where, len(containers)))
    return containers, 0


def _aligned(lookups, consumers, what):
    lookups = list(lookups or [])
    if len(lookups) != len(consumers):
        raise CutoverClusterError("%s: %d lookups for %d consumers" % (what, len(lookups), len(consumers)))
    return [found(lookup) for lookup in lookups]


def consumer_env_snapshot(lookups, consumers):
    """What each consumer sees now: per consumer, each named variable's env entry exactly (``value`` or
    ``valueFrom``), or None when it is not set; with a CA, also the pod's volume and the container's mount of
    that name (None when absent). ``lookups``: the Deployments (or k8s_info results), in the order of
    ``consumers`` (consumer_list)."""
    snapshot = []
    for deployment, consumer in zip(_aligned(lookups, consumers, "consumer_env_snapshot"), consumers):
        containers, index = consumer_container(deployment, consumer)
        env = {e.get("name"): e for e in containers[index].get("env") or []}
        names = [name for name in consumer["env"].values() if name]
        saved = {"kind": "Deployment", "name": consumer["name"], "namespace": consumer["namespace"],
                 "container": containers[index].get("name", ""),
                 "env": {name: copy.deepcopy(env.get(name)) for name in names}}
        if consumer.get("ca_configmap"):
            saved["ca_volume"] = named_item(deployment["spec"]["template"]["spec"].get("volumes"), CA_VOLUME)
            saved["ca_mount"] = named_item(containers[index].get("volumeMounts"), CA_VOLUME)
        snapshot.append(saved)
    return {"consumers": snapshot}


def named_item(items, name):
    """A copy of the entry called ``name`` of a list of named items (env, volumes, mounts), None when absent."""
    return copy.deepcopy(next((item for item in items or [] if item.get("name") == name), None))


def _replace_named(items, name, item):
    """``items`` with the entry called ``name`` replaced by ``item`` in place (appended when new, removed when None)."""
    result, placed = [], False
    for existing in items or []:
        if existing.get("name") == name:
            placed = True
            if item is not None:
                result.append(copy.deepcopy(item))
        else:
            result.append(existing)
    if not placed and item is not None:
        result.append(copy.deepcopy(item))
    return result


def _env_patch(deployment, container_name, entries, ca=None):
    """A merge patch setting ``entries`` ({name: env entry, or None to remove}) in one container,
    keeping the order of the variables that stay; the containers are sent whole (lists are replaced).
    ``ca``: ``{volume, mount}`` to set (None values remove them) for the CA file, or None to leave both."""
    pod = copy.deepcopy(deployment["spec"]["template"]["spec"])
    containers = pod["containers"]
    container = [c for c in containers if c.get("name") == container_name][0]
    env = list(container.get("env") or [])
    for name, entry in entries.items():
        env = _replace_named(env, name, entry)
    _set_or_drop(container, "env", env)
    template = {"containers": containers}
    if ca is not None:
        _set_or_drop(container, "volumeMounts", _replace_named(container.get("volumeMounts"), CA_VOLUME, ca["mount"]))
        # merge patch: null removes the field, a list replaces the whole list
        template["volumes"] = _replace_named(pod.get("volumes"), CA_VOLUME, ca["volume"]) or None
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": _meta(deployment)["name"], "namespace": _meta(deployment).get("namespace")},
            "spec": {"template": {"spec": template}}}


def _set_or_drop(obj, field, items):
    if items:
        obj[field] = items
    else:
        obj.pop(field, None)


def _ca_objects(consumer):
    source = consumer["ca_configmap"]
    volume = {"name": CA_VOLUME, "configMap": {"name": source["name"], "items": [{"key": source["key"], "path": "ca.crt"}]}}
    mount = {"name": CA_VOLUME, "mountPath": CA_MOUNT_PATH, "readOnly": True}
    return {"volume": volume, "mount": mount}


def consumer_env_patches(lookups, consumers, record, sources=None):
    """One Deployment merge patch per consumer pointing its variables at ``record`` (URL, API flavour,
    served model name), its API key variable at its Secret (secretKeyRef) and its CA variable at the CA file
    mounted from its ConfigMap. A variable that came from a Secret or ConfigMap (valueFrom) gets a plain value.
    ``sources``: per consumer ``{secret, configmap}`` as read (consumer_source_problems); every problem of every
    consumer is raised before any patch is made."""
    deployments = _aligned(lookups, consumers, "consumer_env_patches")
    sources = list(sources or [{} for _consumer in consumers])
    problems = [p for consumer, found_sources in zip(consumers, sources)
                for p in consumer_source_problems(consumer, found_sources.get("secret"), found_sources.get("configmap"))]
    if problems:
        raise CutoverClusterError("model '%s': consumer_env cannot give the consumers what they need to call vLLM: %s"
                                  % (record.get("model"), "; ".join(problems)))
    patches = []
    for deployment, consumer in zip(deployments, consumers):
        containers, index = consumer_container(deployment, consumer)
        entries = {}
        for field, name in consumer["env"].items():
            if not name:
                continue
            if field == "api_key":
                entries[name] = {"name": name, "valueFrom": {"secretKeyRef": dict(consumer["api_key_secret"])}}
                continue
            if field == "ca_file":
                entries[name] = {"name": name, "value": CA_MOUNT_PATH + "/ca.crt"}
                continue
            value = record.get(_ENV_FIELDS[field])
            if not value:
                raise CutoverClusterError("model '%s': the endpoint record has no %s for %s"
                                          % (record.get("model"), _ENV_FIELDS[field], name))
            entries[name] = {"name": name, "value": str(value)}
        ca = _ca_objects(consumer) if consumer.get("ca_configmap") else None
        patches.append(_env_patch(deployment, containers[index].get("name"), entries, ca))
    return patches


def consumer_env_restores(lookups, snapshot):
    """Merge patches putting each consumer's variables (and CA volume and mount) back as ``snapshot`` found them
    (removed when they were not there), and the consumers that cannot be restored. ``lookups``: the Deployments
    now, in the order of ``snapshot.consumers``. Returns ``{patches, problems}``; a patch that changes nothing
    is left out."""
    consumers = (snapshot or {}).get("consumers") or []
    patches, problems = [], []
    for deployment, saved in zip(_aligned(lookups, consumers, "consumer_env_restores"), consumers):
        where = "consumer Deployment %s/%s" % (saved["namespace"], saved["name"])
        if deployment is None:
            problems.append("%s no longer exists: nothing to restore" % where)
            continue
        pod = deployment["spec"]["template"]["spec"]
        containers = pod.get("containers") or []
        if not [c for c in containers if c.get("name") == saved["container"]]:
            problems.append("%s no longer has container %r: nothing to restore" % (where, saved["container"]))
            continue
        ca = {"volume": saved["ca_volume"], "mount": saved["ca_mount"]} if "ca_volume" in saved else None
        patch = _env_patch(deployment, saved["container"], saved.get("env") or {}, ca)
        after = patch["spec"]["template"]["spec"]
        if after["containers"] != containers or after.get("volumes", pod.get("volumes")) != pod.get("volumes"):
            patches.append(patch)
    return {"patches": patches, "problems": problems}


# --- Route weights ----------------------------------------------------------------------------


def route_snapshot(route, name, namespace):
    """The Route's backends as they are: ``to``, ``alternateBackends`` (None when the field is not set),
    the balance annotation (None when not set), its host and whether it has TLS."""
    route = found(route)
    if route is None:
        raise CutoverClusterError("Route %s/%s does not exist: strategy route_weights moves the traffic of an existing "
                                  "Route; set cutover_routes.<model>.name" % (namespace, name))
    spec = route.get("spec") or {}
    return {"kind": "Route", "name": name, "namespace": namespace, "exists": True,
            "host": spec.get("host", ""), "tls": bool(spec.get("tls")),
            "to": copy.deepcopy(spec.get("to") or {}),
            "alternateBackends": copy.deepcopy(spec.get("alternateBackends")),
            "balance": (_meta(route).get("annotations") or {}).get(BALANCE_ANNOTATION)}


def route_controller(route):
    """Who manages the Route, in words ("" when nobody does): a controller or an InferenceService among its owners
    (metadata.ownerReferences), or the labels KServe and odh-model-controller put on what they make."""
    metadata = _meta(found(route))
    owners = ["%s %s" % (o.get("kind"), o.get("name")) for o in metadata.get("ownerReferences") or []
              if o.get("controller") or o.get("kind") == "InferenceService"]
    labels = metadata.get("labels") or {}
    return ", ".join(owners + ["label %s=%s" % (k, labels[k]) for k in INFERENCE_SERVICE_LABELS if k in labels])


def refuse_managed_route(route, name, namespace, key):
    """CutoverClusterError when a controller manages the Route: it would put the backends back (on OpenShift AI,
    odh-model-controller resets an InferenceService's Route to its predictor at weight 100), undoing route_weights."""
    who = route_controller(route)
    if who:
        raise CutoverClusterError(
            "Route %s/%s is managed by %s: its controller puts its backends back (odh-model-controller resets the Route "
            "of an InferenceService to the predictor at weight 100), so strategy route_weights would be undone. Nothing "
            "was changed. Use strategy consumer_env (the consumer Deployments' environment points at vLLM) or "
            "endpoint_record (consumers read the ConfigMap %s) for '%s'"
            % (namespace, name, who, record_configmap_name(key), key))


def route_url(snapshot, override=""):
    """The Route's URL as consumers call it (``override`` when given, e.g. a load balancer in front)."""
    if override:
        return str(override).rstrip("/")
    if not snapshot.get("host"):
        raise CutoverClusterError("Route %s/%s has no host yet: set cutover_routes.<model>.url"
                                  % (snapshot.get("namespace"), snapshot.get("name")))
    return ("https://" if snapshot.get("tls") else "http://") + snapshot["host"]


def validate_route_spec(spec, where="the Route"):
    """Problems of a Route traffic split: backends are Services, at most 3 alternates, weights 0-256."""
    problems = []
    alternates = spec.get("alternateBackends") or []
    if len(alternates) > MAX_ALTERNATE_BACKENDS:
        problems.append("%s would have %d alternateBackends; OpenShift allows %d"
                        % (where, len(alternates), MAX_ALTERNATE_BACKENDS))
    for backend in [spec.get("to") or {}] + list(alternates):
        weight = backend.get("weight", 100)
        if backend.get("kind", "Service") != "Service" or not backend.get("name"):
            problems.append("%s: backend %r is not a named Service" % (where, backend))
        if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= MAX_WEIGHT:
            problems.append("%s: backend %s has weight %r; weights are integers 0-%d"
                            % (where, backend.get("name"), weight, MAX_WEIGHT))
    names = [b.get("name") for b in [spec.get("to") or {}] + list(alternates)]
    if len(set(names)) != len(names):
        problems.append("%s names a Service twice: %s" % (where, ", ".join(str(n) for n in names)))
    return problems


def route_steps(steps=DEFAULT_ROUTE_STEPS):
    """The percentages of traffic for the new backend, checked: increasing integers in 1-100 ending at 100."""
    try:
        steps = [int(s) for s in steps or []]
    except (TypeError, ValueError):
        raise CutoverClusterError("cutover_route_steps must be integers, got %r" % (steps,))
    if not steps or steps[-1] != 100 or steps[0] < 1 or any(b <= a for a, b in zip(steps, steps[1:])):
        raise CutoverClusterError("cutover_route_steps must increase from 1 or more and end at 100 (the share of "
                                  "traffic on vLLM at each step), got %r" % (steps,))
    return steps


def _service_problems(service, target, route):
    key = target.get("key")
    name, namespace = target.get("server"), target.get("namespace")
    if target.get("api") != "openai" or target.get("backend") != "vllm":
        return ["the target of '%s' is %s/%s, not an OpenAI-compatible vLLM server"
                % (key, target.get("backend"), target.get("api"))]
    if not name or namespace != route["namespace"]:
        return ["the vLLM Service of '%s' (%s/%s) is not in the Route's namespace %s: a Route can only send traffic "
                "to Services of its own namespace" % (key, namespace, name, route["namespace"])]
    if service is None:
        return ["the vLLM Service %s/%s of '%s' does not exist: provision it first" % (namespace, name, key)]
    labels = _meta(service).get("labels") or {}
    if not is_ours(service) or labels.get(COMPONENT_LABEL) != SERVER_COMPONENT or labels.get(MODEL_LABEL) != key:
        return ["Service %s/%s is not a vLLM server this collection provisioned for '%s' (labels %s=%s, %s=%s, %s=%s "
                "expected): route_weights moves traffic only to a vLLM Service it knows"
                % (namespace, name, key, MANAGED_BY_LABEL, MANAGED_BY, COMPONENT_LABEL, SERVER_COMPONENT, MODEL_LABEL, key)]
    return []


def route_weight_plan(previous, service, target, steps=DEFAULT_ROUTE_STEPS, current=None):
    """The steps from the Route's old backend to the new vLLM Service: ``[{percent, body}]``.

    ``previous`` is route_snapshot (the state before the cutover), ``service`` the vLLM Service (or
    k8s_info result), ``target`` the cutover target record. At each step the old Service (the Route's
    ``to``) keeps ``100 - percent`` and the vLLM Service, as the only alternate backend, gets ``percent``;
    the last step sends everything to vLLM (old weight 0) and keeps the old backend named for rollback.
    Refused with the reason: a Route that already splits traffic with other backends, a new backend
    that is not a vLLM Service this collection provisioned for this model, an invalid split.
    With ``current`` (the Route now), the steps up to the one the Route is at are left out: a second
    run of a finished cutover has no step and never moves traffic back to the old backend.
    """
    steps = route_steps(steps)
    where = "Route %s/%s" % (previous["namespace"], previous["name"])
    old = previous.get("to") or {}
    new_name = target.get("server")
    problems = _service_problems(found(service), target, previous)
    if old.get("kind", "Service") != "Service" or not old.get("name"):
        problems.append("%s does not send its traffic to a Service (spec.to %r)" % (where, old))
    elif old.get("name") == new_name:
        problems.append("%s already sends its traffic to %s (spec.to): nothing to split; roll back first if its old "
                        "backend is named elsewhere" % (where, new_name))
    others = [b for b in previous.get("alternateBackends") or [] if b.get("name") != new_name]
    if others:
        problems.append("%s already splits traffic with %s: route_weights moves traffic between exactly two backends; "
                        "remove the other alternateBackends first" % (where, ", ".join(b.get("name", "?") for b in others)))
    if problems:
        raise CutoverClusterError("; ".join(problems))
    plan = []
    for percent in steps:
        spec = {"to": {"kind": "Service", "name": old["name"], "weight": 100 - percent},
                "alternateBackends": [{"kind": "Service", "name": new_name, "weight": percent}]}
        invalid = validate_route_spec(spec, where)
        if invalid:
            raise CutoverClusterError("; ".join(invalid))
        plan.append({"percent": percent, "body": {
            "apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": {"name": previous["name"], "namespace": previous["namespace"],
                         "annotations": {BALANCE_ANNOTATION: BALANCE}},
            "spec": spec}})
    current = found(current)
    if current is not None:
        now = route_snapshot(current, previous["name"], previous["namespace"])
        reached = [i for i, step in enumerate(plan) if now["balance"] == BALANCE
                   and now["to"] == step["body"]["spec"]["to"]
                   and now["alternateBackends"] == step["body"]["spec"]["alternateBackends"]]
        plan = plan[reached[-1] + 1:] if reached else plan
    return plan


def route_restore(previous, current):
    """How to put the Route's backends back exactly as ``previous`` (route_snapshot) found them:
    ``{action: none|patch|missing, body, reason}``. Only ``to``, ``alternateBackends`` and the
    balance annotation are touched (the fields a cutover changes)."""
    current = found(current)
    where = "Route %s/%s" % (previous["namespace"], previous["name"])
    body = {"apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": {"name": previous["name"], "namespace": previous["namespace"]}}
    if current is None:
        return {"action": "missing", "body": body, "reason": "%s no longer exists: nothing to restore" % where}
    now = route_snapshot(current, previous["name"], previous["namespace"])
    if all(now[field] == previous.get(field) for field in ("to", "alternateBackends", "balance")):
        return {"action": "none", "body": body, "reason": "%s has its previous backends" % where}
    body["metadata"]["annotations"] = {BALANCE_ANNOTATION: previous.get("balance")}
    # None removes alternateBackends when the Route had none; [] stays [] (exactly as it was)
    body["spec"] = {"to": _map_restore(previous.get("to"), now["to"]),
                    "alternateBackends": copy.deepcopy(previous.get("alternateBackends"))}
    return {"action": "patch", "body": body, "reason": "%s: backends and weights set back as they were" % where}


# --- Caikit retirement ------------------------------------------------------------------------


def _state_reason(key, state, now, soak_seconds):
    if not state:
        return "'%s' was never cut over here (no saved cutover state)" % key
    if state.get("status") != "cut_over":
        return "'%s' is not cut over (status %s)" % (key, state.get("status"))
    cut = parse_time(state.get("cut_over_at"), "cut_over_at of '%s'" % key)
    if state.get("rolled_back_at") and parse_time(state["rolled_back_at"], "rolled_back_at") >= cut:
        return "'%s' was rolled back at %s" % (key, state["rolled_back_at"])
    soaked = (parse_time(now, "now") - cut).total_seconds()
    if soaked < soak_seconds:
        return ("'%s' was cut over at %s, %d s ago: the soak period is %d s (cutover_retire_soak); wait %d s more"
                % (key, state["cut_over_at"], soaked, soak_seconds, soak_seconds - soaked))
    return ""


def retire_problems(caikit, states, now, soak_seconds):
    """Every reason not to retire the Caikit ``caikit`` ({name, namespace, models}, or inference_service) yet.

    Every model it serves must be cut over (state ``cut_over``), longer than ``soak_seconds`` ago, and not
    rolled back since; ``states`` maps each model key to its saved state ({} when none). A Caikit that
    still serves a model that stays on it (a reranker under a ``hybrid`` decision) is never retired.
    """
    name = (caikit or {}).get("name") or (caikit or {}).get("inference_service")
    models = list((caikit or {}).get("models") or [])
    if not name or not caikit.get("namespace") or not models:
        return ["each Caikit to retire needs name (its Deployment) or inference_service, namespace and models (the "
                "catalog keys it serves), got %r" % (caikit,)]
    problems = []
    for key in models:
        try:
            why = _state_reason(key, (states or {}).get(key), now, int(soak_seconds))
        except CutoverError as exc:
            why = str(exc)
        if why:
            problems.append(why)
    return problems


def retire_patch(deployment, now):
    """The patch scaling a Caikit Deployment to zero, keeping its replicas in an annotation to restore.

    A second retirement keeps the replicas saved by the first. A Deployment a controller owns (a KServe
    InferenceService, an operator) is refused: the controller would scale it back.
    """
    deployment = found(deployment)
    if deployment is None:
        raise CutoverClusterError("the Caikit Deployment does not exist: check vllm_migration_caikit_deployments (on "
                                  "OpenShift AI a stopped InferenceService has no predictor Deployment: name the "
                                  "InferenceService with inference_service)")
    metadata = _meta(deployment)
    where = "Caikit Deployment %s/%s" % (metadata.get("namespace"), metadata.get("name"))
    owners = metadata.get("ownerReferences") or []
    if owners:
        kinds = set(o.get("kind") for o in owners)
        hint = "scale its owner down instead"
        if "InferenceService" in kinds:
            hint = "retire it through KServe instead (method auto, the default, or kserve_stop)"
        elif "Revision" in kinds:
            hint = ("it belongs to a Serverless (Knative) InferenceService: name that InferenceService with "
                    "inference_service to retire it through KServe")
        raise CutoverClusterError("%s is managed by %s: scaling it would be undone; %s" % (
            where, ", ".join("%s %s" % (o.get("kind"), o.get("name")) for o in owners), hint))
    annotations = metadata.get("annotations") or {}
    replicas = (deployment.get("spec") or {}).get("replicas", 1)
    saved = annotations.get(RETIRED_REPLICAS_ANNOTATION)
    if saved is None:
        saved, retired_at = str(replicas), now
    else:
        retired_at = annotations.get(RETIRED_AT_ANNOTATION) or now
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": metadata["name"], "namespace": metadata.get("namespace"),
                         "annotations": {RETIRED_REPLICAS_ANNOTATION: saved, RETIRED_AT_ANNOTATION: retired_at}},
            "spec": {"replicas": 0}}


def unretire_patch(deployment):
    """The patch undoing retire_patch: the saved replicas back, the annotations removed.
    ``{action: none|patch, body, reason}``; a Deployment without the annotation was not retired by us."""
    deployment = found(deployment)
    if deployment is None:
        raise CutoverClusterError("the Caikit Deployment does not exist: check cutover_caikit_deployments")
    metadata = _meta(deployment)
    where = "Caikit Deployment %s/%s" % (metadata.get("namespace"), metadata.get("name"))
    body = {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": metadata["name"], "namespace": metadata.get("namespace")}}
    saved = (metadata.get("annotations") or {}).get(RETIRED_REPLICAS_ANNOTATION)
    if saved is None:
        return {"action": "none", "body": body, "reason": "%s was not retired by this collection" % where}
    try:
        replicas = int(saved)
    except ValueError:
        raise CutoverClusterError("%s: annotation %s is %r, not a number of replicas; scale it by hand"
                                  % (where, RETIRED_REPLICAS_ANNOTATION, saved))
    body["metadata"]["annotations"] = {RETIRED_REPLICAS_ANNOTATION: None, RETIRED_AT_ANNOTATION: None}
    body["spec"] = {"replicas": replicas}
    return {"action": "patch", "body": body, "reason": "%s scaled back to %d replicas" % (where, replicas)}


def retired_guard(state, key):
    """Why a cluster restore of ``key`` must not run ("" when it may): its Caikit was retired (scaled to zero, or
    stopped through KServe), so pointing consumers back at it would cut them off."""
    retired = (state or {}).get("retired")
    if not retired:
        return ""
    if retired.get("method") == KSERVE_STOP:
        return ("%s would go back to Caikit InferenceService %s/%s, which was retired (stopped through KServe with %s) "
                "at %s: it has no predictor pods. Nothing was restored. Start it first: ansible-playbook "
                "playbooks/retire_caikit.yml -e vllm_migration_retire_undo=true"
                % (key, retired.get("namespace"), retired.get("inference_service"), KSERVE_STOP_ANNOTATION,
                   retired.get("retired_at")))
    return ("%s would go back to Caikit Deployment %s/%s, which was retired (scaled to zero) at %s. Nothing was "
            "restored. Scale it back first: ansible-playbook playbooks/retire_caikit.yml -e vllm_migration_retire_undo=true"
            % (key, retired.get("namespace"), retired.get("deployment"), retired.get("retired_at")))


def note_retired(state, note):
    """The model's cutover state noting that its Caikit is retired (``note``, what the method needs to bring it
    back; a rollback must wait for that), or, with ``note`` None, that it is serving again."""
    state = copy.deepcopy(state)
    if note is None:
        state.pop("retired", None)
    else:
        state["retired"] = copy.deepcopy(note)
    return state


def mark_retired(state, caikit, replicas, now):
    """note_retired for a Deployment scaled to zero (``replicas`` it had), or, with ``replicas`` None, serving again."""
    return note_retired(state, None if replicas is None else {"deployment": caikit["name"], "namespace": caikit["namespace"],
                                                              "replicas": int(replicas), "retired_at": now})


# --- Caikit retirement through KServe ---------------------------------------------------------


def is_stopped(value):
    """Whether KServe reads the stop annotation's value as "stop": "true" in any case, nothing else."""
    return isinstance(value, str) and value.lower() == "true"


def inference_service_owner(deployment):
    """The ownerReference of the InferenceService that owns the Deployment (its predictor), or None."""
    for owner in _meta(found(deployment)).get("ownerReferences") or []:
        if owner.get("kind") == "InferenceService" and str(owner.get("apiVersion", "")).startswith("serving.kserve.io/"):
            return copy.deepcopy(owner)
    return None


def deployment_mode(isvc):
    """RawDeployment, Serverless or ModelMesh as KServe reports it (status), else as asked (annotation); "" when neither."""
    isvc = found(isvc) or {}
    return (isvc.get("status") or {}).get("deploymentMode") or (_meta(isvc).get("annotations") or {}).get(
        DEPLOYMENT_MODE_ANNOTATION) or ""


def _isvc_body(name, namespace):
    return {"apiVersion": INFERENCE_SERVICE_API, "kind": "InferenceService", "metadata": {"name": name, "namespace": namespace}}


def kserve_stop_patch(isvc, name, namespace, noted=None, now="", owner_uid=None, deployment=""):
    """The patch stopping InferenceService ``namespace/name`` through KServe (``serving.kserve.io/stop: "true"``, the
    only change) and the note for the model states: ``{body, note, deployment_mode}``.

    The note keeps the annotation's value before the retirement (``previous_stop``: None when it was absent) so
    that the undo puts it back exactly. ``noted`` is the note of an earlier retirement of this InferenceService
    (a second run): its previous value and time are kept, never replaced by "true". ``deployment`` (the Caikit
    predictor Deployment's name, when known) goes into the note. Refused, changing nothing: an
    InferenceService that does not exist, one in ModelMesh mode (KServe does not read the annotation there), one that
    is not the owner the Deployment names (``owner_uid``), and one already stopped that this collection did not stop
    (its start would not be ours to make).
    """
    isvc = found(isvc)
    where = "InferenceService %s/%s" % (namespace, name)
    if isvc is None:
        raise CutoverClusterError("%s does not exist: check inference_service in vllm_migration_caikit_deployments" % where)
    metadata = _meta(isvc)
    annotations = metadata.get("annotations") or {}
    mode = deployment_mode(isvc)
    if mode == "ModelMesh":
        raise CutoverClusterError("%s runs in ModelMesh mode, where KServe does not read %s: it cannot be retired "
                                  "this way; stop it in ModelMesh yourself" % (where, KSERVE_STOP_ANNOTATION))
    if owner_uid and metadata.get("uid") and owner_uid != metadata["uid"]:
        raise CutoverClusterError("%s is not the one that owns the Caikit Deployment (uid %s, the owner reference says "
                                  "%s): it was made again since; check the settings" % (where, metadata["uid"], owner_uid))
    current = annotations.get(KSERVE_STOP_ANNOTATION)
    if noted:
        previous, retired_at = noted.get("previous_stop"), noted.get("retired_at") or now
    elif is_stopped(current):
        raise CutoverClusterError(
            "%s is already stopped (%s=%s), and not by this collection (no retirement is noted in the cutover states of "
            "its models): there is nothing to retire, and starting it again would not be ours to do" % (
                where, KSERVE_STOP_ANNOTATION, current))
    else:
        previous, retired_at = current, now
    body = _isvc_body(name, namespace)
    # already stopped by an earlier run: the value stays as it is ("True" too), so nothing is sent
    body["metadata"]["annotations"] = {KSERVE_STOP_ANNOTATION: current if is_stopped(current) else "true"}
    note = {"method": KSERVE_STOP, "inference_service": name, "namespace": namespace,
            "deployment": (noted or {}).get("deployment") or deployment or "", "previous_stop": previous,
            "retired_at": retired_at}
    return {"body": body, "note": note, "deployment_mode": mode or "cluster default"}


def kserve_start_patch(isvc, name, namespace, noted=None):
    """The patch undoing kserve_stop_patch: the stop annotation back to its value before the retirement (removed
    when it had none), from ``noted`` (the note in the model states). ``{action: none|patch, body, reason}``;
    an InferenceService this collection did not stop, or one someone started since, is left as it is."""
    isvc = found(isvc)
    where = "InferenceService %s/%s" % (namespace, name)
    if isvc is None:
        raise CutoverClusterError("%s does not exist: there is nothing to start, and a rollback would send consumers to "
                                  "a Caikit that is gone; the retirement stays noted" % where)
    current = (_meta(isvc).get("annotations") or {}).get(KSERVE_STOP_ANNOTATION)
    body = _isvc_body(name, namespace)
    if not noted:
        if is_stopped(current):
            return {"action": "none", "body": body, "reason": "%s is stopped (%s=%s), but not by this collection: left "
                                                              "alone" % (where, KSERVE_STOP_ANNOTATION, current)}
        return {"action": "none", "body": body, "reason": "%s is not stopped" % where}
    previous = noted.get("previous_stop")
    if current == previous:
        return {"action": "none", "body": body, "reason": "%s has %s as before its retirement (%s)" % (
            where, KSERVE_STOP_ANNOTATION, "absent" if previous is None else previous)}
    if not is_stopped(current):
        return {"action": "none", "body": body, "reason": "%s was started since (%s=%s), not by this collection: left as "
                                                          "it is" % (where, KSERVE_STOP_ANNOTATION, current)}
    body["metadata"]["annotations"] = {KSERVE_STOP_ANNOTATION: previous}
    return {"action": "patch", "body": body, "reason": "%s started again (%s %s)" % (
        where, KSERVE_STOP_ANNOTATION, "removed" if previous is None else "back to %s" % previous)}

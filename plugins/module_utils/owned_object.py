# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Apply an object only when the collection owns it (the ``owned_object`` module's logic).

An object that does not exist is created, one that carries the collection's managed-by label is
updated by server-side apply with the collection's field manager, and one that someone else made is
used as it is: never labelled, changed or deleted, only reported (``foreign``). What a real run would
create in a namespace that does not exist yet (check mode before the namespace role ran) is reported
without a request, since the API server refuses even a dry-run create there.

``OwnedObjects`` talks to the API through kubernetes.core's client (``K8SClient``: ``resource``, ``get``,
``apply``); the decisions are plain functions, unit tested without a client.
"""

from __future__ import annotations

import copy

from ansible.module_utils.common.dict_transformations import recursive_diff

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    COMMON_LABELS, MANAGED_BY, MANAGED_BY_LABEL, SERVER_SIDE_APPLY)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.ownership import ABSENT, FOREIGN, object_owner

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
ACTIONS = (CREATED, UPDATED, UNCHANGED, FOREIGN)
# Fields the API server changes on every write, or that only record who wrote what: not a change.
VOLATILE_METADATA = ("resourceVersion", "generation", "managedFields")
HIDDEN = "VALUE_HIDDEN"


class OwnedObjectError(Exception):
    """A failure to name in the task's message (what object, what happened, what to do)."""


def describe(obj):
    """``Kind namespace/name`` (or ``Kind name`` for a cluster-scoped object)."""
    metadata = obj.get("metadata") or {}
    where = "%s/%s" % (metadata["namespace"], metadata.get("name")) if metadata.get("namespace") else metadata.get("name")
    return "%s %s" % (obj.get("kind"), where)


def desired(definition, labels=None):
    """The definition with the collection's labels (constants.COMMON_LABELS) and ``labels`` added; refuses
    one without apiVersion, kind or metadata.name."""
    if not isinstance(definition, dict):
        raise OwnedObjectError("a definition must be a mapping (one Kubernetes object), got %r" % (redacted(definition),))
    metadata = definition.get("metadata")
    if not definition.get("apiVersion") or not definition.get("kind") or not isinstance(metadata, dict) \
            or not metadata.get("name"):
        raise OwnedObjectError("every definition needs apiVersion, kind and metadata.name: %r" % (redacted(definition),))
    obj = copy.deepcopy(definition)
    obj["metadata"]["labels"] = dict(obj["metadata"].get("labels") or {}, **dict(labels or {}, **COMMON_LABELS))
    return obj


def redacted(obj):
    """The object without the values of a Secret's ``data`` and ``stringData`` (their keys stay)."""
    if not isinstance(obj, dict) or obj.get("kind") != "Secret":
        return obj
    obj = dict(obj)
    for field in ("data", "stringData"):
        if isinstance(obj.get(field), dict):
            obj[field] = dict.fromkeys(obj[field], HIDDEN)
    return obj


def _comparable(obj):
    obj = copy.deepcopy(obj or {})
    for key in VOLATILE_METADATA:
        (obj.get("metadata") or {}).pop(key, None)
    return obj


def differs(before, after):
    """Whether two states of an object differ in more than volatile metadata."""
    return bool(recursive_diff(_comparable(before), _comparable(after)))


def object_diff(before, after):
    """``{before, after}`` of what differs, volatile metadata left out and Secret values hidden (a changed
    Secret value shows as a diff of its key's entry ``VALUE_HIDDEN`` only when the key itself came or went)."""
    diff = recursive_diff(_comparable(redacted(before)), _comparable(redacted(after)))
    return {"before": diff[0], "after": diff[1]} if diff else {"before": {}, "after": {}}


def foreign_message(obj):
    return ("%s exists and was not created by this collection (no label %s=%s): it is used as it is, and never "
            "labelled, changed or deleted" % (describe(obj), MANAGED_BY_LABEL, MANAGED_BY))


def outcome(action, obj, before=None, check_mode=False, note=""):
    """The module's result for one object: ``action``, ``changed``, the object as it is (Secret values
    hidden), ``diff`` when it changed, and a sentence."""
    changed = action in (CREATED, UPDATED)
    what = describe(obj)
    msg = {CREATED: "%s %s" % (what, "would be created" if check_mode else "created"),
           UPDATED: "%s %s" % (what, "would be updated" if check_mode else "updated"),
           UNCHANGED: "%s is up to date" % what,
           FOREIGN: foreign_message(obj)}[action]
    result = {"action": action, "changed": changed, "object": redacted(obj), "msg": msg + (note and ": " + note)}
    if changed:
        result["diff"] = object_diff(before or {}, obj)
    return result


class OwnedObjects(object):
    """Applies definitions through kubernetes.core's client, each only when absent or this collection's own."""

    def __init__(self, client, check_mode=False, on_foreign="use", labels=None):
        self.client, self.check_mode, self.on_foreign, self.labels = client, check_mode, on_foreign, labels or {}

    def _resource(self, obj):
        try:
            return self.client.resource(obj["kind"], obj["apiVersion"])
        except Exception as exc:  # pylint: disable=broad-exception-caught  # ResourceNotFoundError: not served here
            raise OwnedObjectError("the API does not serve %s %s (%s): %s is not available on this cluster"
                                   % (obj["apiVersion"], obj["kind"], exc, obj["kind"]))

    def _get(self, resource, name, namespace):
        try:
            found = self.client.get(resource, name=name, namespace=namespace)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if getattr(exc, "status", None) == 404:
                return None
            raise
        return found.to_dict() if hasattr(found, "to_dict") else found

    def _namespace_exists(self, namespace):
        return self._get(self.client.resource("Namespace", "v1"), namespace, None) is not None

    def apply(self, definition):
        """The outcome (see ``outcome``) of one definition; raises OwnedObjectError."""
        obj = desired(definition, self.labels)
        resource = self._resource(obj)
        metadata = obj["metadata"]
        namespace = metadata.get("namespace") if getattr(resource, "namespaced", False) else None
        if getattr(resource, "namespaced", False) and not namespace:
            raise OwnedObjectError("%s has no metadata.namespace: name the namespace it belongs to" % describe(obj))
        try:
            existing = self._get(resource, metadata["name"], namespace)
            owner = object_owner(existing)
            if owner == FOREIGN:
                if self.on_foreign == "fail":
                    raise OwnedObjectError(foreign_message(existing) + "; refusing to go on: delete it, or name "
                                           "another object")
                return outcome(FOREIGN, existing)
            if owner == ABSENT and self.check_mode and namespace and not self._namespace_exists(namespace):
                return outcome(CREATED, obj, check_mode=True,
                               note="namespace %s does not exist yet, so nothing can be dry-run in it; a real run "
                                    "creates it" % namespace)
            applied = self.client.apply(resource, obj, namespace, server_side=True,
                                        dry_run="All" if self.check_mode else None, serialize=True,
                                        **SERVER_SIDE_APPLY)
        except OwnedObjectError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught  # refused, forbidden, unreachable
            status = " ".join(str(part) for part in (getattr(exc, "status", None), getattr(exc, "reason", None)) if part)
            raise OwnedObjectError("could not apply %s%s: %s" % (
                describe(obj), " (%s)" % status if status else "", getattr(exc, "body", None) or exc))
        applied = applied.to_dict() if hasattr(applied, "to_dict") else applied
        if not isinstance(applied, dict):
            raise OwnedObjectError("applying %s returned no object (%r): check the API server" % (describe(obj), applied))
        if existing is None:
            return outcome(CREATED, applied, check_mode=self.check_mode)
        action = UPDATED if differs(existing, applied) else UNCHANGED
        return outcome(action, applied, before=existing, check_mode=self.check_mode)

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""What the cutover modules read and write, in check mode too, with a diff and a log of every write.

- ``KubeObjects``: Kubernetes objects through kubernetes.core's client. Every write is a JSON merge
  patch (RFC 7386, module_utils/cutover_cluster.py builds the bodies) that also creates the object when
  it does not exist; a patch that would change nothing is not sent, so a second run reports no change.
  In check mode the writes are sent as server-side dry runs (``dryRun=All``) and the dry-run answer is
  the diff's "after", as kubernetes.core's modules do.
- ``LocalFiles``: local files written whole (atomically) with their mode; check mode writes nothing.

Nothing here imports the kubernetes library: the local platform runs without it.
"""

from __future__ import annotations

import copy
import json
import os
import stat
import tempfile

from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import CutoverError

# Fields an object's diff leaves out: the API server's bookkeeping, not what a cutover changes.
_NOISE = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")
MERGE_PATCH = "application/merge-patch+json"
DRY_RUN = "All"


def merge_patch(target, patch):
    """RFC 7386: maps merged (``None`` removes a key), anything else replaced whole."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def plain(obj):
    """An API answer as a plain dict (the dynamic client's ResourceInstance has ``to_dict``)."""
    if obj is None:
        return None
    return obj.to_dict() if hasattr(obj, "to_dict") else copy.deepcopy(obj)


def for_diff(obj):
    if obj is None:
        return {}
    shown = copy.deepcopy(obj)
    shown.pop("status", None)
    metadata = shown.get("metadata") or {}
    for field in _NOISE:
        metadata.pop(field, None)
    return shown


def api_reason(exc):
    """What an API error says, short: ``<status> <reason>: <message>``."""
    status, reason = getattr(exc, "status", None), getattr(exc, "reason", None)
    body = getattr(exc, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    message = ""
    if body:
        try:
            message = json.loads(body).get("message", "")
        except (ValueError, AttributeError):
            message = str(body)[:300]
    if status is None:
        return str(exc)
    return ("%s %s: %s" % (status, reason or "", message or exc)).strip()


class Journal(object):
    """What a module run did, in order: ``log`` (every step and write, for the result), ``diffs`` (one
    before/after per changed object or file) and ``changed``."""

    def __init__(self):
        self.log = []
        self.diffs = []
        self.changed = False

    def event(self, model, action, **details):
        entry = dict(model=model, action=action, **details)
        self.log.append(entry)
        return entry

    def change(self, where, before, after):
        self.changed = True
        self.diffs.append({"before_header": where, "after_header": where, "before": before, "after": after})

    def result(self, diff_mode, **fields):
        """A module result with ``fields``, the ``log``, ``changed`` and, in diff mode, the ``diff``."""
        return dict(fields, log=self.log, changed=self.changed, **({"diff": self.diffs} if diff_mode else {}))


class KubeObjects(object):
    """Reads and merge-patch writes through kubernetes.core's client (``get_api_client``'s K8SClient or the
    kubernetes DynamicClient: anything with ``resources.get(api_version=, kind=)``)."""

    def __init__(self, client, check_mode=False, journal=None):
        self.client = client
        self.check_mode = check_mode
        self.journal = journal if journal is not None else Journal()
        self._resources = {}

    def resource(self, api_version, kind):
        if (api_version, kind) not in self._resources:
            try:
                self._resources[(api_version, kind)] = self.client.resources.get(api_version=api_version, kind=kind)
            except Exception as exc:  # pylint: disable=broad-exception-caught  # ResourceNotFoundError, unreachable API
                raise CutoverError("the API server does not serve %s (%s): %s; is this the right cluster%s?" % (
                    kind, api_version, api_reason(exc), " (a Route needs OpenShift)" if kind == "Route" else ""))
        return self._resources[(api_version, kind)]

    def get(self, api_version, kind, namespace, name):
        """The object as a plain dict, or None when it does not exist."""
        resource = self.resource(api_version, kind)
        try:
            return plain(resource.get(name=name, namespace=namespace))
        except Exception as exc:  # pylint: disable=broad-exception-caught  # NotFoundError and the rest
            if getattr(exc, "status", None) == 404:
                return None
            raise CutoverError("could not read %s %s/%s: %s" % (kind, namespace, name, api_reason(exc)))

    def _note(self, verb, body, before, after, model, changed=True):
        metadata = body.get("metadata") or {}
        where = "%s %s/%s" % (body.get("kind"), metadata.get("namespace"), metadata.get("name"))
        self.journal.event(model, "write", verb=verb, kind=body.get("kind"), namespace=metadata.get("namespace"),
                           name=metadata.get("name"), changed=changed, dry_run=self.check_mode)
        if changed:
            self.journal.change(where, for_diff(before), for_diff(after))

    def apply(self, body, model=""):
        """Create ``body`` or merge-patch the object with it; returns the object after (the dry-run answer in
        check mode). Not sent when it would change nothing."""
        api_version, kind = body["apiVersion"], body["kind"]
        namespace, name = body["metadata"].get("namespace"), body["metadata"]["name"]
        resource = self.resource(api_version, kind)
        current = self.get(api_version, kind, namespace, name)
        extra = {"dry_run": DRY_RUN} if self.check_mode else {}
        try:
            if current is None:
                after = plain(resource.create(body=copy.deepcopy(body), namespace=namespace, **extra))
                verb = "create"
            else:
                if merge_patch(current, body) == current:
                    self._note("patch", body, current, current, model, changed=False)
                    return current
                after = plain(resource.patch(body=copy.deepcopy(body), name=name, namespace=namespace,
                                             content_type=MERGE_PATCH, **extra))
                verb = "patch"
        except Exception as exc:  # pylint: disable=broad-exception-caught  # ApiException: forbidden, invalid, conflict
            raise CutoverError("could not %s %s %s/%s: %s" % ("create" if current is None else "patch", kind, namespace,
                                                              name, api_reason(exc)))
        self._note(verb, body, current, after, model)
        return after

    def delete(self, api_version, kind, namespace, name, model=""):
        """Delete the object (nothing is sent in check mode); returns whether it existed."""
        current = self.get(api_version, kind, namespace, name)
        if current is None:
            return False
        if not self.check_mode:
            try:
                self.resource(api_version, kind).delete(name=name, namespace=namespace)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                if getattr(exc, "status", None) != 404:
                    raise CutoverError("could not delete %s %s/%s: %s" % (kind, namespace, name, api_reason(exc)))
        self._note("delete", {"kind": kind, "metadata": {"namespace": namespace, "name": name}}, current, None, model)
        return True


def mode_text(mode):
    return "%04o" % stat.S_IMODE(mode)


class LocalFiles(object):
    """Local files written whole with their mode, folders made with theirs; nothing is written in check mode."""

    def __init__(self, check_mode=False, journal=None):
        self.check_mode = check_mode
        self.journal = journal if journal is not None else Journal()

    @staticmethod
    def read(path):
        """``(bytes, "0644")`` of a file, or ``(None, None)`` when it does not exist."""
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            return data, mode_text(os.stat(path).st_mode)
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            raise CutoverError("could not read %s: %s" % (path, exc))

    def _changed(self, action, path, before, after, model):
        self.journal.event(model, action, path=path, changed=True, dry_run=self.check_mode)
        self.journal.change(path, before.decode("utf-8", "replace") if before else "",
                            after.decode("utf-8", "replace") if after else "")

    def folder(self, path, mode):
        """Make the folder (and its parents) with ``mode``, or set the mode of an existing one."""
        wanted = int(mode, 8)
        if os.path.isdir(path):
            if stat.S_IMODE(os.stat(path).st_mode) == wanted:
                return
            if not self.check_mode:
                os.chmod(path, wanted)
        elif not self.check_mode:
            try:
                os.makedirs(path, exist_ok=True)
                os.chmod(path, wanted)
            except OSError as exc:
                raise CutoverError("could not create the folder %s: %s" % (path, exc))
        self.journal.event("", "folder", path=path, mode=mode, changed=True, dry_run=self.check_mode)
        self.journal.change(path, {"path": path, "state": "directory"}, {"path": path, "state": "directory", "mode": mode})

    def write(self, path, data, mode, model=""):
        """Write ``data`` (bytes) to ``path`` with ``mode`` ("0644"); returns whether anything changed."""
        before, before_mode = self.read(path)
        if before == data and before_mode == mode:
            return False
        if not self.check_mode:
            folder = os.path.dirname(path) or "."
            try:
                handle, temporary = tempfile.mkstemp(dir=folder, prefix=".%s." % os.path.basename(path))
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.chmod(temporary, int(mode, 8))
                os.replace(temporary, path)
            except OSError as exc:
                raise CutoverError("could not write %s: %s" % (path, exc))
        self._changed("write", path, before, data, model)
        return True

    def remove(self, path, model=""):
        before, _mode = self.read(path)
        if before is None:
            return False
        if not self.check_mode:
            try:
                os.remove(path)
            except OSError as exc:
                raise CutoverError("could not remove %s: %s" % (path, exc))
        self._changed("remove", path, before, None, model)
        return True

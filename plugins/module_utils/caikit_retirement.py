# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Retiring Caikit once vLLM has soaked, and undoing it, for the ``caikit_retirement`` module.

A retirement goes, per Caikit workload ``{name, namespace, models}`` (``name``: its Deployment; or
``inference_service``: the KServe InferenceService that serves it), one after another:

1. read the saved cutover state of every model it serves (ConfigMap ``vllm-cutover-<key>``);
2. refuse, changing nothing, unless every one is cut over for longer than the soak period and was not rolled
   back since (cutover_cluster.retire_problems);
3. choose the *method* and plan the change (a refusal here changes nothing either);
4. note the retirement in each model's state first (a rollback then refuses to point consumers at a Caikit
   with no pods: cutover_cluster.retired_guard), with what the method needs to bring it back;
5. retire the workload with the method.

The undo brings the workload back with the method that retired it (the one noted in the states), then removes
the notes. A method is a class with ``retire(caikit, noted, now)`` and ``undo(caikit, noted)``:

- ``ScaleToZero`` scales a plain Deployment to zero replicas and keeps them in an annotation (never deletes it);
- ``KServeStop`` sets KServe's ``serving.kserve.io/stop: "true"`` on the InferenceService that owns the Caikit
  predictor (OpenShift AI), and keeps the annotation's previous value in the notes to put it back exactly.

``auto`` (the default) takes the method noted by an earlier retirement, else ``kserve_stop`` for a Caikit an
InferenceService owns (or one the user names), else ``scale_to_zero``.
"""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cutover_cluster as cc
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import INFERENCE_SERVICE_API, RETIRE_METHODS
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import CutoverError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_strategies import ClusterStateStore


class ScaleToZero(object):
    """A Caikit Deployment scaled to zero, its replicas kept in ``vllm-migration/retired-replicas``."""

    name = "scale_to_zero"
    api_version, kind = "apps/v1", "Deployment"

    def __init__(self, kube):
        self.kube = kube

    def look(self, caikit):
        if not caikit.get("name"):
            raise CutoverError("method scale_to_zero needs the Caikit Deployment's name (name)")
        return self.kube.get(self.api_version, self.kind, caikit["namespace"], caikit["name"])

    def retire(self, caikit, noted, now):
        """``{body, note, result}``: the patch that retires it, the note for the model states, what the result adds."""
        body = cc.retire_patch(self.look(caikit), now)
        annotations = body["metadata"]["annotations"]
        replicas, retired_at = int(annotations[cc.RETIRED_REPLICAS_ANNOTATION]), annotations[cc.RETIRED_AT_ANNOTATION]
        note = cc.mark_retired({}, caikit, replicas, retired_at)["retired"]
        return {"body": body, "note": note, "result": {"replicas": replicas, "retired_at": retired_at}}

    def undo(self, caikit, noted):
        """``{action: none|patch, body, reason}`` bringing it back."""
        plan = cc.unretire_patch(self.look(caikit))
        return dict(plan, result={"scaled_back": plan["action"] == "patch"})


class KServeStop(object):
    """A Caikit InferenceService stopped with KServe's ``serving.kserve.io/stop: "true"``; its previous value noted."""

    name = cc.KSERVE_STOP
    kind = "InferenceService"

    def __init__(self, kube):
        self.kube = kube

    def owner(self, caikit):
        """The ownerReference of the InferenceService owning the Caikit Deployment (None: no such owner, or no Deployment:
        KServe deletes a stopped InferenceService's predictor Deployment)."""
        if not caikit.get("name"):
            return None
        return cc.inference_service_owner(self.kube.get("apps/v1", "Deployment", caikit["namespace"], caikit["name"]))

    def inference_service(self, caikit, noted):
        """``(name, owner uid or None)`` of the InferenceService: named in the settings, noted by the retirement, or
        the owner of the Deployment; refused when they disagree or there is none."""
        owner = self.owner(caikit) or {}
        named = caikit.get("inference_service") or (noted or {}).get("inference_service")
        if named and owner.get("name") and owner["name"] != named:
            raise CutoverError("Caikit Deployment %s/%s is owned by InferenceService %s, not %s: fix inference_service"
                               % (caikit["namespace"], caikit.get("name"), owner["name"], named))
        if not (named or owner.get("name")):
            raise CutoverError("method kserve_stop stops the InferenceService that serves Caikit, and Caikit Deployment "
                               "%s/%s has none among its owners (or does not exist): name it with inference_service, or "
                               "use method scale_to_zero for a plain Deployment" % (caikit["namespace"], caikit.get("name")))
        return named or owner["name"], owner.get("uid")

    def look(self, namespace, name):
        try:
            return self.kube.get(INFERENCE_SERVICE_API, self.kind, namespace, name)
        except CutoverError as exc:
            raise CutoverError("retiring Caikit through KServe reads InferenceService %s/%s: %s (is OpenShift AI or KServe "
                               "installed on this cluster?)" % (namespace, name, exc))

    def retire(self, caikit, noted, now):
        name, uid = self.inference_service(caikit, noted)
        plan = cc.kserve_stop_patch(self.look(caikit["namespace"], name), name, caikit["namespace"], noted, now, uid,
                                    caikit.get("name") or "")
        note = plan["note"]
        return {"body": plan["body"], "note": note, "result": {
            "inference_service": name, "deployment_mode": plan["deployment_mode"],
            "previous_stop": note["previous_stop"], "retired_at": note["retired_at"]}}

    def undo(self, caikit, noted):
        name, _uid = self.inference_service(caikit, noted)
        plan = cc.kserve_start_patch(self.look(caikit["namespace"], name), name, caikit["namespace"], noted)
        return dict(plan, result={"inference_service": name})


METHODS = {ScaleToZero.name: ScaleToZero, KServeStop.name: KServeStop}


def where(caikit):
    caikit = caikit or {}
    return "%s/%s" % (caikit.get("namespace") or "?", caikit.get("name") or caikit.get("inference_service") or "?")


def describe(caikit):
    """``Deployment ns/name``, or ``InferenceService ns/name`` for a Caikit named by its InferenceService only."""
    caikit = caikit or {}
    return "%s %s" % ("InferenceService" if caikit.get("inference_service") and not caikit.get("name") else "Deployment",
                      where(caikit))


def _serves(note, caikit):
    """Whether a retirement note is about this workload (by Deployment, or by InferenceService for kserve_stop)."""
    if note.get("namespace") != caikit.get("namespace"):
        return False
    if caikit.get("name") and note.get("deployment") == caikit["name"]:
        return True
    return bool(note.get("method") == cc.KSERVE_STOP and caikit.get("inference_service")
                and note.get("inference_service") == caikit["inference_service"])


class Retirement(object):
    """Retire or bring back Caikit workloads; the state ConfigMaps are in ``namespace``."""

    def __init__(self, kube, namespace, method="auto", now=""):
        if method not in RETIRE_METHODS:
            raise CutoverError("unknown retirement method %r; the methods are %s" % (method, ", ".join(RETIRE_METHODS)))
        self.kube = kube
        self.namespace = namespace
        self.method_name = method
        self.methods = dict((name, cls(kube)) for name, cls in METHODS.items())
        self.now = now
        self.states = ClusterStateStore(kube, namespace)

    def _states(self, caikit):
        return dict((key, self.states.load(key)) for key in (caikit or {}).get("models") or [])

    def _noted(self, caikit, states):
        """The retirement of this workload noted in its models' states (None when there is none); CutoverError when a
        model's state notes that another Caikit serving it was retired."""
        for key, state in sorted(states.items()):
            note = (state or {}).get("retired")
            if not note:
                continue
            if not _serves(note, caikit):
                raise CutoverError("'%s' is noted as served by Caikit %s/%s, which was retired at %s, not by %s: bring "
                                   "that one back first, or fix vllm_migration_caikit_deployments" % (
                                       key, note.get("namespace"), note.get("deployment") or note.get("inference_service"),
                                       note.get("retired_at"), where(caikit)))
            return note
        return None

    def method(self, caikit, noted):
        """The method for this workload: the one that retired it, the one asked for, or (auto) by its owner."""
        if noted:
            used = noted.get("method") or ScaleToZero.name
            if self.method_name not in ("auto", used):
                raise CutoverError("%s was retired with method %s, not %s: use that method (or auto)"
                                   % (where(caikit), used, self.method_name))
            return self.methods[used]
        if self.method_name != "auto":
            return self.methods[self.method_name]
        kserve = self.methods[KServeStop.name]
        return kserve if caikit.get("inference_service") or kserve.owner(caikit) else self.methods[ScaleToZero.name]

    def retire(self, caikit, soak_seconds):
        """Retire one workload, or CutoverError saying why not (nothing changed then)."""
        states = self._states(caikit)
        problems = cc.retire_problems(caikit, states, self.now, soak_seconds)
        if problems:
            raise CutoverError("Caikit %s is not retired, nothing was changed: %s." % (describe(caikit), "; ".join(problems)))
        noted = self._noted(caikit, states)
        method = self.method(caikit, noted)
        plan = method.retire(caikit, noted, self.now)
        for key in caikit["models"]:
            self.states.save(cc.note_retired(states[key], plan["note"]))
        self.kube.apply(plan["body"], ",".join(caikit["models"]))
        return dict({"name": caikit.get("name") or "", "namespace": caikit["namespace"], "models": list(caikit["models"]),
                     "status": "retired", "method": method.name}, **plan["result"])

    def undo(self, caikit):
        """Bring one workload back and remove the notes from the states of the models it serves."""
        if not (caikit or {}).get("namespace") or not (caikit.get("name") or caikit.get("inference_service")):
            raise CutoverError("each Caikit needs namespace and name (its Deployment) or inference_service, got %r" % (caikit,))
        states = self._states(caikit)
        noted = self._noted(caikit, states)
        method = self.method(caikit, noted)
        plan = method.undo(caikit, noted)
        if plan["action"] == "patch":
            self.kube.apply(plan["body"], ",".join(caikit.get("models") or []))
        for key, state in states.items():
            if "retired" in state:
                self.states.save(cc.note_retired(state, None))
        return dict({"name": caikit.get("name") or "", "namespace": caikit["namespace"],
                     "models": list(caikit.get("models") or []), "status": "serving", "method": method.name,
                     "reason": plan["reason"], "brought_back": plan["action"] == "patch"}, **plan["result"])

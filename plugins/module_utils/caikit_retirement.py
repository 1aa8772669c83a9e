# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Retiring Caikit once vLLM has soaked, and undoing it, for the ``caikit_retirement`` module.

A retirement goes, per Caikit workload ``{name, namespace, models}``, one after another:

1. read the saved cutover state of every model it serves (ConfigMap ``vllm-cutover-<key>``);
2. refuse, changing nothing, unless every one is cut over for longer than the soak period and was not rolled
   back since (cutover_cluster.retire_problems);
3. note the retirement in each model's state first (a rollback then refuses to point consumers at a Caikit
   with no pods: cutover_cluster.retired_guard);
4. retire the workload with the *method*.

The undo brings the workload back with the method, then removes the notes. The method is a class:
``ScaleToZero`` scales a Deployment to zero replicas and keeps them in an annotation (never deletes it).
Another way to stop Caikit (KServe's ``serving.kserve.io/stop`` annotation on an InferenceService) is one
more class with the same three methods, in ``METHODS``.
"""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cutover_cluster as cc
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import CutoverError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_strategies import ClusterStateStore


class ScaleToZero(object):
    """A Caikit Deployment scaled to zero, its replicas kept in ``vllm-migration/retired-replicas``."""

    name = "scale_to_zero"
    api_version, kind = "apps/v1", "Deployment"

    def __init__(self, kube):
        self.kube = kube

    def look(self, caikit):
        return self.kube.get(self.api_version, self.kind, caikit["namespace"], caikit["name"])

    def retire(self, caikit, now):
        """The patch that retires it and the note for the model states: ``(body, replicas, retired_at)``."""
        body = cc.retire_patch(self.look(caikit), now)
        annotations = body["metadata"]["annotations"]
        return body, annotations[cc.RETIRED_REPLICAS_ANNOTATION], annotations[cc.RETIRED_AT_ANNOTATION]

    def undo(self, caikit):
        """``{action: none|patch, body, reason}`` bringing it back."""
        return cc.unretire_patch(self.look(caikit))


METHODS = {ScaleToZero.name: ScaleToZero}


def where(caikit):
    return "%s/%s" % ((caikit or {}).get("namespace") or "?", (caikit or {}).get("name") or "?")


class Retirement(object):
    """Retire or bring back Caikit workloads; the state ConfigMaps are in ``namespace``."""

    def __init__(self, kube, namespace, method="scale_to_zero", now=""):
        if method not in METHODS:
            raise CutoverError("unknown retirement method %r; the methods are %s" % (method, ", ".join(sorted(METHODS))))
        self.kube = kube
        self.namespace = namespace
        self.method = METHODS[method](kube)
        self.now = now
        self.states = ClusterStateStore(kube, namespace)

    def _states(self, caikit):
        return dict((key, self.states.load(key)) for key in (caikit or {}).get("models") or [])

    def retire(self, caikit, soak_seconds):
        """Retire one workload, or CutoverError saying why not (nothing changed then)."""
        states = self._states(caikit)
        problems = cc.retire_problems(caikit, states, self.now, soak_seconds)
        if problems:
            raise CutoverError("Caikit Deployment %s is not retired, nothing was changed: %s."
                               % (where(caikit), "; ".join(problems)))
        body, replicas, retired_at = self.method.retire(caikit, self.now)
        for key in caikit["models"]:
            self.states.save(cc.mark_retired(states[key], caikit, replicas, retired_at))
        self.kube.apply(body, ",".join(caikit["models"]))
        return {"name": caikit["name"], "namespace": caikit["namespace"], "models": list(caikit["models"]),
                "status": "retired", "replicas": int(replicas), "retired_at": retired_at}

    def undo(self, caikit):
        """Bring one workload back and remove the notes from the states of the models it serves."""
        if not (caikit or {}).get("name") or not caikit.get("namespace"):
            raise CutoverError("each Caikit Deployment needs name and namespace, got %r" % (caikit,))
        plan = self.method.undo(caikit)
        if plan["action"] == "patch":
            self.kube.apply(plan["body"], ",".join(caikit.get("models") or []))
        for key, state in self._states(caikit).items():
            if "retired" in state:
                self.states.save(cc.mark_retired(state, caikit, None, self.now))
        return {"name": caikit["name"], "namespace": caikit["namespace"], "models": list(caikit.get("models") or []),
                "status": "serving", "reason": plan["reason"], "scaled_back": plan["action"] == "patch"}

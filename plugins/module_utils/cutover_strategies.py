# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The cutover strategies and the stores of the saved state, as classes behind one interface.

A strategy moves what consumers see for one model and can put it back:

- ``snapshot()``: what consumers see now, as a JSON-able dict (saved in the state before any change);
- ``apply()``: point consumers at vLLM (waiting and gating as the strategy needs); returns the URL to
  smoke-check, the one consumers now call;
- ``restore(previous)``: put back exactly what ``snapshot()`` found, from that snapshot alone (a rollback may
  run with other settings). A second restore changes nothing.

Each strategy says where it works (``store``: ``local`` files or a ``cluster``); ``strategy_class`` picks
one by name and store. A fourth strategy is one more class in ``STRATEGIES`` (docs/cutover.md). What to
send is built by the plain functions of cutover.py and cutover_cluster.py; ``Move`` carries the model's
settings and the means (module_utils/cutover_io.py's objects, the probe, the clock).
"""

from __future__ import annotations

import base64
import json
import os
import time

from ansible_collections.vllm_pooling.migration.plugins.module_utils import consumer_check
from ansible_collections.vllm_pooling.migration.plugins.module_utils import cutover_cluster as cc
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cluster_job import JobCluster, JobError, pod_states
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cluster_plan import rollout_state
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import (
    CutoverError, file_snapshot, previous_of)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.ownership import OURS, object_owner


def nice_json(document):
    """The bytes the role wrote with ``to_nice_json(indent=2, sort_keys=true)`` and a newline."""
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


class Move(object):
    """One model's cutover or rollback: its key, target, record and saved state, the settings, and the means.

    ``settings``: the cutover module's options (namespace, record_dir, state_dir, consumers,
    consumer_env_names, rollout_timeout, rollout_poll, routes, route_steps, route_settle, smoke, gate);
    ``probe(url, api, kind, model, limits)`` returns ``(passed, msg)``.
    """

    def __init__(self, key, settings, journal, kube=None, files=None, probe=None, check_mode=False,
                 sleep=time.sleep, clock=time.monotonic):
        self.key = key
        self.settings = settings
        self.journal = journal
        self.kube = kube
        self.files = files
        self.probe = probe
        self.check_mode = check_mode
        self.sleep = sleep
        self.clock = clock
        self.target = {}
        self.record = {}
        self.state = {}

    @property
    def namespace(self):
        return self.settings.get("namespace") or ""

    def event(self, action, **details):
        return self.journal.event(self.key, action, **details)

    def note(self, message):
        """Something the user should read that does not stop the run (a consumer that is gone, ...)."""
        self.event("note", msg=message)

    def check(self, url, limits, api, action, percent=None):
        """Probe ``url`` (the smoke check or a gate); raises CutoverError with the probe's message when it fails."""
        passed, msg = self.probe(url, api, self.target.get("kind"), self.target.get("served_name"), limits)
        self.event(action, percent=percent, url=url, passed=passed, msg=msg)
        if not passed:
            raise CutoverError(msg)
        return msg


class Strategy(object):
    """The interface: ``snapshot``, ``apply``, ``restore``. ``name`` is the value of cutover_strategy."""

    name = ""
    store = "cluster"

    def __init__(self, move):
        self.move = move

    def snapshot(self):
        raise NotImplementedError

    def apply(self):
        raise NotImplementedError

    def restore(self, previous):
        raise NotImplementedError


# --- local platform: the endpoint record file -------------------------------------------------


class LocalEndpointRecord(Strategy):
    """The JSON file ``<record_dir>/<key>.json`` consumers read; restored byte for byte, or removed."""

    name = "endpoint_record"
    store = "local"

    def path(self):
        return os.path.join(self.move.settings["record_dir"], "%s.json" % self.move.key)

    def snapshot(self):
        data, mode = self.move.files.read(self.path())
        exists = data is not None
        snapshot = file_snapshot({"exists": exists, "mode": mode}, base64.b64encode(data).decode("ascii") if exists else "")
        snapshot["path"] = self.path()
        return snapshot

    def apply(self):
        self.move.files.folder(self.move.settings["record_dir"], "0755")
        self.move.files.write(self.path(), nice_json(self.move.record), "0644", self.move.key)
        return self.move.record["url"]

    def restore(self, previous):
        if previous.get("exists"):
            self.move.files.write(previous["path"], base64.b64decode(previous.get("content_b64") or ""),
                                  previous.get("mode") or "0644", self.move.key)
        else:
            self.move.files.remove(previous["path"], self.move.key)


# --- cluster strategies -----------------------------------------------------------------------


class ClusterStrategy(Strategy):
    """A strategy that changes cluster objects: no restore while the model's Caikit is retired."""

    def restore(self, previous):
        refused = cc.retired_guard(self.move.state, self.move.key)
        if refused:
            raise CutoverError(refused)
        self._restore(previous)

    def _restore(self, previous):
        raise NotImplementedError


class ClusterEndpointRecord(ClusterStrategy):
    """The ConfigMap ``vllm-endpoint-<key>`` consumers read (``endpoint.json`` and flat keys for envFrom)."""

    name = "endpoint_record"

    def _configmap(self, namespace, name):
        return self.move.kube.get("v1", "ConfigMap", namespace, name)

    def snapshot(self):
        name = cc.record_configmap_name(self.move.key)
        return cc.configmap_snapshot(self._configmap(self.move.namespace, name), name, self.move.namespace)

    def apply(self):
        name = cc.record_configmap_name(self.move.key)
        body = cc.record_configmap(self.move.record, self.move.namespace, self._configmap(self.move.namespace, name))
        self.move.kube.apply(body, self.move.key)
        return self.move.record["url"]

    def _restore(self, previous):
        plan = cc.configmap_restore(previous, self._configmap(previous["namespace"], previous["name"]))
        if plan["action"] == "patch":
            self.move.kube.apply(plan["body"], self.move.key)
        elif plan["action"] == "delete":
            self.move.kube.delete("v1", "ConfigMap", previous["namespace"], previous["name"], self.move.key)
        elif plan["action"] == "keep":
            self.move.note(plan["reason"])


class ConsumerEnv(ClusterStrategy):
    """Named variables of the consumer Deployments (cutover_consumers.<key>), then their rollout."""

    name = "consumer_env"

    def consumers(self):
        return cc.consumer_list((self.move.settings.get("consumers") or {}).get(self.move.key) or [], self.move.key,
                                self.move.namespace, self.move.settings.get("consumer_env_names"))

    def _deployments(self, refs):
        return [self.move.kube.get("apps/v1", "Deployment", ref["namespace"], ref["name"]) for ref in refs]

    def wait(self, refs):
        """Wait for each Deployment to roll out or fail; returns ``namespace/name`` of those that did not."""
        timeout = int(self.move.settings.get("rollout_timeout") or 0)
        poll = max(int(self.move.settings.get("rollout_poll") or 1), 1)
        not_rolled_out = []
        for ref in refs:
            deadline = self.move.clock() + timeout
            while True:
                state = rollout_state(self.move.kube.get("apps/v1", "Deployment", ref["namespace"], ref["name"]))
                if state != "progressing" or self.move.clock() >= deadline:
                    break
                self.move.sleep(poll)
            if state != "rolled_out":
                not_rolled_out.append("%s/%s" % (ref["namespace"], ref["name"]))
        self.move.event("rollout_wait", deployments=["%s/%s" % (r["namespace"], r["name"]) for r in refs],
                        not_rolled_out=not_rolled_out, timeout=timeout)
        return not_rolled_out

    def snapshot(self):
        consumers = self.consumers()
        return cc.consumer_env_snapshot(self._deployments(consumers), consumers)

    def _sources(self, consumers):
        """Each consumer's API key Secret and CA ConfigMap as they are in its namespace (None: not named or absent)."""
        def get(kind, consumer, setting):
            source = consumer.get(setting)
            return self.move.kube.get("v1", kind, consumer["namespace"], source["name"]) if source else None
        return [{"secret": get("Secret", c, "api_key_secret"), "configmap": get("ConfigMap", c, "ca_configmap")}
                for c in consumers]

    def apply(self):
        consumers = self.consumers()
        for patch in cc.consumer_env_patches(self._deployments(consumers), consumers, self.move.record,
                                             self._sources(consumers)):
            self.move.kube.apply(patch, self.move.key)
        if not self.move.check_mode:
            late = self.wait(consumers)
            if late:
                raise CutoverError("Consumer Deployment(s) %s of %s did not roll out within %s s with the vLLM settings "
                                   "(see their pods' events)." % (", ".join(late), self.move.key,
                                                                  self.move.settings.get("rollout_timeout")))
        self.check_from_namespaces(consumers)
        return self.move.record["url"]

    def check_from_namespaces(self, consumers):
        """One request per consumer from a Job in its namespace, under its ServiceAccount and with its variables
        (module_utils/consumer_check.py); a failure raises CutoverError, so the cutover rolls back. The Job is a
        check, not a change: it is deleted once read and the run's changed flag does not count it."""
        image = self.move.settings.get("consumer_check_image") or ""
        where = ", ".join("%s/%s" % (c["namespace"], c["name"]) for c in consumers)
        if not image:
            self.move.note("%s: not checked from the consumers' namespaces (%s): set cutover_consumer_check_image to an "
                           "image with python3 to catch a blocked namespace, a wrong key or an untrusted CA before the "
                           "consumers are left on vLLM" % (self.move.key, where))
            return
        if self.move.check_mode:
            self.move.note("%s: check mode: a real run checks from the namespaces of %s" % (self.move.key, where))
            return
        timeout = int(self.move.settings.get("consumer_check_timeout") or 60)
        poll = max(int(self.move.settings.get("rollout_poll") or 1), 1)
        for consumer, deployment in zip(consumers, self._deployments(consumers)):
            job = consumer_check.check_job(self.move.key, consumer, deployment, self.move.record, image, timeout)
            name, cluster = job["metadata"]["name"], JobCluster(self.move.kube.client, consumer["namespace"])
            try:
                if object_owner(cluster.get("Job", name)) == OURS:  # an earlier run's; someone else's fails in apply
                    cluster.delete_job(name, sleep=self.move.sleep)
                cluster.apply(job)
                state, message = self._job_end(cluster, name, timeout, poll)
                cluster.delete_job(name, sleep=self.move.sleep)
            except JobError as exc:
                state, message = "failed", "the check Job could not run: %s" % exc
            self.move.event("consumer_check", consumer="%s/%s" % (consumer["namespace"], consumer["name"]),
                            job=name, passed=state == "succeeded", msg=message)
            if state != "succeeded":
                raise CutoverError("%s cannot call vLLM from its namespace as consumer %s/%s would (Job %s, "
                                   "ServiceAccount %s): %s" % (
                                       self.move.key, consumer["namespace"], consumer["name"], name,
                                       job["spec"]["template"]["spec"]["serviceAccountName"], message))

    def _job_end(self, cluster, name, timeout, poll):
        deadline = self.move.clock() + timeout + 60  # the Job's activeDeadlineSeconds, plus a minute to schedule
        job = cluster.get("Job", name)
        while consumer_check.check_outcome(job)[0] == "running" and self.move.clock() < deadline:
            self.move.sleep(poll)
            job = cluster.get("Job", name)
        pods = cluster.items("Pod", label_selector="job-name=%s" % name)
        if consumer_check.check_outcome(job)[0] == "running":
            return "failed", "it did not finish within %d s (pods: %s)" % (timeout + 60, "; ".join(pod_states(pods)) or "none")
        log = "\n".join(cluster.log(p["metadata"]["name"], container=consumer_check.CONTAINER) for p in pods)
        return consumer_check.check_outcome(job, log)

    def _restore(self, previous):
        # A consumer that is gone or does not roll out is reported, not failed on: the restore goes on for the
        # others (and a failed cutover keeps its own reason).
        plan = cc.consumer_env_restores(self._deployments(previous.get("consumers") or []), previous)
        for patch in plan["patches"]:
            self.move.kube.apply(patch, self.move.key)
        late = []
        if plan["patches"] and not self.move.check_mode:
            late = self.wait([patch["metadata"] for patch in plan["patches"]])
        for problem in plan["problems"] + ["%s was restored but did not roll out; see its pods" % ref for ref in late]:
            self.move.note(problem)


class RouteWeights(ClusterStrategy):
    """An OpenShift Route's traffic moved from its old Service to the vLLM Service in steps, with a gate (a
    short probe load through the Route) before the first step and after each; a failed gate puts the
    previous weights back. A step the Route has reached is not sent again. A Route a controller manages
    (an InferenceService's) is refused before any change."""

    name = "route_weights"

    def route(self):
        route = dict({"namespace": self.move.namespace, "url": ""},
                     **((self.move.settings.get("routes") or {}).get(self.move.key) or {}))
        if not route.get("name"):
            raise CutoverError("Strategy route_weights moves the traffic of an existing OpenShift Route: set "
                               "cutover_routes.%s to {name, namespace, url} (url optional: how the gates reach the "
                               "Route when not https://<its host>)." % self.move.key)
        return route

    def _route(self, namespace, name):
        return self.move.kube.get("route.openshift.io/v1", "Route", namespace, name)

    def gate(self, url, percent=None):
        self.move.check(url, self.move.settings["gate"], "openai", "gate", percent)

    def snapshot(self):
        """The Route's backends; refused before any change when a controller manages the Route (it would undo the
        weights: on OpenShift AI the InferenceService's Route is reset to the predictor by odh-model-controller)."""
        route = self.route()
        current = self._route(route["namespace"], route["name"])
        snapshot = cc.route_snapshot(current, route["name"], route["namespace"])
        cc.refuse_managed_route(current, route["name"], route["namespace"], self.move.key)
        return snapshot

    def apply(self):
        move, target = self.move, self.move.target
        previous = previous_of(move.state, move.key)
        steps = move.settings.get("route_steps") or list(cc.DEFAULT_ROUTE_STEPS)
        service = None
        if target.get("server") and target.get("namespace"):
            service = move.kube.get("v1", "Service", target["namespace"], target["server"])
        plan = cc.route_weight_plan(previous, service, target, steps, self._route(previous["namespace"], previous["name"]))
        url = cc.route_url(previous, self.route().get("url"))
        where = "Route %s/%s" % (previous["namespace"], previous["name"])
        if not plan:
            move.event("plan", msg="%s already sends all its traffic to %s" % (where, target.get("server")), steps=[])
        else:
            move.event("plan", steps=[step["percent"] for step in plan], msg="%s: share of traffic on %s (was %s) in steps %s %%, "
                       "with a gate after each%s" % (where, target.get("server"), (previous.get("to") or {}).get("name"),
                                                     " -> ".join(str(s["percent"]) for s in plan),
                                                     " (check mode: the last step is dry-run, no gate runs)"
                                                     if move.check_mode else ""))
        # Before any weight moves: the old backend must answer the OpenAI API through the Route too, or the
        # first gate could not tell a bad vLLM from an old backend that never spoke it.
        if not move.check_mode and plan and len(plan) == len(steps):
            self.gate(url)
        try:
            for step in (plan if not move.check_mode else plan[-1:]):
                after = move.kube.apply(step["body"], move.key)
                move.event("weights", percent=step["percent"], spec=(after or {}).get("spec"), dry_run=move.check_mode)
                if move.check_mode:
                    continue
                settle = int(move.settings.get("route_settle") or 0)
                if settle > 0:
                    move.sleep(settle)
                self.gate(url, step["percent"])
        except CutoverError as exc:
            self.restore(previous)
            raise CutoverError("%s is back on its previous backends (%s): %s"
                               % (where, (previous.get("to") or {}).get("name"), exc))
        return url

    def _restore(self, previous):
        plan = cc.route_restore(previous, self._route(previous["namespace"], previous["name"]))
        if plan["action"] == "patch":
            self.move.kube.apply(plan["body"], self.move.key)
        elif plan["action"] == "missing":
            self.move.note(plan["reason"])


STRATEGIES = (LocalEndpointRecord, ClusterEndpointRecord, ConsumerEnv, RouteWeights)


def strategy_names():
    return sorted({cls.name for cls in STRATEGIES})


def strategy_class(name, store):
    """The strategy ``name`` for the ``local`` or ``cluster`` store; CutoverError names the ones that exist."""
    for cls in STRATEGIES:
        if cls.name == name and cls.store == store:
            return cls
    where = [cls.name for cls in STRATEGIES if cls.store == store]
    raise CutoverError("strategy %s does not work on the %s platform; there: %s%s" % (
        name, "local" if store == "local" else "cluster", ", ".join(where),
        " (consumer_env and route_weights change cluster objects)" if store == "local" else ""))


# --- where the saved state lives --------------------------------------------------------------


class LocalStateStore(object):
    """The state of each model as ``<state_dir>/<key>.json``."""

    def __init__(self, files, folder):
        self.files = files
        self.folder = folder

    def path(self, key):
        return os.path.join(self.folder, "%s.json" % key)

    def load(self, key):
        data, _mode = self.files.read(self.path(key))
        if data is None:
            return {}
        try:
            return json.loads(data.decode("utf-8"))
        except ValueError as exc:
            raise CutoverError("the saved cutover state %s is not JSON (%s): restore it from the job log, or move it "
                               "away and roll back by hand" % (self.path(key), exc))

    def save(self, state):
        self.files.folder(self.folder, "0750")
        self.files.write(self.path(state["model"]), nice_json(state), "0640", state["model"])


class ClusterStateStore(object):
    """The state of each model in the ConfigMap ``vllm-cutover-<key>`` of the namespace."""

    def __init__(self, kube, namespace):
        self.kube = kube
        self.namespace = namespace

    def load(self, key):
        return cc.state_from_configmap(self.kube.get("v1", "ConfigMap", self.namespace, cc.state_configmap_name(key)), key)

    def save(self, state):
        self.kube.apply(cc.state_configmap(state, self.namespace), state.get("model", ""))

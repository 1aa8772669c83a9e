# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The rollout wait of the vLLM servers on a cluster, as plain functions over a small reader.

A *server* is ``{"key": model key, "name": Deployment name}`` (a ``cluster_plan.server_plan`` item has both).
A server planned as an InferenceService (``target: inferenceservice``) also names the ``deployment`` KServe makes
for its predictor and its ``container``; its InferenceService is read too, for KServe's verdict on the model and
for its URLs. The wait reads the cluster through a *reader*, so that it is tested without a cluster
(the ``server_rollout`` module adapts kubernetes.core's client to it):

- ``deployment(name)``: the Deployment as a dict, or None when it does not exist (yet);
- ``inference_service(name)``: the InferenceService as a dict, or None;
- ``pods(label_selector)``: the namespace's pods that match, as dicts;
- ``events()``: the namespace's core/v1 events, as dicts;
- ``log(pod, container, previous, tail_lines)``: the container's log, or None when there is none (a container
  that never started answers 400).

A server whose model folder an init container copies from a data connection (``storage_plan.copy_container``) logs
there the weights digest of what vLLM serves; ``served_weights`` reads it for its endpoint record. A server that reads
its files from a claim (``storage_plan`` source ``claim``, on either target) records the claim and folder instead, which
only a pod can read: the check Job mounts them (``check_job.claim_plan``) and digests them there.

States of a server after a wait:

- ``rolled_out``: every replica updated and available (``cluster_plan.rollout_state``, the same test as
  kubernetes.core's wait for a Deployment);
- ``failed``: the Deployment controller gave up (ProgressDeadlineExceeded) or cannot create pods (ReplicaFailure);
- ``hopeless``: still rolling out, but its pods and events show a state waiting cannot heal
  (``diagnosis.hopeless``: a crash loop past the restart limit, an image that cannot be pulled, a quota or
  admission refusal, a pod no node can ever take): the wait stops for it at once;
- ``timed_out``: still rolling out when the wait ended;
- ``not_awaited``: nothing was read (check mode, a run that does not wait).

Servers still rolling out are judged at every poll; a wait ends when none is left rolling out or its time is up.
"""

from __future__ import annotations

import re
import time

from ansible_collections.vllm_pooling.migration.plugins.module_utils.cluster_plan import (
    INFERENCE_SERVICE, SERVER_COMPONENT, label_selector, rollout_state, server_url)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import VLLM_PORT
from ansible_collections.vllm_pooling.migration.plugins.module_utils.diagnosis import (
    classify, early_stop_summary, failure_message, hopeless, server_events)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import cluster_endpoint
from ansible_collections.vllm_pooling.migration.plugins.module_utils.storage_plan import (
    COPY_CONTAINER, CopyLogError, claim_uri, copied_weights, copy_container)

ROLLED_OUT = "rolled_out"
FAILED = "failed"
HOPELESS = "hopeless"
TIMED_OUT = "timed_out"
NOT_AWAITED = "not_awaited"
PROGRESSING = "progressing"  # only inside a wait: a server still rolling out
STATES = (ROLLED_OUT, FAILED, HOPELESS, TIMED_OUT, NOT_AWAITED)

CONTAINER = "vllm"
# KServe's modelStatus.transitionStatus values after which the predictor will not come up by waiting.
KSERVE_FAILED = ("InvalidSpec", "BlockedByFailedLoad")
# API answers that waiting does not change: no credentials, no permission.
FATAL_STATUSES = frozenset((401, 403))
# Log lines read of the init container that copies a model folder: all of its one pretty-printed result.
COPY_LOG_TAIL_LINES = 5000


class RolloutError(Exception):
    """A read the wait needs failed; the message names what was read and where."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def check_servers(servers):
    """The servers as ``[{"key", "name", ...}]``; raises RolloutError naming a server without key or name."""
    checked, seen = [], set()
    for index, server in enumerate(servers or []):
        if not isinstance(server, dict) or not server.get("key") or not server.get("name"):
            raise RolloutError("servers[%d] needs a key (the model) and a name (its Deployment), got %r"
                               % (index, server if not isinstance(server, dict) else sorted(server)))
        if server["key"] in seen:
            raise RolloutError("servers: model '%s' is listed twice" % server["key"])
        seen.add(server["key"])
        checked.append(server)
    return checked


def _condition(deployment, kind, status):
    conditions = ((deployment or {}).get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c.get("type") == kind and c.get("status") == status), None)


def _failure_reason(deployment):
    """What the Deployment controller says about a failed rollout."""
    condition = _condition(deployment, "ReplicaFailure", "True") or _condition(deployment, "Progressing", "False") or {}
    text = " ".join(part for part in (condition.get("reason"), condition.get("message")) if part)
    return "the Deployment reports %s" % (text or "a failed rollout")


def deployment_name(server):
    """The Deployment that runs the server: its own, or the predictor KServe made for its InferenceService."""
    return server.get("deployment") or server["name"]


def _kserve_verdict(inference_service):
    """(failure reason or '', URL, in-cluster URL) from an InferenceService's status as KServe writes it."""
    status = (inference_service or {}).get("status") or {}
    model = status.get("modelStatus") or {}
    reason = ""
    if model.get("transitionStatus") in KSERVE_FAILED:
        failure = model.get("lastFailureInfo") or {}
        text = " ".join(str(part) for part in (failure.get("reason"), failure.get("message")) if part)
        reason = "KServe reports %s for the InferenceService%s" % (model["transitionStatus"], ": " + text if text else "")
    return reason, status.get("url") or "", (status.get("address") or {}).get("url") or ""


def judge(reader, servers, restart_limit):
    """One look at the servers: ``{key: {"name", "state", "reason"}}``, state ``rolled_out``, ``failed``,
    ``hopeless`` or ``progressing``. Pods and events are read only for servers still rolling out.
    An InferenceService's verdict also holds its ``url`` and ``service_url`` as KServe reports them."""
    verdicts = {}
    for server in servers:
        deployment = reader.deployment(deployment_name(server))
        state = rollout_state(deployment)
        verdict = {"name": server["name"], "state": state,
                   "reason": _failure_reason(deployment) if state == FAILED else ""}
        if server.get("target") == INFERENCE_SERVICE:
            failure, verdict["url"], verdict["service_url"] = _kserve_verdict(reader.inference_service(server["name"]))
            if failure and state != ROLLED_OUT:
                verdict.update(state=FAILED, reason=failure)
        verdicts[server["key"]] = verdict
    rolling = [server for server in servers if verdicts[server["key"]]["state"] == PROGRESSING]
    if rolling:
        pods = reader.pods(",".join(label_selector(SERVER_COMPONENT, [server["key"] for server in rolling])))
        events = reader.events()
        for server in rolling:
            verdict = hopeless(pods, events, deployment_name(server), restart_limit)
            if verdict["hopeless"]:
                verdicts[server["key"]].update(state=HOPELESS, reason=verdict["reason"])
    return verdicts


def wait(reader, servers, timeout, poll, restart_limit, clock=time.monotonic, sleep=time.sleep):
    """Judge the servers every ``poll`` seconds until none is rolling out or ``timeout`` seconds have passed
    (0: look once). Those still rolling out then are ``timed_out``.

    A read that fails with 401 or 403 ends the wait at once (RolloutError); other failures (a restarting API
    server, a dropped connection) are tried again at the next poll, and the wait fails only when no look
    succeeded before its time was up.
    """
    servers = check_servers(servers)
    end = clock() + max(0, timeout)
    verdicts, error = None, None
    while True:
        try:
            verdicts, error = judge(reader, servers, restart_limit), None
        except RolloutError as exc:
            if exc.status in FATAL_STATUSES:
                raise
            error = exc
        left = end - clock()
        if left <= 0 or (error is None and all(v["state"] != PROGRESSING for v in verdicts.values())):
            break
        sleep(min(max(poll, 1), left))
    if verdicts is None:
        raise error
    for verdict in verdicts.values():
        if verdict["state"] == PROGRESSING:
            verdict.update(state=TIMED_OUT, reason="still rolling out when the wait of %d s ended" % max(0, timeout))
    return verdicts


def not_awaited(servers, reason):
    """Every server ``not_awaited`` for ``reason``, without reading anything."""
    return {server["key"]: {"name": server["name"], "state": NOT_AWAITED, "reason": reason}
            for server in check_servers(servers)}


def diagnose(reader, namespace, server, verdict, tail_lines, events=None):
    """Why ``server`` did not roll out: ``diagnosis.classify`` on its pods, the events about them, their
    ReplicaSets and the Deployment, and the previous then the current log of each pod's vLLM container.

    ``events``: the namespace's events when already read (one read for several servers). Returns the
    classification (``cause``, ``hint``, ``evidence``, ``summary``) with ``msg`` and ``logs_read``
    (``[{"pod", "previous", "found"}]``); the summary of a ``hopeless`` server says why the wait stopped early.
    """
    pods = reader.pods(",".join(label_selector(None, [server["key"]])))
    names = [(pod.get("metadata") or {}).get("name") for pod in pods if isinstance(pod, dict)]
    names = [name for name in names if name]
    events = reader.events() if events is None else events
    logs, read = [], []
    for name in names:
        for previous in (True, False):  # the crash first, then the container running now
            text = reader.log(name, server.get("container") or CONTAINER, previous, tail_lines)
            read.append({"pod": name, "previous": previous, "found": text is not None})
            if text:
                logs.append(text)
    diagnosis = classify(pods, server_events(events, deployment_name(server), names), "\n".join(logs), namespace,
                         deployment_name(server))
    if verdict["state"] == HOPELESS:
        diagnosis["summary"] = early_stop_summary(diagnosis["summary"], verdict["reason"])
    diagnosis["msg"] = failure_message(server["key"], namespace, diagnosis)
    diagnosis["logs_read"] = read
    return diagnosis


def diagnose_all(reader, namespace, servers, verdicts, tail_lines):
    """``diagnose`` every server that did not roll out (and was awaited), reading the events once;
    returns ``{key: diagnosis}``."""
    failing = [s for s in check_servers(servers) if verdicts[s["key"]]["state"] in (FAILED, HOPELESS, TIMED_OUT)]
    if not failing:
        return {}
    events = reader.events()
    return {s["key"]: diagnose(reader, namespace, s, verdicts[s["key"]], tail_lines, events) for s in failing}


def _copy_pods(pods, copier):
    """The ready pods (not being deleted) whose init container is ``copier`` as planned, newest first."""
    chosen = []
    for pod in pods:
        meta, spec = (pod or {}).get("metadata") or {}, (pod or {}).get("spec") or {}
        if meta.get("deletionTimestamp") or not meta.get("name") or not _condition(pod, "Ready", "True"):
            continue
        if any(c.get("name") == COPY_CONTAINER and c.get("command") == copier.get("command")
               for c in spec.get("initContainers") or []):
            chosen.append(pod)
    return sorted(chosen, key=lambda pod: (pod["metadata"].get("creationTimestamp") or "", pod["metadata"]["name"]),
                  reverse=True)


def _served_weights(reader, server, copying):
    """``weights_source`` and ``weights_digest`` (or ``weights_note``) of one server from its copy's log."""
    source = "data connection Secret %s, S3 prefix %s/ (the Secret's bucket), copied by the init container %s" % (
        copying["secret"] or "?", copying["storage_path"], COPY_CONTAINER)
    found = {"weights_source": source}
    try:
        pods = _copy_pods(reader.pods(",".join(label_selector(SERVER_COMPONENT, [server["key"]]))), copying["container"])
    except RolloutError as exc:
        return dict(found, weights_note="the weights digest of what vLLM serves is unknown: %s" % exc)
    if not pods:
        return dict(found, weights_note="the weights digest of what vLLM serves is unknown: no ready pod of Deployment %s "
                                        "runs the planned init container %s, whose log holds it"
                                        % (deployment_name(server), COPY_CONTAINER))
    pod = pods[0]["metadata"]["name"]
    text = reader.log(pod, COPY_CONTAINER, False, COPY_LOG_TAIL_LINES)
    if text is None:
        return dict(found, weights_note="the weights digest of what vLLM serves is unknown: the log of init container %s "
                                        "in pod %s could not be read (refused, or gone)" % (COPY_CONTAINER, pod))
    try:
        copied = copied_weights(text, copying["model_id"])
    except CopyLogError as exc:
        return dict(found, weights_note="the weights digest of what vLLM serves is unknown: init container %s in pod %s: %s"
                                        % (COPY_CONTAINER, pod, exc))
    if copied["uri"]:
        found["weights_source"] = "%s (data connection Secret %s), copied by the init container %s of pod %s" % (
            copied["uri"], copying["secret"] or "?", COPY_CONTAINER, pod)
    return dict(found, weights_digest=copied["digest"])


def claim_weights(storage):
    """What a server that reads its model from a claim serves (``storage``: its ``server_plan`` item's, with
    ``files_claim``): ``weights_source`` (the ``pvc://`` folder), ``weights_claim`` (``{"claim", "path", "pods"}``,
    ``pods`` the labels of the pods the claim is attached beside, for the check Job's placement) and
    ``weights_note``: the controller cannot read a claim, the check Job mounts it and takes the digest there."""
    files = storage["files_claim"]
    uri = claim_uri(files["claim"], files["path"])
    return {"weights_source": "%s, mounted read-only" % uri,
            "weights_claim": {"claim": files["claim"], "path": files["path"], "pods": dict(storage.get("colocate") or {})},
            "weights_note": "the weights digest of what vLLM serves is unknown here: its files are on claim %s (%s), which "
                            "only a pod can read; the check Job digests them (vllm_migration_verify_client: cluster_job)"
                            % (files["claim"], uri)}


def served_weights(reader, servers, verdicts):
    """What the rolled-out servers whose model folder an init container copies (``storage_plan.copy_container`` in
    their ``server_plan`` item's ``storage``) serve: ``{key: {"weights_source", "weights_digest"}}`` from the result the
    init container logged (``storage_plan.copied_weights``), read from the newest ready pod that runs it as planned.
    When that log cannot be read or holds no digest, ``weights_note`` (why) stands instead of ``weights_digest``: the
    checks then skip the weights gate with that reason; nothing here fails the rollout. A server that reads a claim gets
    ``claim_weights``. Other servers are not read."""
    found = {}
    for server in check_servers(servers):
        if verdicts[server["key"]]["state"] != ROLLED_OUT:
            continue
        storage = server.get("storage") or {}
        copying = copy_container(storage.get("init_containers"))
        if copying is not None:
            found[server["key"]] = _served_weights(reader, server, copying)
        elif storage.get("files_claim"):
            found[server["key"]] = claim_weights(storage)
    return found


ENDPOINT_STATUS = {ROLLED_OUT: "ready", NOT_AWAITED: "not_verified"}


def endpoints(servers, verdicts, diagnoses, urls, namespace, api_key_secret="", platform="openshift", proxy_port=0,
              weights=None):
    """The endpoint records (``records.cluster_endpoint``) of ``server_plan`` items, keyed by model:
    ``ready`` when rolled out, ``not_verified`` when not awaited, else ``load_failed`` with the diagnosis
    (or the verdict's reason when there is none). Each has its Service's in-cluster URL (``service_url``; the
    authenticating proxy's https port when ``proxy_port`` is given), and what ``served_weights`` found for it
    (``weights``, per model key: ``weights_digest``, ``weights_source``, ``weights_note``)."""
    records = {}
    for server in check_servers(servers):
        key = server["key"]
        if not isinstance(server.get("entry"), dict):
            raise RolloutError("server '%s': endpoint records need the server_plan item (its entry), not only key and "
                               "name" % key)
        if key not in (urls or {}):
            raise RolloutError("server '%s': no URL in urls" % key)
        verdict = verdicts[key]
        status = ENDPOINT_STATUS.get(verdict["state"], "load_failed")
        diagnosis = diagnoses.get(key)
        reason = "" if status == "ready" or diagnosis else verdict["reason"]
        # an InferenceService's URLs are the ones KServe reports (its Route when exposed, its predictor Service)
        service_url = verdict.get("service_url") or server_url(dict({"port": VLLM_PORT}, **server), platform, namespace,
                                                               expose=False, proxy_port=proxy_port)
        records[key] = cluster_endpoint(server, status, verdict.get("url") or urls[key], namespace, api_key_secret,
                                        platform, reason=reason, diagnosis=diagnosis, service_url=service_url,
                                        weights=(weights or {}).get(key))
    return records


def summary(namespace, verdicts):
    """One sentence: how many servers are in which state, naming those that are not rolled out."""
    counts = {}
    for verdict in verdicts.values():
        counts[verdict["state"]] = counts.get(verdict["state"], 0) + 1
    parts = ["%d %s" % (counts[state], state.replace("_", " ")) for state in STATES if counts.get(state)]
    others = ["%s (%s)" % (key, _short(verdict["reason"])) for key, verdict in sorted(verdicts.items())
              if verdict["state"] not in (ROLLED_OUT, NOT_AWAITED) and verdict["reason"]]
    text = "%d server(s) in namespace %s: %s" % (len(verdicts), namespace, ", ".join(parts) or "none")
    return text + (": " + "; ".join(others) if others else "")


def _short(text, limit=160):
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[:limit - 3] + "..."

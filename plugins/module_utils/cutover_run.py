# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The cutover and the rollback of a model, start to end, for the ``cutover`` and ``cutover_rollback`` modules.

``select_models`` is the evidence check before any change: every selected model the decision moves must
have a ready endpoint and complete, fresh evidence made for it, or the whole cutover is refused with
every model's problems (``refusal_message``). ``CutoverRun.cut_over`` then moves one model:

1. snapshot what consumers see (the strategy's ``snapshot``) and plan the state (cutover.begin_state);
2. save the state before any change;
3. apply the strategy (which waits for rollouts and runs its gates);
4. smoke-check the URL consumers now call;
5. save the state as ``cut_over``.

A failure in 2-5 is where the rollback is decided: the snapshot saved in step 2 is restored (the
strategy's ``restore``), the state saved as ``failed`` with the reason, and ``CutoverFailed`` raised.
``CutoverRun.roll_back`` restores that snapshot later, from the saved state alone.
"""

from __future__ import annotations

import datetime
import json

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import REPORT_CONFIGMAP
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover import (
    TIME_FORMAT, CutoverError, begin_state, consumer_record, cutover_allowed, evidence_problems, finish_state, previous_of,
    report_digest, target_record)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cutover_strategies import (
    ClusterStateStore, LocalStateStore, Move, strategy_class)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.report_record import (
    REPORT_JSON_KEY, ReportRecordError, read_report_configmap)


def now_utc():
    """The time of a run as the saved states write it (``2026-01-31T12:00:00Z``)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(TIME_FORMAT)


class CutoverFailed(CutoverError):
    """A model's cutover failed; ``rolled_back`` says whether the previous state was restored."""

    def __init__(self, message, rolled_back=True):
        super(CutoverFailed, self).__init__(message)
        self.rolled_back = rolled_back


# --- the evidence check, before any change ----------------------------------------------------


def parse_report(text, where):
    """The report file's text as a dict; CutoverError when it is not JSON."""
    try:
        report = json.loads(text)
    except ValueError as exc:
        raise CutoverError("the report %s is not JSON (%s): run playbooks/migrate.yml (or verify.yml) again" % (where, exc))
    if not isinstance(report, dict):
        raise CutoverError("the report %s is not a JSON object" % where)
    return report


def model_problems(report, key, endpoint, now, max_age_seconds):
    """Why ``key`` cannot move to its endpoint on this report (empty when it can)."""
    if not endpoint:
        return ["no vLLM endpoint record for this model: provision it (or pass cutover_endpoints)"]
    if endpoint.get("status") != "ready":
        return [endpoint.get("reason") or "not ready"]
    return evidence_problems(report, key, target_record(endpoint), now, int(max_age_seconds))


def select_models(report, models, endpoints, now, max_age_seconds):
    """Which selected models move, which stay (and why), and which are refused (with every problem).

    ``models`` is cutover_models (empty: every model of ``endpoints``). Returns ``{selected, movable,
    stays: {key: reason}, refused: {key: [problems]}}``; CutoverError when nothing is selected.
    """
    allowed = cutover_allowed(report)
    selected = list(models) if models else list(endpoints or {})
    if not selected:
        raise CutoverError("No model to cut over: cutover_endpoints is empty and cutover_models names none. Provision first.")
    movable = [key for key in selected if allowed.get(key) == ""]
    refused = {}
    for key in movable:
        problems = model_problems(report, key, (endpoints or {}).get(key), now, max_age_seconds)
        if problems:
            refused[key] = problems
    stays = dict((key, allowed.get(key) or "the report has no result for it") for key in selected if key not in movable)
    return {"selected": selected, "movable": movable, "stays": stays, "refused": refused}


def refusal_message(refused):
    return "Cutover refused, nothing was changed. %s Run the verification again for these endpoints " \
           "(playbooks/migrate.yml or verify.yml), then cut over." % " ".join(
               "%s: %s." % (key, "; ".join(problems)) for key, problems in refused.items())


# --- the probe through the consumer-visible path ----------------------------------------------


def http_probe(api_key=None, validate_certs=True, ca_path=None, timeout=60.0):
    """A ``probe(url, api, kind, model, limits)`` running module_utils/probe.py as the endpoint_probe module does:
    ``(passed, msg)`` with the same message. Needs requests and numpy (imported here, not by the rollback)."""
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.http_endpoint import (
        JsonEndpoint, base_url_without_api_path)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.probe import (
        probe_client, probe_verdict, run_probe)

    def probe(url, api, kind, model, limits):
        base, _warning = base_url_without_api_path(url)
        endpoint = JsonEndpoint(base, model, api_key=api_key, validate_certs=validate_certs, ca_path=ca_path,
                                timeout=timeout)
        try:
            client = probe_client(endpoint, api, kind, model)
            result = run_probe(client, kind, int(limits["requests"]), int(limits["concurrency"]))
        except CheckError as exc:
            return False, exc.message
        passed, why = probe_verdict(result, float(limits["max_error_rate"]), float(limits["max_p95_ms"]))
        numbers = "%d requests, %d errors, p95 %s ms" % (result["requests"], result["errors"], result["p95_ms"])
        if passed:
            return True, "model '%s' at %s answers correctly: %s" % (model, base, numbers)
        return False, "model '%s' at %s failed the probe: %s (%s). Check the server and the path to it" % (
            model, base, why, numbers)
    return probe


# --- one model's cutover and rollback ---------------------------------------------------------


class CutoverRun(object):
    """Cutovers and rollbacks on one store (``local`` files or the ``cluster``), with one journal.

    ``settings``: see cutover_strategies.Move; ``now``: the UTC time of the run (``2026-01-31T12:00:00Z``).
    """

    def __init__(self, store, settings, journal, kube=None, files=None, probe=None, now="", check_mode=False,
                 **clock):
        self.store_name = store
        self.settings = settings
        self.journal = journal
        self.kube = kube
        self.files = files
        self.probe = probe
        self.now = now
        self.check_mode = check_mode
        self.clock = clock
        if store == "local":
            self.store = LocalStateStore(files, settings["state_dir"])
        else:
            self.store = ClusterStateStore(kube, settings.get("namespace") or "")

    def move(self, key):
        return Move(key, self.settings, self.journal, kube=self.kube, files=self.files, probe=self.probe,
                    check_mode=self.check_mode, **self.clock)

    def cut_over(self, key, strategy_name, endpoint, report, digest):
        """Move ``key``'s consumers to its vLLM endpoint; the result ``{status: cut_over, strategy, record, smoke}``.
        CutoverError before any change (nothing to restore), CutoverFailed after (restored)."""
        move = self.move(key)
        strategy = strategy_class(strategy_name, self.store_name)(move)
        move.target = target_record(endpoint)
        move.record = consumer_record(report, key, move.target, digest)
        move.state = self.store.load(key)
        snapshot = strategy.snapshot()
        to_save = begin_state(move.state, key, strategy_name, snapshot, move.target, digest, self.now)
        try:
            self.store.save(to_save)
            move.state = to_save
            url = strategy.apply()
            smoke = move.check(url, self.settings["smoke"], move.record["api"], "smoke")
            to_save = finish_state(move.state, "cut_over", self.now)
            self.store.save(to_save)
            move.state = to_save
        except Exception as exc:  # pylint: disable=broad-exception-caught  # any failure after the first write rolls back
            self._roll_back_failed(move, strategy, to_save, exc)
        move.event("cut_over", strategy=strategy_name, url=move.target["url"])
        return {"status": "cut_over", "strategy": strategy_name, "record": move.record, "smoke": smoke}

    def _roll_back_failed(self, move, strategy, to_save, exc):
        failure = str(exc) or exc.__class__.__name__
        previous = previous_of(to_save, move.key)
        try:
            strategy.restore(previous)
        except Exception as again:  # pylint: disable=broad-exception-caught
            move.event("failed", reason=failure, rolled_back=False)
            raise CutoverFailed("Cutover of %s to %s failed (%s), and putting the previous state back failed too: %s. "
                                "The saved state keeps what consumers saw before: run playbooks/rollback.yml once "
                                "this is fixed" % (move.key, move.target.get("url"), failure, again), rolled_back=False)
        to_save = finish_state(to_save, "failed", self.now, failure)
        self.store.save(to_save)
        move.event("failed", reason=failure, rolled_back=True)
        raise CutoverFailed("Cutover of %s to %s failed and was rolled back to the previous state: %s"
                            % (move.key, move.target.get("url"), failure))

    def roll_back(self, key):
        """Restore what consumers saw before ``key``'s cutover, from its saved state alone; the result
        ``{status: rolled_back, strategy, rolled_back_at}``, or None when it was never cut over here."""
        move = self.move(key)
        state = self.store.load(key)
        if not state:
            move.note("%s: no saved cutover state, nothing to roll back" % key)
            return None
        move.state = state
        previous = previous_of(state, key)
        strategy_class(state.get("strategy"), self.store_name)(move).restore(previous)
        to_save = finish_state(state, "rolled_back", self.now)
        self.store.save(to_save)
        move.event("rolled_back", strategy=state.get("strategy"))
        return {"status": "rolled_back", "strategy": state.get("strategy"), "rolled_back_at": to_save["rolled_back_at"]}


def load_report(source, path="", kube=None, namespace=""):
    """``(report, digest)``: the report file at ``path`` (``source`` file) or the decide role's report ConfigMap in
    ``namespace`` (``configmap``, checked to be ours and consistent); the digest is of its text as written."""
    if source == "file":
        where = path
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8")
            why = ""
        except (OSError, UnicodeDecodeError) as exc:
            text, why = "", " (%s)" % exc
    else:
        where = "ConfigMap %s/%s" % (namespace, REPORT_CONFIGMAP)
        configmap = kube.get("v1", "ConfigMap", namespace, REPORT_CONFIGMAP)
        text, why = ((configmap or {}).get("data") or {}).get(REPORT_JSON_KEY) or "", ""
    if not text:
        raise CutoverError("No report to act on at %s%s: run playbooks/migrate.yml (or verify.yml) first, or point "
                           "cutover_report_path at its report.json." % (where, why))
    if source == "file":
        return parse_report(text, where), report_digest(text)
    try:
        return read_report_configmap(configmap), report_digest(text)
    except ReportRecordError as exc:
        raise CutoverError(str(exc))

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The records the roles hand to each other, each built in one place with one schema.

- endpoint record (``vllm_server`` -> ``verify``, ``benchmark``): where a model's vLLM server is and
  whether it loaded; on a failed load the diagnosis (cause, hint, evidence).
- verification plan (``verify``): which check applies to a model, or why none can run.
- result record (``verify`` -> ``decide`` -> report.json, set_stats): a model's status, gates,
  warnings, provenance, the diagnosis of a failed load, and later its performance and verdict.

docs/architecture.md shows who produces and consumes each record.
"""

from __future__ import annotations

import copy
import os

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    DEFAULT_PLATFORM, ENDPOINT_SCHEMA, RESULT_SCHEMA)

ENDPOINT_STATUSES = ("ready", "load_failed", "not_verified")
RESULT_STATUSES = ("passed", "failed", "load_failed", "error", "not_verified")
# The check module per catalog kind (the verify role runs the task of that module).
CHECKS = {"embedding": "embedding_check", "reranker": "score_check"}
# What a reference record may say; anything else (an API key above all) stays out of reports.
REFERENCE_FIELDS = ("type", "url", "model", "path", "ca_path", "weights_path", "weights_source", "weights_digest",
                    "weights_claim")
# What a check module's result carries into the result record. Ansible reserves a module result's
# ``warnings`` key, so the modules return named warnings as ``check_warnings``.
CHECK_FIELDS = ("gates", "failed_gates", "skipped_gates", "corpus_size", "provenance")
# Check-specific findings kept under ``details`` (e.g. score_check's score shift consumers will see).
DETAIL_FIELDS = ("dimension", "activation", "score_shift", "queries", "served_config", "tokens", "retrieval")


class RecordError(ValueError):
    pass


def _model_fields(entry):
    """The catalog facts every record repeats, so a record is readable without the catalog."""
    return {"key": entry["key"], "model": entry["model"], "kind": entry["kind"],
            "served_name": entry["served_name"], "workarounds": list(entry.get("workarounds") or [])}


def endpoint_record(entry, status, url="", reason="", platform=DEFAULT_PLATFORM, server="", log="",
                    diagnosis=None, namespace="", api_key_secret="", model_root="", model_path="", image="",
                    service_url="", weights=None):
    """One model's vLLM endpoint. ``url`` is what the controller calls (a Route, an Ingress, a Service, a local
    port), ``service_url`` the server's in-cluster Service (``http://<server>.<namespace>.svc:<port>``, empty off a
    cluster), which the in-cluster benchmark Job calls. ``diagnosis`` is ``{cause, hint, evidence, summary}`` of a failed load;
    ``model_root`` is what vLLM was started with (``--model``), ``model_path`` the weights folder when
    this controller can read it (the local platform), for the check's expected root and digest;
    ``image`` what runs the server (the container image; on ``local`` the vLLM venv, which is keyed by
    its requirements), so a cutover can refuse evidence gathered on another build. ``weights``: what the server
    serves when it is known on a cluster (``rollout.served_weights``): ``weights_digest`` and ``weights_source``, or
    ``weights_note`` saying why the digest is unknown, and ``weights_claim`` (the claim its files are read from, which
    the check Job mounts); each key is in the record only when given."""
    if status not in ENDPOINT_STATUSES:
        raise RecordError("endpoint of '%s': unknown status %r; expected one of %s"
                          % (entry.get("key"), status, ", ".join(ENDPOINT_STATUSES)))
    if status == "ready" and not url:
        raise RecordError("endpoint of '%s' is ready but has no URL" % entry.get("key"))
    record = dict(_model_fields(entry), schema=ENDPOINT_SCHEMA, platform=platform, server=server,
                  status=status, url=url, reason=reason, log=log,
                  diagnosis=_diagnosis(diagnosis), namespace=namespace, api_key_secret=api_key_secret,
                  model_root=model_root or "", model_path=model_path or "", image=image or "",
                  service_url=service_url or "")
    # a Deployment on a cluster is named like the server
    record["deployment"] = server if namespace else ""
    record.update({field: str(weights[field]) for field in ("weights_digest", "weights_source", "weights_note")
                   if (weights or {}).get(field)})
    if (weights or {}).get("weights_claim"):
        record["weights_claim"] = dict(weights["weights_claim"])
    return record


def _diagnosis(diagnosis):
    if not diagnosis:
        return None
    return {"cause": diagnosis.get("cause", "unknown"), "hint": diagnosis.get("hint", ""),
            "evidence": list(diagnosis.get("evidence") or []), "summary": diagnosis.get("summary", "")}


def local_endpoint(entry, health, server, startup_timeout, weights="", image=""):
    """The endpoint record of a local server from the ``local_server`` module's status result.

    ``health`` is that result, or a skipped result in check mode (the server would be started);
    ``weights`` the folder the server was started from; ``image`` the vLLM venv it runs from.
    """
    if health.get("skipped"):
        return endpoint_record(entry, "not_verified", reason="check mode: the server would be started", server=server)
    log = health.get("log", "")
    if health.get("healthy"):
        return endpoint_record(entry, "ready", url="http://127.0.0.1:%d" % int(health["port"]), server=server, log=log,
                               model_root=weights, model_path=weights, image=image)
    why = ("vLLM exited before answering /health" if not health.get("running")
           else "no answer on /health within %s s" % startup_timeout)
    reason = "%s; see %s. Last log lines:\n%s" % (why, log, health.get("log_tail", ""))
    return endpoint_record(entry, "load_failed", reason=reason, server=server, log=log)


def missing_weights_endpoint(entry, weights_path=None):
    """A local model whose files are not there: never verified, with what to set."""
    reason = "no weights for %s on the local platform" % entry["model"]
    if weights_path:
        reason += " (nothing at %s)" % weights_path
    reason += ": set vllm_migration_catalog.%s.weights_path to a directory with the model files" % entry["key"]
    return endpoint_record(entry, "not_verified", reason=reason)


def local_endpoints(health_results, weights, name_prefix, startup_timeout, image=""):
    """Every endpoint record of the local vLLM servers, per model key, in one mapping.

    ``health_results`` are the ``results`` of the looped ``local_server`` status task (each ``item`` is that
    server's start result, whose ``item`` is the catalog entry); ``weights`` is the ``local_weights`` module's
    result, whose ``missing`` entries were never started and get a record that says what to set.
    """
    records = {}
    for health in health_results:
        entry = health["item"]["item"]
        records[entry["key"]] = local_endpoint(entry, health, name_prefix + entry["key"], startup_timeout,
                                               (weights.get("weights") or {}).get(entry["key"]) or "", image)
    for entry in weights.get("missing") or []:
        records[entry["key"]] = missing_weights_endpoint(entry, (weights.get("weights") or {}).get(entry["key"]))
    return records


def local_references(entries, health, models_dir=""):
    """The reference records of the local Caikit runtime, per model key: one runtime serves every model whose
    weights are there, each under its ``caikit_model_id``. ``health`` is the ``local_server`` status result;
    ``models_dir`` the runtime's model folders (each reference's ``weights_path``, for the checks' weights gate)."""
    url = "http://127.0.0.1:%d" % int(health["port"])
    references = {entry["key"]: {"type": "caikit", "url": url, "model": entry["caikit_model_id"]} for entry in entries}
    if models_dir:
        for entry in entries:
            references[entry["key"]]["weights_path"] = os.path.join(models_dir, entry["caikit_model_id"])
    return references


def cluster_endpoint(instance, status, url, namespace, api_key_secret="", platform="openshift", reason="",
                     diagnosis=None, service_url="", weights=None):
    """The endpoint record of a server deployed on a cluster (``instance`` from ``server_plan``); ``service_url``
    its Service's in-cluster URL (``cluster_plan.server_url`` without exposure); ``weights`` what it serves, when
    known (``endpoint_record``)."""
    if diagnosis and not reason:
        reason = "%s Hint: %s" % (diagnosis.get("summary", ""), diagnosis.get("hint", ""))
    args = instance.get("args") or []
    model_root = args[args.index("--model") + 1] if "--model" in args[:-1] else instance["entry"]["model"]
    return endpoint_record(instance["entry"], status, url=url, reason=reason, platform=platform,
                           server=instance["name"], diagnosis=diagnosis, namespace=namespace,
                           api_key_secret=api_key_secret, model_root=model_root, image=instance.get("image", ""),
                           service_url=service_url, weights=weights)


def reference_record(reference):
    """What may be reported of a reference: type, url, model, path. Never its API key."""
    return {field: reference[field] for field in REFERENCE_FIELDS if reference and reference.get(field)}


def verification_plan(entry, endpoint, reference):
    """Which check verifies this model, or the status and reason why none can run.

    Returns ``{"check": module name or None, "status": ..., "reason": ...}``.
    """
    if not endpoint:
        return {"check": None, "status": "not_verified", "reason": "no vLLM endpoint was provisioned for this model"}
    if endpoint["status"] != "ready":
        return {"check": None, "status": endpoint["status"], "reason": endpoint.get("reason", "")}
    if not reference:
        return {"check": None, "status": "not_verified",
                "reason": "no reference for this model: set vllm_migration_references.%s" % entry["key"]}
    if entry["kind"] not in CHECKS:
        return {"check": None, "status": "not_verified",
                "reason": "no check for %s models in this version of the collection" % entry["kind"]}
    return {"check": CHECKS[entry["kind"]], "status": "pending", "reason": ""}


def clients_gate(clients):
    """The ``clients`` gate from client_check's result, or None when no call is required (reported only)."""
    # gates pulls in numpy; the filters that load this module must not (tests/unit/test_filter_imports.py)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.gates import gate
    required = list(clients.get("required") or [])
    if not required:
        return None
    failed = list(clients.get("failed_required") or [])
    if not clients.get("clients"):  # the module failed before any call (unknown call names, a bad option)
        failed = failed or required
    return gate(not failed and bool(clients.get("passed")), clients.get("msg") or "the client calls did not run",
                required=required, failed=failed)


def _attach_clients(record, clients):
    """Add client_check's result: the calls under ``details.clients``; required calls that fail fail the model."""
    record["details"]["clients"] = {"calls": copy.deepcopy(clients.get("clients") or {}),
                                    "required": list(clients.get("required") or []),
                                    "msg": clients.get("msg", "")}
    clients_result = clients_gate(clients)
    if clients_result is None:
        return
    record["gates"]["clients"] = clients_result
    if not clients_result["passed"]:
        record["failed_gates"] = list(record["failed_gates"]) + ["clients"]
        record["status"] = "failed"
        record["reason"] = "; ".join(part for part in (record["reason"], clients_result["reason"]) if part)


def result_record(entry, endpoint=None, reference=None, plan=None, check=None, error=None, clients=None,
                  location="controller"):
    """One model's verification result.

    From ``check`` (the check module's result: status passed/failed with its gates), or ``error``
    (the check could not run: status error with the message), or else ``plan`` alone (no check
    applies: the plan's status and reason). With a check, ``plan`` names the check that ran.
    ``clients`` (client_check's result, ignored when its task was skipped) adds the consumers' client calls,
    and a ``clients`` gate when some calls are required. A check that ran (or failed to) records where it ran
    (``location``: ``controller``, or ``cluster_job`` inside the check Job) and the path to each server in
    ``checked_from``.
    """
    outcomes = [name for name, value in (("check", check), ("error", error)) if value]
    if len(outcomes) > 1 or not (outcomes or plan):
        raise RecordError("result of '%s' needs a check or an error (or a plan alone); got %s"
                          % (entry.get("key"), outcomes or "none"))
    endpoint = endpoint or {}
    # the name the candidate answered to: the endpoint's (an InferenceService serves its own name), else the catalog's
    record = dict(_model_fields(dict(entry, served_name=endpoint.get("served_name") or entry["served_name"])),
                  schema=RESULT_SCHEMA, check=None,
                  candidate={"url": endpoint.get("url", ""), "server": endpoint.get("server", ""),
                             "platform": endpoint.get("platform", DEFAULT_PLATFORM),
                             "image": endpoint.get("image", ""), "namespace": endpoint.get("namespace", "")},
                  reference=reference_record(reference), gates={}, failed_gates=[], skipped_gates=[],
                  warnings=[], corpus_size=None, provenance=None, details={}, diagnosis=endpoint.get("diagnosis"),
                  performance=None, checked_from=None)
    if endpoint.get("weights_source"):  # where vLLM's files came from on a cluster (a data connection, a claim)
        record["candidate"]["weights_source"] = endpoint["weights_source"]
    if (check or error) and endpoint.get("url") and (reference or {}).get("url"):
        from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_client import check_path
        record["checked_from"] = check_path(location, endpoint.get("platform", DEFAULT_PLATFORM), endpoint["url"],
                                            reference["url"])
    if check:
        record.update({field: copy.deepcopy(check[field]) for field in CHECK_FIELDS if field in check})
        record["warnings"] = copy.deepcopy(check.get("check_warnings") or [])
        record["details"] = {field: copy.deepcopy(check[field]) for field in DETAIL_FIELDS if field in check}
        record["check"] = (plan or {}).get("check") or check.get("check")
        record["status"] = "passed" if check.get("passed") else "failed"
        record["reason"] = check.get("msg", "")
        if check.get("reference"):
            record["reference"] = reference_record(dict(record["reference"], **check["reference"]))
    elif error:
        record["status"] = "error"
        record["reason"] = error.get("msg") or "the check failed without a message"
        if error.get("error"):
            record["error"] = copy.deepcopy(error["error"])
    else:
        record["status"] = plan["status"]
        record["reason"] = plan["reason"]
    if check and clients and not clients.get("skipped"):
        _attach_clients(record, clients)
    if record["status"] not in RESULT_STATUSES:
        raise RecordError("result of '%s': unknown status %r" % (entry["key"], record["status"]))
    return record


def attach_performance(results, performance):
    """Results with each model's performance record (``{key: record}``, from the benchmark role) set."""
    merged = copy.deepcopy(results)
    unknown = sorted(set(performance or {}) - set(merged))
    if unknown:
        raise RecordError("performance for models that were not verified: %s" % ", ".join(unknown))
    for key, record in (performance or {}).items():
        merged[key]["performance"] = copy.deepcopy(record)
    return merged


def publish_models(results, decision):
    """The per-model output (``vllm_migration``): each result record with its verdict from the decision."""
    published = {}
    for key, result in results.items():
        if key not in decision["models"]:
            raise RecordError("the decision has no verdict for '%s'" % key)
        published[key] = dict(copy.deepcopy(result), verdict=copy.deepcopy(decision["models"][key]))
    return published

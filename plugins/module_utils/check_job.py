# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The in-cluster check Job (the ``check_job`` module's logic), one purpose of ``cluster_job``.

A KServe predictor that is not exposed has only its in-cluster URL
(``http://<isvc>-predictor.<namespace>.svc.cluster.local``), which the controller cannot reach. The check Job runs the
``verify`` role (embedding_check, score_check and client_check) in the migration's namespace, against each vLLM
server's Service URL and each reference's ``internal_url`` (else its ``url``), and hands back the verification
records, the same records the role makes on the controller, with ``checked_from.location: cluster_job``.

Weights on a claim: a vLLM server that serves Caikit's own ``pvc://`` folder records the claim (its endpoint's
``weights_claim``), and discovery records where Caikit's folder is on it (the reference's ``weights_claim``). Only a pod
can read a claim, so the Job mounts each one read-only under ``/mnt/claims/<claim>`` (``claim_plan``), beside the pods
it is attached to for a ReadWriteOnce claim, and its ``weights`` gate digests both folders there.

Only server references go to the Job: a file reference (golden vectors or scores) is on the controller and is
checked there. The controller's files stay there: a reference's ``ca_path`` does not go along (the pod trusts the
CA ConfigMap it mounts), nor a corpus file or the scoring venv. The weights digests recorded where the files were
copied go along (the endpoint's and the reference's ``weights_digest``), so that the Job's ``weights`` gate compares
them; so do the reference's ``weights_path`` and ``weights_source``, so that without a digest the gate is skipped
naming the folder it cannot read, instead of being left out.
"""

from __future__ import annotations

import re

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cluster_job
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    CHECK_JOB_RESULT_SCHEMA, REFERENCE_SERVERS, RESULT_SCHEMA)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.storage_plan import claim_uri, pod_placement

NAME = "vllm-migration-checks"
ROLE = "verify"
# The verify role's variables the module sets itself, and those naming files or venvs of the controller.
RESERVED = ("verify_candidates", "verify_references", "verify_candidate_api_key", "verify_reference_api_keys",
            "verify_candidate_api_key_from", "verify_candidate_ca_from", "verify_kubernetes", "verify_client",
            "verify_client_location", "verify_scoring_python", "verify_corpus_file", "verify_ca_path")
# Time the deadline allows: the pod's start and the role's own tasks, then per model the checks, each request
# bounded by the role's timeout (a few dozen requests per model; the retrieval set is the longest part).
STARTUP_S = 120
PER_MODEL_S = 300
IMAGE_NEEDS = "ansible-core, kubernetes.core, this collection and numpy, requests and jmespath"
# What a reference record carries into the Job: its weights folder names what the Job's weights gate cannot read.
REFERENCE_FIELDS = cluster_job.REFERENCE_FIELDS + ("weights_path", "weights_source", "weights_digest", "weights_claim")
# Where the Job mounts the claims that hold the weights of the servers and of Caikit (one folder per claim).
CLAIMS_DIR = "/mnt/claims"
_CLAIM_NAME = re.compile(r"^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$")
SIDES = (("candidate", "verify_candidates", "model_path"), ("reference", "verify_references", "weights_path"))


def checked_models(parameters):
    """The models the Job checks: a ready vLLM endpoint and a server reference."""
    refs = parameters.get("verify_references") or {}
    return sorted(key for key, endpoint in (parameters.get("verify_candidates") or {}).items()
                  if endpoint.get("status") == "ready" and (refs.get(key) or {}).get("type") in REFERENCE_SERVERS)


def in_job(candidates, references, models=None):
    """The models whose checks a check Job runs (ready endpoint, server reference), from the role's own records."""
    return checked_models({"verify_candidates": cluster_job.selected(candidates, models),
                           "verify_references": references or {}})


def expected_seconds(parameters):
    """How long the Job should take at most: its start, then per checked model the checks."""
    timeout = float(parameters.get("verify_timeout", 60))
    return int(STARTUP_S + len(checked_models(parameters)) * max(PER_MODEL_S, 5 * timeout))


def paths(parameters):
    """Per checked model the URLs the Job calls, the path each takes (benchmark_client.url_path) and the claim folders
    whose weights it digests (``candidate_weights``, ``reference_weights``; ``weights_left``: a claim not mounted)."""
    # not at import: the check_job_models filter imports this module, and filters stay light
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_client import url_path
    refs = parameters.get("verify_references") or {}
    claims = claim_plan(parameters)
    found = {}
    for key in checked_models(parameters):
        endpoint = parameters["verify_candidates"][key]
        candidate, reference = endpoint["url"], refs[key].get("url", "")
        platform = endpoint.get("platform")
        found[key] = {"candidate_url": candidate, "reference_url": reference,
                      "path": url_path(candidate, platform), "reference_path": url_path(reference, platform)}
        for side, source in sorted((claims["sources"].get(key) or {}).items()):
            found[key]["%s_weights" % side] = "%s, mounted at %s" % (source, claims["folders"][key][side])
        if key in claims["left"]:
            found[key]["weights_left"] = claims["left"][key]
    return found


def _claim_side(key, side, record):
    """``(claim, path, pods)`` of one side's ``weights_claim``, checked; None without one."""
    found = (record or {}).get("weights_claim")
    if not found:
        return None
    claim, parts = (str(found.get("claim") or ""), str(found.get("path") or "").split("/")) if isinstance(found, dict) else ("", [])
    path = "/".join(part for part in parts if part not in ("", "."))
    if not _CLAIM_NAME.match(claim) or ".." in parts:
        raise cluster_job.JobError("model '%s': the %s's weights_claim must name a claim and a folder on it ({claim: <name>, "
                                   "path: <folder>, pods: {<label>: <value>}}), not %r" % (key, side, found))
    pods = found.get("pods") or {}
    if not isinstance(pods, dict):
        raise cluster_job.JobError("model '%s': the %s's weights_claim.pods must map label names to values, not %r"
                                   % (key, side, pods))
    return claim, path, tuple(sorted((str(k), str(v)) for k, v in pods.items()))


def claim_plan(parameters):
    """How the Job reads the weights on claims (the ``weights_claim`` of the checked models' endpoints and references):
    ``volumes`` and ``mounts`` (each claim once, read-only, at ``CLAIMS_DIR/<claim>``), ``affinity`` (a required pod
    affinity to the pods a ReadWriteOnce claim is attached beside: Caikit's predictor), ``folders`` (``{key: {side:
    folder in the pod}}``), ``sources`` (the same as ``pvc://`` URIs) and ``left`` (``{key: why a side's claim is not mounted}``).

    One pod runs on one node: when the claims are attached beside pods of different labels, the claims of the label
    set most models share are mounted, and the other models are left, with a note to check them in a run of their own.
    """
    sides = []
    for key in checked_models(parameters):
        for side, records, field in SIDES:
            found = _claim_side(key, side, (parameters.get(records) or {}).get(key))
            if found:
                sides.append((key, side, field) + found)
    groups = {}
    for key, side, field, claim, path, pods in sides:
        if pods:
            groups.setdefault(pods, set()).add(key)
    chosen = min(groups, key=lambda pods: (-len(groups[pods]), pods)) if groups else ()
    plan = {"volumes": [], "mounts": [], "affinity": {}, "folders": {}, "sources": {}, "left": {}}
    for key, side, field, claim, path, pods in sides:
        if pods and pods != chosen:
            plan["left"][key] = ("the %s's files are on claim %s, attached beside the pods %s, and the check Job runs beside "
                                 "%s: check '%s' in a run of its own (vllm_migration_models) to digest them"
                                 % (side, claim, _labels(pods), _labels(chosen), key))
            continue
        volume = "claim-" + cluster_job.digest(claim)[:10]
        if not any(v["name"] == volume for v in plan["volumes"]):
            plan["volumes"].append({"name": volume, "persistentVolumeClaim": {"claimName": claim, "readOnly": True}})
            plan["mounts"].append({"name": volume, "mountPath": "%s/%s" % (CLAIMS_DIR, claim), "readOnly": True})
        plan["folders"].setdefault(key, {})[side] = "/".join(part for part in (CLAIMS_DIR, claim, path) if part)
        plan["sources"].setdefault(key, {})[side] = claim_uri(claim, path)
    if chosen:
        plan["affinity"] = pod_placement(colocate=dict(chosen))["affinity"]
    return plan


def _labels(pods):
    return ",".join("%s=%s" % item for item in pods) or "(any)"


def job_parameters(candidates, references, settings, platform, read_token=None):
    """``(parameters, reference_keys)``: the verify role's variables for the Job (the settings, the endpoints of the
    models it checks at their Service URLs, their references at their in-cluster URLs, ``verify_client_location:
    cluster_job``) and the references' API keys, which go into a Secret (``read_token``: see
    ``cluster_job.reference_key``). ``verify_models`` becomes the models the Job checks."""
    settings = dict(settings or {})
    cluster_job.check_settings(settings, JOB)
    models = in_job(candidates, references, cluster_job.selected_models(settings, ROLE))
    job_refs, keys = cluster_job.job_references(references, models, read_token=read_token, fields=REFERENCE_FIELDS)
    job_candidates = cluster_job.job_candidates(candidates, models, "check",
                                                "check from the controller (verify_client: controller)")
    for endpoint in job_candidates.values():
        endpoint.setdefault("platform", platform)
    parameters = dict(settings, verify_models=models, verify_candidates=job_candidates, verify_references=job_refs,
                      verify_client_location="cluster_job", verify_scoring_python="")
    # the weights on claims: each side's folder as the Job mounts it (JobSpec.pod_files), which its weights gate reads
    plan = claim_plan(parameters)
    for key, folders in plan["folders"].items():
        for side, records, field in SIDES:
            if side in folders:
                parameters[records][key][field] = folders[side]
    for key, note in plan["left"].items():
        job_candidates[key]["weights_note"] = note
    return parameters, keys


def job_records(parameters, reason, advisory=False, started=True):
    """A record for every model of a Job that gave none: ``error`` when it failed, ``not_verified`` when it never
    ran (check mode). ``advisory`` has no meaning for checks (every gate counts)."""
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import CatalogError, resolve_models
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import result_record
    del advisory
    models = parameters.get("verify_models") or []
    try:
        entries = resolve_models(parameters.get("verify_catalog"), models) if models else []
    except CatalogError:
        entries = []  # a Job whose parameters name no model it can resolve: no record to give
    records = {}
    for entry in entries:
        endpoint = (parameters.get("verify_candidates") or {}).get(entry["key"]) or {}
        reference = (parameters.get("verify_references") or {}).get(entry["key"]) or {}
        if started:
            records[entry["key"]] = result_record(entry, endpoint, reference, error={"msg": reason},
                                                  location="cluster_job")
        else:
            records[entry["key"]] = result_record(entry, endpoint, reference,
                                                  plan={"status": "not_verified", "reason": reason})
    return records


JOB = cluster_job.JobPurpose(
    role=ROLE, noun="check", name=NAME, component="checks", result_schema=CHECK_JOB_RESULT_SCHEMA,
    record_schema=RESULT_SCHEMA, reserved=RESERVED, models=checked_models, expected_seconds=expected_seconds,
    records=job_records, image_needs=IMAGE_NEEDS, record_noun="verification")


class JobSpec(cluster_job.JobSpec):
    """A check Job's ``cluster_job.JobSpec``: its pod mounts the claims that hold the weights (``claim_plan``)."""

    purpose = JOB

    def pod_files(self):
        plan = claim_plan(self.parameters)
        return plan["volumes"], plan["mounts"], plan["affinity"]

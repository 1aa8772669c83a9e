# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The in-cluster check Job (the ``check_job`` module's logic), one purpose of ``cluster_job``.

A KServe predictor that is not exposed has only its in-cluster URL
(``http://<isvc>-predictor.<namespace>.svc.cluster.local``), which the controller cannot reach. The check Job runs the
``verify`` role (embedding_check, score_check and client_check) in the migration's namespace, against each vLLM
server's Service URL and each reference's ``internal_url`` (else its ``url``), and hands back the verification
records, the same records the role makes on the controller, with ``checked_from.location: cluster_job``.

Only server references go to the Job: a file reference (golden vectors or scores) is on the controller and is
checked there. The controller's files stay there: a reference's ``ca_path`` does not go along (the pod trusts the
CA ConfigMap it mounts), nor a corpus file or the scoring venv. The weights digests recorded where the files were
copied go along (the endpoint's and the reference's ``weights_digest``), so that the Job's ``weights`` gate compares
them; so do the reference's ``weights_path`` and ``weights_source``, so that without a digest the gate is skipped
naming the folder it cannot read, instead of being left out.
"""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cluster_job
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    CHECK_JOB_RESULT_SCHEMA, REFERENCE_SERVERS, RESULT_SCHEMA)

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
REFERENCE_FIELDS = cluster_job.REFERENCE_FIELDS + ("weights_path", "weights_source", "weights_digest")


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
    """Per checked model the URLs the Job calls and the path each takes (benchmark_client.url_path)."""
    # not at import: the check_job_models filter imports this module, and filters stay light
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_client import url_path
    refs = parameters.get("verify_references") or {}
    found = {}
    for key in checked_models(parameters):
        endpoint = parameters["verify_candidates"][key]
        candidate, reference = endpoint["url"], refs[key].get("url", "")
        platform = endpoint.get("platform")
        found[key] = {"candidate_url": candidate, "reference_url": reference,
                      "path": url_path(candidate, platform), "reference_path": url_path(reference, platform)}
    return found


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
    """A check Job's ``cluster_job.JobSpec``."""

    purpose = JOB

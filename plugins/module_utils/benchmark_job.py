# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The in-cluster benchmark Job (the ``benchmark_job`` module's logic), one purpose of ``cluster_job``.

On a cluster the load generator belongs next to the servers: measured from a laptop or an AWX pod through the
router, vLLM's p95 is the network's and the router's as much as vLLM's. The Job (``cluster_job``: its objects,
start and collect) runs the ``benchmark`` role (serving_benchmark, level by level) on the role's variables, the vLLM
endpoints rewritten to their in-cluster Service URLs and each reference to its ``internal_url`` when it has one,
and hands back the performance records. Here: the parameters, which models the Job measures, how long it may take,
the path to each server and the records of a Job that gave none.
"""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cluster_job
from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_client import client_record, url_path
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    BENCHMARK_JOB_RESULT_SCHEMA, PERFORMANCE_SCHEMA, REFERENCE_SERVERS)

NAME = "vllm-migration-benchmark"
ROLE = "benchmark"
# The benchmark role's variables the module sets itself; the settings cannot override them.
RESERVED = ("benchmark_candidates", "benchmark_references", "benchmark_candidate_api_key",
            "benchmark_reference_api_keys", "benchmark_client", "benchmark_client_location", "benchmark_chart_dir",
            "benchmark_platform")
# A file reference's path goes along: inside the Job the role says why such a reference serves no load.
REFERENCE_FIELDS = cluster_job.REFERENCE_FIELDS + ("path",)
# Time the deadline allows beyond the levels: the pod's start and the role's own tasks, and per model the
# calibration pass (every distinct request once to each server).
STARTUP_S = 120
CALIBRATION_S = 60
IMAGE_NEEDS = "ansible-core, kubernetes.core, this collection and numpy and aiohttp"


def job_references(references, models=None, environ=None, read_token=None):
    """``cluster_job.job_references`` with the fields the benchmark role reads."""
    return cluster_job.job_references(references, models, environ, read_token, fields=REFERENCE_FIELDS)


def job_parameters(candidates, references, settings, platform, read_token=None):
    """``(parameters, reference_keys)``: the benchmark role's variables for the Job (the settings, the rewritten
    endpoints and references, the platform, ``benchmark_client_location: cluster_job``, no chart) and the
    references' API keys, which go into a Secret (``read_token``: see ``reference_key``)."""
    settings = dict(settings or {})
    cluster_job.check_settings(settings, BENCHMARK)
    models = cluster_job.selected_models(settings, ROLE)
    job_refs, keys = job_references(references, models, read_token=read_token)
    candidates = cluster_job.job_candidates(candidates, models, "benchmark",
                                            "benchmark from the controller (benchmark_client: controller)")
    parameters = dict(settings, benchmark_candidates=candidates,
                      benchmark_references=job_refs, benchmark_platform=platform,
                      benchmark_client_location="cluster_job", benchmark_chart_dir="")
    return parameters, keys


def measured_models(parameters):
    """The models the Job will load both servers for: a ready endpoint and a server reference (none when the
    benchmark is turned off)."""
    if not parameters.get("benchmark_enabled", True):
        return []
    refs = parameters.get("benchmark_references") or {}
    return sorted(key for key, endpoint in (parameters.get("benchmark_candidates") or {}).items()
                  if endpoint.get("status") == "ready" and (refs.get(key) or {}).get("type") in REFERENCE_SERVERS)


def expected_seconds(parameters):
    """How long the Job should take at most: its start, then per measured model the calibration and every level
    on both servers at the longest window a level may be lengthened to, plus the warm-up."""
    levels = parameters.get("benchmark_levels") or [1, 4, 16, 64]
    duration = float(parameters.get("benchmark_duration", 10))
    window = max(duration, float(parameters.get("benchmark_max_duration", 120)))
    warmup = float(parameters.get("benchmark_warmup", 2))
    per_model = CALIBRATION_S + len(levels) * 2 * (window + warmup)
    return int(STARTUP_S + len(measured_models(parameters)) * per_model)


def paths(parameters):
    """Per measured model the URLs the Job calls and the path each takes (benchmark_client.url_path)."""
    platform = parameters.get("benchmark_platform")
    refs = parameters.get("benchmark_references") or {}
    found = {}
    for key in measured_models(parameters):
        candidate, reference = parameters["benchmark_candidates"][key]["url"], refs[key].get("url", "")
        found[key] = {"candidate_url": candidate, "reference_url": reference,
                      "path": url_path(candidate, platform), "reference_path": url_path(reference, platform)}
    return found


def job_records(parameters, reason, advisory=False, started=True):
    """A record for every selected model of a Job that gave none: ``error`` when it failed (nothing it measured
    can be claimed), ``not_measured`` when it never ran (check mode)."""
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.performance import (
        error_record, not_measured_record)
    build = error_record if started else not_measured_record
    found = paths(parameters)
    records = {}
    for key in parameters.get("benchmark_models") or sorted(parameters.get("benchmark_candidates") or {}):
        client = None
        if key in found:
            client = client_record("cluster_job", parameters.get("benchmark_platform"), found[key]["candidate_url"],
                                   found[key]["reference_url"])
        records[key] = build(reason, advisory=advisory, client=client)
    return records


BENCHMARK = cluster_job.JobPurpose(
    role=ROLE, noun="benchmark", name=NAME, component="benchmark", result_schema=BENCHMARK_JOB_RESULT_SCHEMA,
    record_schema=PERFORMANCE_SCHEMA, reserved=RESERVED, models=measured_models, expected_seconds=expected_seconds,
    records=job_records, image_needs=IMAGE_NEEDS, record_noun="performance")
DIGEST_ANNOTATION = BENCHMARK.digest_annotation


class JobSpec(cluster_job.JobSpec):
    """A benchmark Job's ``cluster_job.JobSpec``."""

    purpose = BENCHMARK


def object_names(name=NAME):
    """The names of the objects of one benchmark Job."""
    return cluster_job.object_names(name, "benchmark")


def collect(cluster, name=NAME, advisory=False):
    """``cluster_job.collect`` of a benchmark Job."""
    return cluster_job.collect(cluster, BENCHMARK, name, advisory)

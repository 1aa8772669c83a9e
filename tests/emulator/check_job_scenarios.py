# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Scenario of the in-cluster check Job (test_check_job_emulator.py).

The verify role with ``verify_client: cluster_job`` starts the Job (module check_job) and waits for it; the test plays
its pod as benchmark_job_scenarios does: the container's own command, ``ansible-playbook
vllm_pooling.migration.run_in_job -e vllm_migration_job_role=verify``, run here with the environment the Job takes
from Secrets, against two stub servers on 127.0.0.1 standing for vLLM's Service and the predictor's in-cluster URL,
writing the result ConfigMap through the emulated API; then the test writes the Job's status. The real servers
answer the same path in tests/integration/test_discover_migrate_live.py.
"""

from __future__ import annotations

import base64

from benchmark_job_scenarios import COMPLETE, IMAGE, REFERENCE_KEY, VLLM_KEY, fail_job, play_pod, set_job_status, when_started
from harness import NAMESPACE, role_playbook
from scenarios import namespace, scenario
from stub_embeddings import StubEmbeddings

JOB = "vllm-migration-checks"

ROLE_PLAYBOOK = role_playbook("The verify role with its check Job", "verify", "verify_results")


def endpoints(vllm):
    """minilm served (its Service URL is the stub); msmarco not provisioned: recorded on the controller."""
    return {"minilm": {"status": "ready", "url": "https://vllm-minilm-%s.apps.emulator.test" % NAMESPACE,
                       "served_name": "minilm", "service_url": vllm.url, "api_key_secret": "vllm-api-key",
                       "platform": "openshift", "namespace": NAMESPACE, "server": "vllm-minilm"}}


def references(reference):
    # the predictor is not exposed: its url is the in-cluster one the controller cannot reach (nothing listens there)
    internal = reference.url
    return {"minilm": {"type": "openai", "url": "http://caikit-minilm-predictor.rag-prod.svc.cluster.local",
                       "internal_url": internal, "model": "minilm", "api_key": REFERENCE_KEY},
            "msmarco": {"type": "openai", "url": "http://caikit-rerank-predictor.rag-prod.svc.cluster.local",
                        "model": "msmarco"}}


def role_vars(sc, step, vllm, reference):
    return {"vllm_migration_namespace": NAMESPACE, "vllm_migration_platform": "openshift",
            "vllm_migration_verify_client": "cluster_job", "vllm_migration_verify_job_image": IMAGE,
            "verify_job_poll": 1, "verify_candidates": endpoints(vllm), "verify_references": references(reference),
            "vllm_migration_models": ["minilm", "msmarco"], "verify_retrieval": False, "verify_timeout": 10,
            "verify_length_passages": False, "verify_check_long_inputs": False, "verify_clients": False,
            "emulator_results_file": str(sc.workdir / ("results-%s.json" % step))}


@scenario(jobs_finish=False)
def check_job(sc):
    (sc.workdir / "role.yml").write_text(ROLE_PLAYBOOK)
    sc.emulator.create("/api/v1/namespaces", namespace(NAMESPACE, {"app.kubernetes.io/managed-by": "vllm_pooling.migration"}))
    sc.emulator.create("/api/v1/namespaces/%s/secrets" % NAMESPACE, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "vllm-api-key", "namespace": NAMESPACE, "labels": {
            "app.kubernetes.io/managed-by": "vllm_pooling.migration"}},
        "data": {"api-key": base64.b64encode(VLLM_KEY.encode()).decode()}})
    with StubEmbeddings(dimension=384, models=["minilm"]) as vllm, StubEmbeddings(dimension=384, models=["minilm"]) as reference:
        sc.playbook("check", "role.yml", role_vars(sc, "check", vllm, reference), check=True)
        player = when_started(sc, JOB, lambda: (play_pod(sc, JOB, "role_pod"), set_job_status(sc, JOB, COMPLETE)))
        sc.playbook("role", "role.yml", role_vars(sc, "role", vllm, reference))
        player.join(10)
        sc.record("servers", vllm_auth=sorted(vllm.authorizations), reference_auth=sorted(reference.authorizations),
                  vllm_requests=vllm.requests, reference_requests=reference.requests)
        sc.playbook("no_image", "role.yml", dict(role_vars(sc, "no_image", vllm, reference),
                                                 vllm_migration_verify_job_image=""))
        player = when_started(sc, JOB, lambda: fail_job(sc, JOB))
        sc.playbook("role_failed", "role.yml", role_vars(sc, "role_failed", vllm, reference))
        player.join(10)

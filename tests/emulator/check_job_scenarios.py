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

import sys
from pathlib import Path

from benchmark_job_scenarios import (
    COMPLETE, IMAGE, REFERENCE_KEY, endpoints, fail_job, play_pod, seed_servers_namespace, set_job_status, when_started)
from harness import NAMESPACE, role_playbook
from scenarios import scenario
from stub_embeddings import StubEmbeddings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from s3_server import caikit_model_folder  # noqa: E402  # pylint: disable=wrong-import-position
from safetensors_files import model_tensors  # noqa: E402  # pylint: disable=wrong-import-position

JOB = "vllm-migration-checks"
CLAIM = "caikit-models"
CAIKIT_PODS = {"serving.kserve.io/inferenceservice": "caikit-minilm"}
# Caikit's predictor on a tainted GPU node: the Job that mounts its claim must run there too
GPU_TOLERATIONS = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]

ROLE_PLAYBOOK = role_playbook("The verify role with its check Job", "verify", "verify_results")


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


def claim_vars(sc, step, vllm, reference, caikit_folder):
    """minilm served from Caikit's claim (its endpoint's weights_claim, as server_rollout records it) and Caikit's model
    folder ``caikit_folder`` on the same claim (the reference's, as discovery records it)."""
    found = role_vars(sc, step, vllm, reference)
    found["verify_candidates"]["minilm"].update(
        model_root="/mnt/models", weights_claim={"claim": CLAIM, "path": "caikit/all-minilm-l6-v2/artifacts", "pods": CAIKIT_PODS})
    found["verify_references"]["minilm"].update(
        weights_claim={"claim": CLAIM, "path": "caikit/" + caikit_folder, "pods": CAIKIT_PODS})
    return dict(found, vllm_migration_models=["minilm"], vllm_migration_verify_job_tolerations=GPU_TOLERATIONS)


def claim_steps(sc, vllm, reference):
    """The Job digests the weights on Caikit's claim, which the played pod finds in a folder of the scenario."""
    sc.claims = {CLAIM: str(sc.workdir / "claim")}
    caikit = Path(sc.claims[CLAIM]) / "caikit"
    caikit.mkdir(parents=True)
    caikit_model_folder(caikit, "all-minilm-l6-v2")
    caikit_model_folder(caikit, "all-minilm-l6-v2-retrained", tensors=model_tensors(seed=7))
    for step, folder in (("claims", "all-minilm-l6-v2"), ("claims_differ", "all-minilm-l6-v2-retrained")):
        player = when_started(sc, JOB, lambda step=step: (play_pod(sc, JOB, step + "_pod"), set_job_status(sc, JOB, COMPLETE)))
        sc.playbook(step, "role.yml", claim_vars(sc, step, vllm, reference, folder))
        player.join(10)


@scenario(jobs_finish=False)
def check_job(sc):
    (sc.workdir / "role.yml").write_text(ROLE_PLAYBOOK)
    seed_servers_namespace(sc)
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
        claim_steps(sc, vllm, reference)

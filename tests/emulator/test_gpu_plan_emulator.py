# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The GPU plan and the driver check run before anything is applied (scenario ``gpu_plan``).

Real here: the role reads the seeded Node objects through kubernetes.core, plans, refuses with the numbers
and sends no write. Not proven: that a scheduler, the device plugin and vLLM's memory check behave as the
plan expects (docs/cluster.md).
"""

from __future__ import annotations

import pytest

from harness import NAMESPACE


GPU_TASK = "Refuse a GPU plan that does not fit"
IMAGE_TASK = "Refuse an image the policy or the nodes' driver rule out"


def refusal(scenario, step_name, task):
    """The message of the refusing task of a step that must fail before anything is applied."""
    step = scenario.step(step_name)
    run = step["run"]
    assert run.returncode != 0
    failed = [(name, result) for name, result in run.tasks() if result.get("failed")]
    assert failed and failed[-1][0] == task, run.describe()
    assert step["writes"] == []
    assert step["objects"].get("Deployment", {}) == {}
    return str(failed[-1][1].get("msg"))


def test_a_driver_too_old_for_the_image_cuda_is_refused_with_the_numbers_before_anything_is_applied(gpu_plan):
    message = refusal(gpu_plan, "old_driver", IMAGE_TASK)
    assert "CUDA 13" in message and "580.65.06" in message and "gpu-node-a has 550.95" in message


def test_four_servers_overflowing_a_time_sliced_gpu_are_refused_with_the_numbers(gpu_plan):
    message = refusal(gpu_plan, "overcommitted", GPU_TASK)
    for key in ("minilm", "granite", "msmarco", "bge_reranker"):
        assert "%s 0.3 (1 GPU)" % key in message
    assert "gpu-node-a: 1 time-sliced x4" in message and "sum to 1.2 > 0.9" in message
    assert "vllm_migration_serial_models" in message  # one at a time would fit


def test_too_few_exclusive_gpus_are_refused_and_nothing_is_applied(gpu_plan):
    message = refusal(gpu_plan, "too_few_gpus", GPU_TASK)
    assert "need 4 GPUs" in message and "node-1: 1 exclusive" in message and "no GPU left for" in message


def test_the_default_share_fits_four_servers_on_one_time_sliced_gpu(gpu_plan):
    step = gpu_plan.step("fits")
    run = step["run"]
    assert run.returncode == 0, run.describe()
    plan = [r for n, r in run.tasks() if n == "Show the GPU plan"][-1]["msg"]
    assert plan.startswith("GPU plan fits") and "gpu-node-a GPU 0:" in plan and "= 0.6" in plan
    deployments = {k: d for k, d in step["objects"]["Deployment"].items() if k[0] == NAMESPACE}
    assert len(deployments) == 4
    for deployment in deployments.values():
        args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        assert args[args.index("--gpu-memory-utilization") + 1] == "0.15"
    assert [w for w in step["writes"] if w.created]


def test_servers_sharing_the_time_sliced_gpu_start_one_after_another(gpu_plan):
    # vLLM sizes its cache from the GPU memory free at its start: each server's Deployment is applied only
    # after the role read the one before (the emulator rolls a Deployment out as soon as it is written).
    step = gpu_plan.step("fits")
    run = step["run"]
    plan = [r for n, r in run.tasks() if n == "Show the GPU plan"][-1]["msg"]
    assert "Start order: minilm then granite then msmarco then bge_reranker" in plan and "4 waves" in plan
    names = {d["metadata"]["labels"]["vllm-migration/model"]: name
             for (ns, name), d in step["objects"]["Deployment"].items() if ns == NAMESPACE}
    paths = {key: "/apis/apps/v1/namespaces/%s/deployments/%s" % (NAMESPACE, name) for key, name in names.items()}
    requests = step["requests"]

    def first_write(key):
        return next(i for i, (method, path) in enumerate(requests) if path == paths[key] and method != "GET")

    order = ["minilm", "granite", "msmarco", "bge_reranker"]
    for before, after in zip(order, order[1:]):
        applied, next_applied = first_write(before), first_write(after)
        assert applied < next_applied, (before, after)
        # the wait read the earlier server's Deployment between the two applies
        assert ("GET", paths[before]) in requests[applied + 1:next_applied], (before, after)
    waits = [n for n, _r in run.tasks() if n.startswith("Wait for the Deployments to roll out")]
    assert waits == ["Wait for the Deployments to roll out, at most %s: %s (start wave %d of 4)" % (
        waits[0].split("at most ", 1)[1].split(":", 1)[0], key, index + 1) for index, key in enumerate(order)], waits


@pytest.mark.parametrize("step", ["old_driver", "overcommitted", "too_few_gpus"])
def test_a_refused_plan_read_the_nodes_and_ran_no_apply_task(gpu_plan, step):
    names = [name for name, _result in gpu_plan.step(step)["run"].tasks()]
    assert "Read the GPU nodes (allocatable GPUs and GPU feature discovery labels)" in names
    assert not [n for n in names if n.startswith("Create or update the objects of each server")]

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Scenarios of the GPU plan, the model storage and the prefetch Job (registered with scenarios.scenario;
conftest.py imports this module).

The GPU nodes are seeded as Node objects with the allocatable GPUs and the labels NVIDIA's GPU feature
discovery writes; nothing schedules pods here (docs/cluster.md says what that leaves unproven).
"""

from __future__ import annotations

from harness import NAMESPACE
from scenarios import namespace, scenario

GPU_NODE = "gpu-node-a"
PLACEMENT = {
    "node_selector": {"nvidia.com/gpu.present": "true"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ai", "effect": "NoSchedule"}],
    "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["zone-a"]}]}]}}},
}
MODELCAR_IMAGE = "quay.io/rag-models/granite-embedding-modelcar:1.0"

# Only the vllm_server role: its GPU plan and image checks run before anything is applied.
GPU_VARS = {
    "vllm_migration_platform": "openshift",
    "vllm_migration_namespace": NAMESPACE,
    "vllm_migration_models": ["minilm", "granite", "msmarco", "bge_reranker"],
    "vllm_migration_placement": {"node_selector": {"nvidia.com/gpu.present": "true"}},
    "emulator_test_roles": ["vllm_server"],
}

# The model cache with prefetch, the servers' placement shared with the Job, a ReadWriteOnce claim, the
# proxy's CA bundle injected by OpenShift, and one model from an OCI model image (modelcar).
STORAGE_VARS = {
    "vllm_migration_platform": "openshift",
    "vllm_migration_namespace": NAMESPACE,
    "vllm_migration_models": ["minilm", "granite"],
    "vllm_migration_placement": PLACEMENT,
    "vllm_migration_catalog": {"granite": {"model_image": MODELCAR_IMAGE}},
    "model_cache_prefetch": True,
    "model_cache_trusted_ca_inject": True,
    "vllm_server_gpu_capacity": {"nodes": 1, "gpus_per_node": 1, "sharing": "time-slicing", "replicas": 4},
}

# ReadWriteMany (a file storage class): no same-node affinity; the prefetch Job fails once, then succeeds.
RWX_VARS = {
    "vllm_migration_platform": "openshift",
    "vllm_migration_namespace": NAMESPACE,
    "vllm_migration_models": ["minilm", "msmarco"],
    "vllm_migration_model_cache_access_mode": "ReadWriteMany",
    "model_cache_storage_class": "cephfs",
    "model_cache_prefetch": True,
    "vllm_server_gpu_capacity": {"nodes": 2, "gpus_per_node": 1},
}


def gpu_node(name, driver_major, replicas=1, gpus=1):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {
                "nvidia.com/gpu.present": "true", "nvidia.com/gpu.count": str(gpus),
                "nvidia.com/gpu.replicas": str(replicas),
                "nvidia.com/gpu.sharing-strategy": "time-slicing" if replicas > 1 else "none",
                "nvidia.com/gpu.product": "NVIDIA-L4" + ("-SHARED" if replicas > 1 else ""),
                "nvidia.com/cuda.driver-version.major": str(driver_major),
                "nvidia.com/cuda.driver-version.minor": "95",
                "nvidia.com/cuda.driver.major": str(driver_major)}},
            "spec": {"taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]},
            "status": {"allocatable": {"nvidia.com/gpu": str(gpus * replicas), "cpu": "16", "memory": "64Gi"}}}


@scenario()
def gpu_plan(sc):
    sc.emulator.create("/api/v1/namespaces", namespace(NAMESPACE))
    # One L4 shared by time-slicing (4 replicas), with a driver too old for the image's CUDA 13.
    sc.emulator.create("/api/v1/nodes", gpu_node(GPU_NODE, 550, replicas=4))
    sc.playbook("old_driver", "provision.yml", dict(GPU_VARS, vllm_migration_models=["minilm"]))
    sc.emulator.request("DELETE", "/api/v1/nodes/" + GPU_NODE)
    sc.emulator.create("/api/v1/nodes", gpu_node(GPU_NODE, 580, replicas=4))
    sc.record("driver_upgraded")
    # The case: four servers at 0.3 on one time-sliced GPU sum to 1.2.
    sc.playbook("overcommitted", "provision.yml", dict(GPU_VARS, vllm_server_gpu_memory_utilization=0.3))
    # Exclusive GPUs given as settings: four servers, one GPU.
    sc.playbook("too_few_gpus", "provision.yml", dict(GPU_VARS, vllm_server_gpu_capacity={"nodes": 1, "gpus_per_node": 1}))
    # The default share (0.15) fits all four on the time-sliced GPU.
    sc.playbook("fits", "provision.yml", GPU_VARS)


@scenario()
def storage_rwo(sc):
    sc.playbook("converge", "provision.yml", STORAGE_VARS)
    sc.playbook("idempotence", "provision.yml", STORAGE_VARS)


@scenario(job_succeeds=False)
def prefetch_rerun(sc):
    sc.playbook("failed", "provision.yml", RWX_VARS)
    sc.emulator.set_options(job_succeeds=True)
    sc.playbook("rerun", "provision.yml", RWX_VARS)
    sc.playbook("again", "provision.yml", RWX_VARS)

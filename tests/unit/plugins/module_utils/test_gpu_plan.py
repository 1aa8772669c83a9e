# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The GPU plan: which servers share which GPU, refusals with the numbers, and the driver check."""

from __future__ import annotations

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.cluster_plan import server_plan
from ansible_collections.vllm_pooling.migration.plugins.module_utils.gpu_plan import (
    GpuPlanError, driver_check, gpu_plan, node_driver, nodes_capacity, server_utilization, settings_capacity)

FOUR = ("minilm", "granite", "msmarco", "bge_reranker")
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def servers(keys=FOUR, utilization=0.3, **settings):
    base = {"platform": "openshift", "namespace": "ns", "image": "docker.io/vllm/vllm-openai:v0.32.0", "gpu": 1,
            "gpu_memory_utilization": utilization, "gpu_tolerations": [GPU_TOLERATION]}
    return server_plan(resolve_models({}, list(keys)), dict(base, **settings))


def node(name, gpus, replicas=1, labels=None, taints=None, strategy=None, resource="nvidia.com/gpu"):
    all_labels = {"nvidia.com/gpu.count": str(gpus), "nvidia.com/gpu.replicas": str(replicas),
                  "nvidia.com/gpu.sharing-strategy": strategy or ("time-slicing" if replicas > 1 else "none")}
    all_labels.update(labels or {})
    return {"metadata": {"name": name, "labels": all_labels},
            "spec": {"taints": taints or [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]},
            "status": {"allocatable": {resource: str(gpus * replicas), "cpu": "16"}}}


def test_the_issue_case_four_servers_on_one_exclusive_gpu_is_refused_with_the_numbers():
    plan = gpu_plan(servers(), {"capacity": {"nodes": 1, "gpus_per_node": 1}})
    assert plan["status"] == "refused" and plan["fits"] is False
    message = plan["message"]
    for key in FOUR:
        assert "%s 0.3 (1 GPU)" % key in message
    assert "need 4 GPUs" in message and "node-1: 1 exclusive" in message
    assert "no GPU left for" in message
    # One at a time fits: serial mode is what the plan recommends.
    assert plan["serial_fits"] is True and plan["serial_recommended"] is True
    assert "vllm_migration_serial_models" in message


def test_the_issue_case_four_times_0_3_on_one_time_sliced_gpu_overflows():
    plan = gpu_plan(servers(), {"capacity": {"gpus_per_node": 1, "sharing": "time-slicing", "replicas": 4}})
    assert plan["status"] == "refused"
    (device,) = plan["devices"]
    assert device["servers"] == sorted(FOUR, key=FOUR.index) or set(device["servers"]) == set(FOUR)
    assert device["utilization"] == pytest.approx(1.2)
    assert "sum to 1.2 > 0.9" in plan["message"]


def test_small_shares_fit_on_one_time_sliced_gpu():
    plan = gpu_plan(servers(utilization=0.15), {"capacity": {"gpus_per_node": 1, "sharing": "time-slicing", "replicas": 4}})
    assert plan["status"] == "fits" and plan["fits"] is True and not plan["serial_recommended"]
    (device,) = plan["devices"]
    assert set(device["servers"]) == set(FOUR) and device["utilization"] == pytest.approx(0.6)
    assert plan["worst_case"][0]["utilization"] == pytest.approx(0.6)
    assert "node-1 GPU 0:" in plan["message"]


def test_time_slicing_spreads_but_checks_the_worst_case_of_one_gpu():
    # Two GPUs x 4 replicas: the expected spread is 2 x 0.3 per GPU, but the device plugin only spreads
    # where it can, so all four could land on one GPU: 1.2 > 0.9.
    plan = gpu_plan(servers(), {"capacity": {"gpus_per_node": 2, "sharing": "time-slicing", "replicas": 4}})
    assert [d["utilization"] for d in plan["devices"]] == [pytest.approx(0.6), pytest.approx(0.6)]
    assert plan["status"] == "refused"
    assert "may give all 4 replicas of one time-sliced GPU" in plan["message"]
    # With two replicas per GPU at most two servers can share one: 0.6 fits.
    plan = gpu_plan(servers(), {"capacity": {"gpus_per_node": 2, "sharing": "time-slicing", "replicas": 2}})
    assert plan["status"] == "fits", plan["message"]


def test_enough_exclusive_gpus_or_mig_devices_fit_one_server_each():
    for capacity in ({"nodes": 4, "gpus_per_node": 1}, {"gpus_per_node": [2, 2]},
                     {"gpus_per_node": 7, "sharing": "mig"}):
        plan = gpu_plan(servers(utilization=0.9), {"capacity": capacity})
        assert plan["status"] == "fits", (capacity, plan["message"])
        assert all(len(d["servers"]) == 1 for d in plan["devices"]) and len(plan["devices"]) == 4


def test_a_quota_limits_the_gpus_in_all():
    plan = gpu_plan(servers(), {"capacity": {"gpus_per_node": [2, 2], "gpus": 3}})
    assert plan["status"] == "refused" and "node-2: 1 exclusive" in plan["message"]


def test_serial_mode_plans_each_server_alone_and_refuses_only_what_never_fits():
    plan = gpu_plan(servers(), {"capacity": {"gpus_per_node": 1}, "serial": True})
    assert plan["status"] == "fits" and "one server at a time" in plan["message"]
    plan = gpu_plan(servers(("minilm",), gpu=2), {"capacity": {"gpus_per_node": [1, 1]}, "serial": True})
    assert plan["status"] == "refused" and "even one server at a time" in plan["message"]
    assert "minilm 0.3 (2 GPUs)" in plan["message"] and not plan["serial_recommended"]


TIME_SLICED = {"capacity": {"gpus_per_node": 1, "sharing": "time-slicing", "replicas": 4}}


def test_servers_that_may_share_a_time_sliced_gpu_start_one_after_another_in_the_given_order():
    plan = gpu_plan(servers(utilization=0.15), TIME_SLICED)
    assert plan["status"] == "fits"
    assert plan["start_waves"] == [[key] for key in FOUR]
    assert "Start order: minilm then granite then msmarco then bge_reranker" in plan["message"]
    assert "4 waves" in plan["message"]


def test_start_waves_per_group_the_rest_first():
    # Two time-sliced nodes a server is pinned to by its node selector, and one CPU server: each node's
    # servers start in turn, the two nodes side by side, the CPU server in the first wave.
    nodes = {"resources": [node("slice-a", 1, replicas=4, labels={"pool": "a"}),
                           node("slice-b", 1, replicas=4, labels={"pool": "b"})]}
    on_a = servers(("minilm", "granite"), utilization=0.15, node_selector={"pool": "a"})
    on_b = servers(("msmarco", "bge_reranker"), utilization=0.15, node_selector={"pool": "b"})
    cpu = servers(("qwen3_reranker",), gpu=0)
    plan = gpu_plan(on_a + cpu + on_b, {"nodes": nodes})
    assert plan["status"] == "fits", plan["message"]
    assert plan["start_waves"] == [["minilm", "qwen3_reranker", "msmarco"], ["granite", "bge_reranker"]]
    assert "minilm then granite; msmarco then bge_reranker" in plan["start_order"]
    # A server that may land on either node links the two groups: one chain of four.
    anywhere = servers(("qwen3_reranker",), utilization=0.15)
    plan = gpu_plan(on_a + anywhere + on_b, {"nodes": nodes})
    assert plan["start_waves"] == [["minilm"], ["granite"], ["qwen3_reranker"], ["msmarco"], ["bge_reranker"]]


def test_exclusive_gpus_mig_serial_mode_and_unread_nodes_start_all_at_once():
    for settings in ({"capacity": {"nodes": 4, "gpus_per_node": 1}}, {"capacity": {"gpus_per_node": 7, "sharing": "mig"}},
                     dict(TIME_SLICED, serial=True), dict(TIME_SLICED, start_in_turn=False), {"nodes": None}):
        plan = gpu_plan(servers(utilization=0.15), settings)
        assert plan["start_waves"] == [list(FOUR)], settings
        assert "Start order" not in plan["message"]
    assert "now all start at once" in gpu_plan(servers(), {"nodes": None})["message"]
    assert gpu_plan(servers(gpu=0), {})["start_waves"] == [list(FOUR)]
    assert gpu_plan([], {})["start_waves"] == []


def test_a_read_write_once_cache_keeps_its_servers_on_one_node():
    capacity = {"capacity": {"nodes": 2, "gpus_per_node": 1}}
    assert gpu_plan(servers(("minilm", "granite")), capacity)["status"] == "fits"
    plan = gpu_plan(servers(("minilm", "granite")), dict(capacity, together=["minilm", "granite"]))
    assert plan["status"] == "refused"
    assert "mount the ReadWriteOnce model cache and must share one node" in plan["message"]


def test_capacity_from_settings_knows_no_labels_so_any_node_selector_may_match():
    selected = servers(("minilm",), node_selector={"nvidia.com/gpu.present": "true"})
    assert gpu_plan(selected, {"capacity": {"gpus_per_node": 1}})["status"] == "fits"


def test_capacity_from_nodes_reads_gpu_feature_discovery_labels_and_taints():
    nodes = {"resources": [
        node("gpu-a", 1, replicas=4),
        node("gpu-b", 1, strategy="none"),
        {"metadata": {"name": "cpu-1", "labels": {}}, "spec": {}, "status": {"allocatable": {"cpu": "8"}}},
        dict(node("cordoned", 4), spec={"unschedulable": True}),
        node("mig-a", 7, labels={"nvidia.com/mig.strategy": "single"}),
    ]}
    capacity = nodes_capacity(nodes)
    assert [(n["name"], n["devices"], n["replicas"], n["sharing"]) for n in capacity] == [
        ("gpu-a", 1, 4, "time-slicing"), ("gpu-b", 1, 1, "exclusive"), ("mig-a", 7, 1, "mig")]
    # The node selector and the taints decide where a server may go.
    plan = gpu_plan(servers(("minilm",), node_selector={"nvidia.com/gpu.count": "7"}), {"nodes": nodes})
    assert plan["status"] == "fits" and plan["devices"][0]["node"] == "mig-a"
    untolerated = servers(("minilm",), gpu_tolerations=[])
    plan = gpu_plan(untolerated, {"nodes": nodes})
    assert plan["status"] == "refused" and "no GPU left for minilm" in plan["message"]


def test_no_gpu_node_at_all_is_refused_and_says_what_to_set():
    nodes = {"resources": [{"metadata": {"name": "worker-1"}, "status": {"allocatable": {"cpu": "8"}}}]}
    plan = gpu_plan(servers(("minilm",)), {"nodes": nodes})
    assert plan["status"] == "refused" and "no GPU node" in plan["message"]
    assert "autoscaler" in plan["message"] and "vllm_server_gpu_capacity" in plan["message"]


@pytest.mark.parametrize("lookup,reason", [
    ({"failed": False, "msg": "nodes is forbidden: User cannot list resource"}, "nodes is forbidden"),
    ({"resources": []}, "the API listed no nodes"),
    ({"skipped": True}, "not read"),
    (None, "not read"),
])
def test_nodes_that_cannot_be_read_skip_the_plan_with_the_reason(lookup, reason):
    plan = gpu_plan(servers(("minilm",)), {"nodes": lookup})
    assert plan["status"] == "skipped" and plan["fits"] is None
    assert reason in plan["message"] and "vllm_server_gpu_capacity" in plan["message"]


def test_cpu_servers_need_no_plan():
    plan = gpu_plan(servers(("minilm",), gpu=0), {})
    assert plan["status"] == "no_gpu" and plan["fits"] is True


def test_replicas_count_as_pods_and_utilization_comes_from_the_last_flag():
    (minilm,) = servers(("minilm",), replicas=2, extra_args=["--gpu-memory-utilization=0.2"])
    assert server_utilization(minilm) == 0.2
    plan = gpu_plan([minilm], {"capacity": {"gpus_per_node": 1}})
    assert plan["status"] == "refused" and "minilm#1 0.2 (1 GPU)" in plan["message"]
    assert server_utilization({"key": "x", "args": []}) == 0.9  # vLLM's own default


@pytest.mark.parametrize("capacity,message", [
    ({"sharing": "mps"}, "sharing must be one of"),
    ({"gpus_per_node": 1, "replicas": 0}, "replicas must be"),
    ({"gpu": 1}, "unknown keys gpu"),
    ({"sharing": "exclusive"}, "needs gpus_per_node"),
    ({"gpus_per_node": -1}, "needs gpus_per_node"),
])
def test_bad_capacity_settings_are_refused_by_name(capacity, message):
    with pytest.raises(GpuPlanError, match=message):
        settings_capacity(capacity)


def test_a_utilization_out_of_range_names_the_server():
    (minilm,) = servers(("minilm",), utilization=1.5)
    with pytest.raises(GpuPlanError, match="vllm-minilm.*minilm.*must lie in"):
        gpu_plan([minilm], {"capacity": {"gpus_per_node": 1}})


# --- the driver check -------------------------------------------------------------------------------

def labelled(name, major, minor=None, old=False):
    prefix = "nvidia.com/cuda.driver." if old else "nvidia.com/cuda.driver-version."
    labels = {prefix + "major": str(major)}
    if minor is not None:
        labels[prefix + "minor"] = str(minor)
    return node(name, 1, labels=labels)


def test_driver_labels_new_old_and_full():
    assert node_driver({"nvidia.com/cuda.driver-version.full": "550.107.02"}) == (550, 107, 2)
    assert node_driver({"nvidia.com/cuda.driver.major": "535", "nvidia.com/cuda.driver.minor": "129"}) == (535, 129)
    assert node_driver({}) is None


def test_a_driver_too_old_for_cuda_13_is_refused_with_the_numbers():
    nodes = {"resources": [labelled("gpu-a", 580, 95), labelled("gpu-b", 550, 127)]}
    check = driver_check(nodes, "13.0", servers(("minilm",)))
    assert check["status"] == "too_old" and check["required"] == "580.65.06"
    assert "gpu-b has 550.127" in check["message"] and "gpu-a" not in check["message"].split("needs")[1]
    assert driver_check(nodes, "12.9", servers(("minilm",)))["status"] == "ok"


def test_a_major_only_label_compares_the_major_and_old_labels_count():
    nodes = {"resources": [labelled("gpu-a", 580, old=True)]}
    assert driver_check(nodes, "13", servers(("minilm",)))["status"] == "ok"
    nodes = {"resources": [labelled("gpu-a", 575, old=True)]}
    assert driver_check(nodes, "13", servers(("minilm",)))["status"] == "too_old"
    assert driver_check(nodes, "13", servers(("minilm",)), min_driver="570")["status"] == "ok"


@pytest.mark.parametrize("nodes,cuda,reason", [
    ({"resources": [node("gpu-a", 1)]}, "13.0", "no GPU node carries the GPU feature discovery label"),
    ({"resources": [labelled("gpu-a", 470)]}, "", "CUDA version of the image is unknown"),
    ({"failed": False, "msg": "forbidden"}, "13.0", "cannot be listed (forbidden)"),
    ({"resources": [labelled("gpu-a", 470)]}, "9.2", "no minimum driver is known for CUDA 9.2"),
])
def test_the_driver_check_is_skipped_with_a_stated_reason(nodes, cuda, reason):
    check = driver_check(nodes, cuda, servers(("minilm",)))
    assert check["status"] == "skipped" and reason in check["message"]


def test_only_nodes_the_servers_may_land_on_are_checked():
    nodes = {"resources": [labelled("gpu-a", 580), dict(labelled("gpu-old", 470), spec={"taints": [
        {"key": "dedicated", "value": "training", "effect": "NoSchedule"}]})]}
    check = driver_check(nodes, "13.0", servers(("minilm",)))
    assert check["status"] == "ok" and [n["node"] for n in check["nodes"]] == ["gpu-a"]

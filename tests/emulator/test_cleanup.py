# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# Apache License 2.0 (see LICENSE)
"""Removing one model's server (serial_models) and playbooks/cleanup_cluster.yml on an emulated
OpenShift API (scenario ``openshift_lifecycle``): what the collection created goes, by its label;
what anyone else created stays, even with the same names and kinds in another namespace.
"""

from __future__ import annotations

from harness import NAMESPACE
from scenarios import OTHER_NAMESPACE


def test_removing_one_model_leaves_the_others_and_the_cache(openshift_lifecycle):
    step = openshift_lifecycle.step("remove_one")
    assert step["run"].returncode == 0, step["run"].describe()
    objects = step["objects"]
    for kind in ("Deployment", "Service", "Route", "NetworkPolicy"):
        assert (NAMESPACE, "vllm-bge-reranker") not in objects[kind], kind
        assert (NAMESPACE, "vllm-minilm") in objects[kind], kind
    assert (NAMESPACE, "vllm-model-cache") in objects["PersistentVolumeClaim"]
    assert (NAMESPACE, "vllm-api-key") in objects["Secret"]


def test_cleanup_removes_everything_of_the_collection_and_nothing_else(openshift_lifecycle):
    seeded = openshift_lifecycle.step("seeded")["objects"]
    step = openshift_lifecycle.step("cleanup")
    assert step["run"].returncode == 0, step["run"].describe()
    objects = step["objects"]
    assert (None, NAMESPACE) not in objects["Namespace"]
    for kind, items in objects.items():
        assert not [key for key in items if key[0] == NAMESPACE], kind
    # Someone else's objects, even with our names, kinds and a managed-by label of another tool.
    assert (None, OTHER_NAMESPACE) in objects["Namespace"]
    assert objects["ConfigMap"][(OTHER_NAMESPACE, "vllm-minilm")] == seeded["ConfigMap"][(OTHER_NAMESPACE, "vllm-minilm")]
    assert (OTHER_NAMESPACE, "vllm-api-key") in objects["Secret"]
    deleted = {write.path for write in step["writes"] if write.method == "DELETE"}
    assert not [path for path in deleted if OTHER_NAMESPACE in path]

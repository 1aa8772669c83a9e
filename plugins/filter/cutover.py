# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters of the cutover's cluster strategies (endpoint record ConfigMap, consumer env, Route weights),
its state ConfigMap and Caikit retirement; the logic is module_utils/cutover_cluster.py.
Each filter is documented in the .yml file of its name."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cutover_cluster as cc
from ansible_collections.vllm_pooling.migration.plugins.plugin_utils.filters import filter_map

FILTERS = {
    "record_configmap_name": cc.record_configmap_name,
    "record_configmap": cc.record_configmap,
    "configmap_snapshot": cc.configmap_snapshot,
    "configmap_restore": cc.configmap_restore,
    "cutover_state_name": cc.state_configmap_name,
    "cutover_state_configmap": cc.state_configmap,
    "cutover_state_from_configmap": cc.state_from_configmap,
    "cutover_consumers": cc.consumer_list,
    "consumer_env_snapshot": cc.consumer_env_snapshot,
    "consumer_env_patches": cc.consumer_env_patches,
    "consumer_env_restores": cc.consumer_env_restores,
    "route_snapshot": cc.route_snapshot,
    "route_url": cc.route_url,
    "route_weight_plan": cc.route_weight_plan,
    "route_restore": cc.route_restore,
    "retire_problems": cc.retire_problems,
    "retire_patch": cc.retire_patch,
    "unretire_patch": cc.unretire_patch,
    "mark_retired": cc.mark_retired,
}


class FilterModule(object):
    def filters(self):
        return filter_map(FILTERS)

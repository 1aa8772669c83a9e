# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters of the GPU plan and the vLLM image; the logic is module_utils/gpu_plan.py and
module_utils/server_image.py. Each filter is documented in the .yml file of its name."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils import gpu_plan, server_image
from ansible_collections.vllm_pooling.migration.plugins.plugin_utils.filters import filter_map

FILTERS = {
    "gpu_plan": gpu_plan.gpu_plan,
    "image_checks": server_image.image_checks,
}


class FilterModule(object):
    def filters(self):
        return filter_map(FILTERS)

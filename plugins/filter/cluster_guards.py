# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters that keep the cluster roles from waiting in vain; the logic lives in module_utils (diagnosis.py).
Each filter is documented in the .yml file of its name. Whether an object is the collection's to write is
decided by the owned_object module (module_utils/owned_object.py, ownership.py)."""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.diagnosis import hopeless

FILTERS = {
    "rollout_hopeless": hopeless,
}


class FilterModule(object):
    def filters(self):
        return dict(FILTERS)

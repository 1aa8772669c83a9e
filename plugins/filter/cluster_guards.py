# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters that keep the cluster roles from touching what is not theirs; the logic lives in module_utils
(ownership.py). Each filter is documented in the .yml file of its name. (The rollout wait's early stop is in the
server_rollout module, module_utils/rollout.py and diagnosis.hopeless.)"""

from __future__ import annotations

from ansible_collections.vllm_pooling.migration.plugins.module_utils.ownership import object_owner

FILTERS = {
    "object_owner": object_owner,
}


class FilterModule(object):
    def filters(self):
        return dict(FILTERS)

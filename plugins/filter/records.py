# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Filters that build the collection's records and plans; the logic lives in module_utils
(records.py, cluster_plan.py, constants.py). Each filter is documented in the .yml file of its name."""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.vllm_pooling.migration.plugins.module_utils import cluster_plan, constants, records


def _plain_errors(function):
    """Our ValueErrors become AnsibleFilterError: a clear task failure, not a traceback."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (ValueError, KeyError) as exc:
            raise AnsibleFilterError("%s: %s" % (function.__name__, exc.args[0] if exc.args else exc))
    return wrapper


def constant(name):
    return constants.value(name)


FILTERS = {
    "constant": constant,
    "local_endpoint": records.local_endpoint,
    "missing_weights_endpoint": records.missing_weights_endpoint,
    "cluster_endpoint": records.cluster_endpoint,
    "verification_plan": records.verification_plan,
    "result_record": records.result_record,
    "attach_performance": records.attach_performance,
    "publish_models": records.publish_models,
    "server_plan": cluster_plan.server_plan,
    "server_url": cluster_plan.server_url,
    "route_host": cluster_plan.route_host,
    "rollout_state": cluster_plan.rollout_state,
    "label_selector": cluster_plan.label_selector,
    "cleanup_plan": cluster_plan.cleanup_plan,
}


class FilterModule(object):
    def filters(self):
        return {name: _plain_errors(function) for name, function in FILTERS.items()}

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Assertions the cutover emulator tests share."""

from __future__ import annotations

import json

from harness import NAMESPACE


def assert_ok(step):
    assert step["run"].returncode == 0, step["run"].describe()


def only_dry_runs(step):
    assert all(write.dry_run for write in step["writes"]), [w for w in step["writes"] if not w.dry_run]


def state_of(step, key="minilm"):
    configmap = step["objects"]["ConfigMap"][(NAMESPACE, "vllm-cutover-" + key)]
    return json.loads(configmap["data"]["state.json"])


def failed_messages(run):
    return [result.get("msg", "") for _name, result in run.tasks() if result.get("failed")]

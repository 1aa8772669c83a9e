# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Assertions the cutover emulator tests share, and where they find the cutover module's result."""

from __future__ import annotations

import json

from harness import NAMESPACE


def assert_ok(step):
    assert step["run"].returncode == 0, step["run"].describe()


def assert_no_change(step):
    """The step ran cleanly and changed nothing (a second run, a second rollback)."""
    assert_ok(step)
    assert step["run"].stats["changed"] == 0, step["run"].changed_tasks()


def only_dry_runs(step):
    assert all(write.dry_run for write in step["writes"]), [w for w in step["writes"] if not w.dry_run]


def state_of(step, key="minilm"):
    configmap = step["objects"]["ConfigMap"][(NAMESPACE, "vllm-cutover-" + key)]
    return json.loads(configmap["data"]["state.json"])


def failed_messages(run):
    return [result.get("msg", "") for _name, result in run.tasks() if result.get("failed")]


# The role's task calling the cutover module: what it did is in its result's log (one entry per write,
# gate, Route weight step, rollout wait, smoke check), in order.
CUTOVER_TASK = "Cut over each allowed model, with a smoke check and automatic rollback"


def cutover_result(run):
    (result,) = [result for name, result in run.tasks() if name == CUTOVER_TASK]
    return result


def cutover_log(run, *actions):
    return [entry for entry in cutover_result(run).get("log", []) if not actions or entry["action"] in actions]


def writes_to(run, kind, name):
    return [e for e in cutover_log(run, "write") if e["kind"] == kind and e["name"] == name]

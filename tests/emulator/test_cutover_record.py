# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Strategy endpoint_record on a cluster (scenarios cutover_record, cutover_record_smoke_fails): the
ConfigMap vllm-endpoint-<key> consumers read, the state saved before the change, the smoke check through
the record's URL (a stub HTTP server: the emulator runs no pods), automatic and explicit rollback.
What this cannot prove is listed in docs/cluster.md."""

from __future__ import annotations

import json

from cutover_helpers import CUTOVER_TASK, assert_no_change, assert_ok, failed_messages, only_dry_runs, state_of, writes_to
from harness import NAMESPACE

RECORD = (NAMESPACE, "vllm-endpoint-minilm")


def test_check_mode_plans_the_record_and_changes_nothing(cutover_record):
    step = cutover_record.step("check")
    assert_ok(step)
    assert RECORD not in step["objects"]["ConfigMap"] and (NAMESPACE, "vllm-cutover-minilm") not in step["objects"]["ConfigMap"]
    only_dry_runs(step)
    # the record's write is planned (a dry run) and reported as a change
    assert CUTOVER_TASK in step["run"].changed_tasks()
    assert [w["changed"] and w["dry_run"] for w in writes_to(step["run"], "ConfigMap", "vllm-endpoint-minilm")] == [True]


def test_cutover_writes_the_record_for_env_from_and_saves_the_state_before(cutover_record):
    step = cutover_record.step("cutover")
    assert_ok(step)
    configmap = step["objects"]["ConfigMap"][RECORD]
    record = json.loads(configmap["data"]["endpoint.json"])
    url = record["url"]
    assert url.startswith("http://127.0.0.1:")
    assert {k: v for k, v in configmap["data"].items() if k != "endpoint.json"} == {
        "VLLM_MIGRATION_BACKEND": "vllm", "VLLM_MIGRATION_URL": url, "VLLM_MIGRATION_API": "openai",
        "VLLM_MIGRATION_MODEL": "minilm"}
    assert record["report_digest"].startswith("sha256:") and record["decided_at"]
    assert configmap["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "vllm_pooling.migration"
    state = state_of(step)
    assert state["status"] == "cut_over" and state["strategy"] == "endpoint_record"
    assert state["previous"] == {"kind": "ConfigMap", "name": "vllm-endpoint-minilm", "namespace": NAMESPACE, "exists": False}


def test_second_cutover_changes_nothing(cutover_record):
    step = cutover_record.step("again")
    assert_no_change(step)
    assert step["objects"]["ConfigMap"][RECORD] == cutover_record.step("cutover")["objects"]["ConfigMap"][RECORD]


def test_rollback_deletes_the_record_it_created_and_a_second_rollback_changes_nothing(cutover_record):
    step = cutover_record.step("rollback")
    assert_ok(step)
    assert RECORD not in step["objects"]["ConfigMap"]
    assert state_of(step)["status"] == "rolled_back"
    again = cutover_record.step("rollback_again")
    assert_no_change(again)


def test_failed_smoke_check_restores_someone_elses_record_exactly(cutover_record_smoke_fails):
    seeded = cutover_record_smoke_fails.step("seeded")["objects"]["ConfigMap"][RECORD]
    step = cutover_record_smoke_fails.step("cutover")
    run = step["run"]
    assert run.returncode != 0
    (message,) = [m for m in failed_messages(run) if "rolled back" in m]
    assert "minilm" in message and "500" in message, message
    after = step["objects"]["ConfigMap"][RECORD]
    assert after["data"] == seeded["data"]
    assert after["metadata"]["labels"] == seeded["metadata"]["labels"]  # never labelled ours
    assert after["metadata"]["annotations"] == seeded["metadata"]["annotations"]
    state = state_of(step)
    assert state["status"] == "failed" and state["previous"]["exists"] and not state["previous"]["ours"]
    rollback = cutover_record_smoke_fails.step("rollback")
    assert_ok(rollback)
    assert rollback["objects"]["ConfigMap"][RECORD]["data"] == seeded["data"]
    assert state_of(rollback)["status"] == "rolled_back"

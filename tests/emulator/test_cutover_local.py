# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Strategy endpoint_record on the local platform (scenario cutover_local): the real playbooks/cutover.yml and
rollback.yml with a JSON record file, a report file and a stub vLLM (stub_embeddings.py), as
tests/integration/test_cutover_live.py runs them on the real servers: check mode, the flip, no change on a
re-run, byte-for-byte rollback twice, and a failed smoke check rolled back by itself."""

from __future__ import annotations

import json

from cutover_helpers import CUTOVER_TASK, assert_no_change, assert_ok, cutover_result, failed_messages
from cutover_scenarios import LOCAL_SEED


def test_check_mode_says_what_it_would_change_and_changes_nothing(cutover_local):
    step = cutover_local.step("check")
    assert_ok(step)
    assert CUTOVER_TASK in step["run"].changed_tasks()
    files = cutover_local.step("check:files")
    assert files["record"] == LOCAL_SEED and files["state"] is None
    assert any('"backend": "vllm"' in d["after"] for d in cutover_result(step["run"])["diff"])


def test_cutover_flips_the_record_saves_the_state_before_and_a_second_run_changes_nothing(cutover_local):
    step = cutover_local.step("cutover")
    assert_ok(step)
    files = cutover_local.step("cutover:files")
    record = json.loads(files["record"])
    assert record["backend"] == "vllm" and record["api"] == "openai" and record["report_digest"].startswith("sha256:")
    assert files["state"]["status"] == "cut_over" and files["state"]["previous"]["exists"] is True
    assert cutover_result(step["run"])["outcomes"]["minilm"]["record"] == record
    again = cutover_local.step("again")
    assert_no_change(again)
    assert cutover_local.step("again:files")["record"] == files["record"]


def test_rollback_restores_the_record_byte_for_byte_and_twice_changes_nothing(cutover_local):
    step = cutover_local.step("rollback")
    assert_ok(step)
    files = cutover_local.step("rollback:files")
    assert files["record"] == LOCAL_SEED and files["state"]["status"] == "rolled_back"
    again = cutover_local.step("rollback_again")
    assert_no_change(again)


def test_a_failed_smoke_check_rolls_back_by_itself(cutover_local):
    step = cutover_local.step("smoke_fails")
    assert step["run"].returncode != 0
    assert any("failed and was rolled back to the previous state" in m for m in failed_messages(step["run"]))
    files = cutover_local.step("smoke_fails:files")
    assert files["record"] == LOCAL_SEED
    assert files["state"]["status"] == "failed" and "p95" in files["state"]["reason"]

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Caikit retirement (scenario retire_caikit): refused before a cutover and before the soak period,
then the Caikit Deployment scaled to zero (never deleted) with its replicas kept; a rollback is refused
while Caikit has no pods; the undo scales it back. The emulator runs no pods: replicas are checked as
written (docs/cluster.md)."""

from __future__ import annotations

from cutover_helpers import assert_ok, failed_messages, only_dry_runs, state_of
from harness import NAMESPACE

CAIKIT = (NAMESPACE, "caikit-runtime")
SAVED = "vllm-migration/retired-replicas"


def caikit(step):
    return step["objects"]["Deployment"][CAIKIT]


def refused(step, *words):
    assert step["run"].returncode != 0
    messages = " ".join(failed_messages(step["run"]))
    assert all(word in messages for word in words), messages
    return messages


def test_retirement_is_refused_before_any_cutover_and_before_the_soak(retire_caikit):
    before = retire_caikit.step("retire_before_cutover")
    refused(before, "caikit-runtime", "'minilm' was never cut over", "nothing was changed")
    assert caikit(before)["spec"]["replicas"] == 2
    early = retire_caikit.step("retire_early")
    refused(early, "soak period is 3600 s")
    assert caikit(early)["spec"]["replicas"] == 2 and not early["writes"]


def test_check_mode_changes_nothing(retire_caikit):
    step = retire_caikit.step("retire_check")
    assert_ok(step)
    only_dry_runs(step)
    assert caikit(step)["spec"]["replicas"] == 2


def test_retirement_scales_to_zero_keeps_the_replicas_and_notes_it_in_the_state(retire_caikit):
    step = retire_caikit.step("retire")
    assert_ok(step)
    deployment = caikit(step)
    assert deployment["spec"]["replicas"] == 0
    assert deployment["metadata"]["annotations"][SAVED] == "2"
    assert state_of(step)["retired"]["replicas"] == 2
    again = retire_caikit.step("retire_again")
    assert_ok(again)
    assert again["run"].stats["changed"] == 0, again["run"].changed_tasks()


def test_rollback_is_refused_while_caikit_is_retired(retire_caikit):
    step = retire_caikit.step("rollback_refused")
    refused(step, "retired", "vllm_migration_retire_undo=true", "Nothing was restored")
    assert state_of(step)["status"] == "cut_over"
    assert (NAMESPACE, "vllm-endpoint-minilm") in step["objects"]["ConfigMap"]


def test_undo_scales_back_exactly_then_changes_nothing_and_rollback_works(retire_caikit):
    cut = retire_caikit.step("cutover")
    step = retire_caikit.step("undo")
    assert_ok(step)
    assert caikit(step)["spec"] == caikit(cut)["spec"]
    assert caikit(step)["metadata"].get("annotations", {}) == {}
    assert "retired" not in state_of(step)
    again = retire_caikit.step("undo_again")
    assert_ok(again)
    assert again["run"].stats["changed"] == 0, again["run"].changed_tasks()
    rollback = retire_caikit.step("rollback")
    assert_ok(rollback)
    assert state_of(rollback)["status"] == "rolled_back"

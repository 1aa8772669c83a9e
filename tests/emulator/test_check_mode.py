# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# Apache License 2.0 (see LICENSE)
"""``--check`` against an empty cluster creates nothing (scenario ``check_fresh``).

The roles' writes in check mode are dry-run requests (``dryRun=All``); before the namespace exists
even those cannot be sent for namespaced objects (the API server refuses them), so owned_object reports
what a real run would create. The emulator honours dryRun only because our subclass implements it.
"""

from __future__ import annotations

from harness import NAMESPACE


def test_check_mode_on_an_empty_cluster_creates_nothing(check_fresh):
    step = check_fresh.step("check")
    run = step["run"]
    assert run.returncode == 0, run.describe()
    assert not [key for objects in step["objects"].values() for key in objects]
    assert step["writes"], "check mode sent nothing at all: the namespace dry-run create is expected"
    assert all(write.dry_run for write in step["writes"]), step["writes"]
    # Server-side apply of the namespace, which would create it.
    assert ("PATCH", "/api/v1/namespaces/%s" % NAMESPACE, True, True) in step["writes"]


def test_check_mode_reports_what_would_change_and_records_nothing_as_ready(check_fresh):
    run = check_fresh.step("check")["run"]
    assert "Create or update namespace %s" % NAMESPACE in run.changed_tasks()
    assert {key: e["status"] for key, e in run.endpoints.items()} == {"minilm": "not_verified", "bge_reranker": "not_verified"}
    assert all("check mode" in e["reason"] for e in run.endpoints.values())

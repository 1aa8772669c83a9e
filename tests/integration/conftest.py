"""Integration fixtures: the real vLLM CPU servers and the real Caikit-NLP runtime, started once per
test run by the collection's own roles (playbooks/provision.yml), stopped by playbooks/cleanup.yml.

Servers started:
- vllm-minilm       all-MiniLM-L6-v2 as the catalog describes it (correct deployment)
- vllm-minilm_cls   the same weights with --pooler-config forcing CLS pooling (a broken deployment)
- caikit            the Caikit-NLP runtime serving minilm (the reference)
granite is selected too, without weights: it must come out not_verified.
"""

from __future__ import annotations

import json

import pytest

from live_servers import BROKEN_CATALOG, ROOT, run_playbook


@pytest.fixture(scope="session")
def local_servers(tmp_path_factory):
    state = tmp_path_factory.mktemp("state")
    reports = tmp_path_factory.mktemp("reports")
    extra = {
        "vllm_migration_models": ["minilm", "minilm_cls", "granite"],
        "vllm_migration_catalog": BROKEN_CATALOG,
        "vllm_migration_state_dir": str(state),
        "vllm_migration_report_dir": str(reports),
    }
    rc, output, stderr = run_playbook(ROOT / "playbooks/provision.yml", extra_vars=extra)
    servers = {}
    for name in ("vllm-minilm", "vllm-minilm_cls", "caikit"):
        path = state / (name + ".json")
        if path.exists():
            servers[name] = json.loads(path.read_text())
    try:
        assert rc == 0, "provisioning failed:\n%s\n%s" % (json.dumps(output.get("stats")), stderr[-3000:])
        assert set(servers) == {"vllm-minilm", "vllm-minilm_cls", "caikit"}, servers.keys()
        yield {
            "extra_vars": extra,
            "state_dir": state,
            "report_dir": reports,
            "servers": servers,
            "provision_output": output,
            "vllm": "http://127.0.0.1:%d" % servers["vllm-minilm"]["port"],
            "vllm_cls": "http://127.0.0.1:%d" % servers["vllm-minilm_cls"]["port"],
            "caikit": "http://127.0.0.1:%d" % servers["caikit"]["port"],
        }
    finally:
        run_playbook(ROOT / "playbooks/cleanup.yml", extra_vars=extra)

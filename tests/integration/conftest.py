"""Integration fixtures: every real server the integration tests need, started together, once.

Each ``fleet_<name>.py`` beside this file declares the servers one group of tests needs:
``fleet(workdir, venvs) -> {"models": [...], "catalog": {...}, "references": {...}, "not_started": [...]}``,
``venvs`` being ``{"vllm": path, "caikit": path}`` (built first, so a fleet can generate model folders
with their interpreters: ``<venv>/bin/python``).
A test module names the fleets it needs in ``FLEETS`` (core when it says nothing). The modules are
ordered so that those needing the same fleets run together, and each set starts in ONE
``playbooks/provision.yml`` run (the collection's own roles): the servers start side by side.
Fleets the next modules do not need are stopped first, because every fleet at once does not fit in
the machine's memory; ``playbooks/cleanup.yml`` stops everything at the end.

``VLLM_TEST_FLEETS=core,zoo`` starts only those fleets (for working on one group of tests); tests
of a fleet that was left out are skipped with that reason (a fleet lists its keys in ``MODELS``). CI sets nothing, so every fleet runs.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import pytest
import requests

from live_servers import ROOT, run_playbook

HERE = Path(__file__).resolve().parent

# The role's local environment plus two savings for the many test servers:
# - VLLM_ENABLE_V1_MULTIPROCESSING=0: no separate worker process (one Python start and about 0.6 GB less each);
# - VLLM_CPU_CI_ENV=1, the switch vLLM's own CPU CI uses: the model runs traced but not compiled by inductor,
#   and the warm-up is skipped. A MiniLM server is ready in 34 s instead of 58 s on two cores; the answers are
#   the same computation. The serial main job (test_embedding_check_live.py) starts its own servers with the
#   role's defaults, so the compiled path is exercised too; the other main jobs reuse these fleet servers.
TEST_SERVER_ENV = {
    "VLLM_CPU_OMP_THREADS_BIND": "nobind", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
    "VLLM_NO_USAGE_STATS": "1", "DO_NOT_TRACK": "1", "VLLM_ENABLE_V1_MULTIPROCESSING": "0", "VLLM_CPU_CI_ENV": "1",
}


def _fleet_names():
    available = sorted(path.stem[len("fleet_"):] for path in HERE.glob("fleet_*.py"))
    wanted = os.environ.get("VLLM_TEST_FLEETS")
    if not wanted:
        return available, available
    selected = [name.strip() for name in wanted.split(",") if name.strip()]
    unknown = sorted(set(selected) - set(available))
    if unknown:
        raise pytest.UsageError("VLLM_TEST_FLEETS names unknown fleets %s; there are %s" % (unknown, available))
    return available, selected


def _prepare_venvs(workdir):
    output = workdir / "venvs.json"
    rc, result, stderr = run_playbook(HERE / "prepare_venvs.yml", extra_vars={"prepare_venvs_output": str(output)})
    assert rc == 0, "building the server venvs failed:\n%s\n%s" % (json.dumps(result.get("stats")), stderr[-3000:])
    return json.loads(output.read_text())


def _merge_fleets(workdir, names, venvs):
    merged = {"models": [], "catalog": {}, "references": {}, "not_started": [], "owner": {}}
    for name in names:
        folder = workdir / name
        folder.mkdir(parents=True, exist_ok=True)
        spec = importlib.import_module("fleet_" + name).fleet(folder, venvs)
        for key in spec["models"]:
            if key in merged["owner"]:
                raise pytest.UsageError("fleets %s and %s both declare model %s" % (merged["owner"][key], name, key))
            merged["owner"][key] = name
            merged["models"].append(key)
        merged["catalog"].update(spec.get("catalog", {}))
        merged["references"].update(spec.get("references", {}))
        merged["not_started"].extend(spec.get("not_started", []))
    return merged


class LocalServers(dict):
    """What the fixture yields: a dict (see ``local_servers``) plus ``require`` for fleet-aware tests."""

    def require(self, key):
        """The vLLM base URL of catalog key ``key``; skip (with the reason) when its fleet was left out."""
        if key not in self["url"]:
            if key in self["skipped_models"]:
                pytest.skip("fleet %s was not started (VLLM_TEST_FLEETS=%s)"
                            % (self["skipped_models"][key], os.environ.get("VLLM_TEST_FLEETS")))
            raise AssertionError("no vLLM server for %s; started: %s" % (key, sorted(self["url"])))
        return self["url"][key]


class Fleets(object):
    """Starts the fleets a test module needs, all in one provision.yml run, and stops fleets no longer
    needed first: every server of every fleet at once does not fit in 24 GiB (about 1.7 GB each)."""

    def __init__(self, tmp_path_factory):
        self.available, self.selected = _fleet_names()
        self.workdir = tmp_path_factory.mktemp("fleets")
        self.state = tmp_path_factory.mktemp("state")
        self.reports = tmp_path_factory.mktemp("reports")
        self.venvs = None
        self.specs = {}
        self.running = None
        self.extra = None

    def _spec(self, name):
        if name not in self.specs:
            self.venvs = self.venvs or _prepare_venvs(self.workdir)
            self.specs[name] = _merge_fleets(self.workdir, [name], self.venvs)
        return self.specs[name]

    def _stop(self, names):
        models = [key for name in names for key in self._spec(name)["models"]]
        play = [{"name": "Stop fleets", "hosts": "localhost", "gather_facts": False, "tasks": [{
            "name": "Stop their servers", "ansible.builtin.include_role": {
                "name": "vllm_pooling.migration.vllm_server", "tasks_from": "remove"},
            "vars": {"vllm_server_remove_models": models, "vllm_server_state_dir": str(self.state)}}]}]
        playbook = self.workdir / "stop-fleets.json"
        playbook.write_text(json.dumps(play))
        rc, output, stderr = run_playbook(playbook)
        assert rc == 0, "stopping fleets %s failed:\n%s" % (names, stderr[-2000:])

    def ensure(self, wanted):
        """The servers of ``wanted`` fleets (those VLLM_TEST_FLEETS allows), started if not running."""
        wanted = tuple(name for name in sorted(set(wanted)) if name in self.selected)
        if wanted != self.running:
            if self.running:
                self._stop(sorted(set(self.running) - set(wanted)))
            merged = {"models": [], "catalog": {}, "references": {}, "not_started": []}
            for name in wanted:
                spec = self._spec(name)
                for field in ("models", "not_started"):
                    merged[field] += spec[field]
                for field in ("catalog", "references"):
                    merged[field].update(spec[field])
            self.extra = {
                "vllm_migration_models": merged["models"],
                "vllm_migration_catalog": merged["catalog"],
                "vllm_migration_state_dir": str(self.state),
                "vllm_migration_report_dir": str(self.reports),
                "vllm_server_local_env": TEST_SERVER_ENV,
                # vLLM refuses to start when less than this fraction of the memory is free
                "vllm_server_local_memory_utilization": 0.03,
            }
            if merged["references"]:
                self.extra["vllm_migration_references"] = merged["references"]
            self.running = wanted
            self.output = self._provision(merged)
        return self._describe()

    def _provision(self, merged):
        rc, output, stderr = run_playbook(ROOT / "playbooks/provision.yml", extra_vars=self.extra)
        assert rc == 0, "provisioning failed:\n%s\n%s" % (json.dumps(output.get("stats")), stderr[-3000:])
        servers = self._servers()
        expected = {"vllm-" + key for key in merged["models"] if key not in merged["not_started"]} | {"caikit"}
        assert expected <= set(servers), "servers missing: %s" % sorted(expected - set(servers))
        return output

    def _servers(self):
        return {path.stem: json.loads(path.read_text()) for path in self.state.glob("*.json")}

    def _describe(self):
        servers = self._servers()
        urls = {name[len("vllm-"):]: "http://127.0.0.1:%d" % record["port"]
                for name, record in servers.items() if name.startswith("vllm-")}
        for key, url in urls.items():
            health = requests.get(url + "/health", timeout=30)
            assert health.status_code == 200, "vLLM for %s at %s is not healthy: %s" % (key, url, health.status_code)
        skipped = {key: name for name in sorted(set(self.available) - set(self.selected))
                   for key in getattr(importlib.import_module("fleet_" + name), "MODELS", [])}
        found = LocalServers(
            extra_vars=self.extra, state_dir=self.state, report_dir=self.reports, servers=servers,
            provision_output=self.output, fleets=list(self.running), venvs=self.venvs, url=urls,
            skipped_models=skipped, caikit="http://127.0.0.1:%d" % servers["caikit"]["port"])
        # the core fleet's tests predate fleets and name its two servers directly
        found.update({alias: urls[key] for alias, key in (("vllm", "minilm"), ("vllm_cls", "minilm_cls")) if key in urls})
        return found

    def stop_all(self):
        if self.extra:
            run_playbook(ROOT / "playbooks/cleanup.yml", extra_vars=self.extra)


def _module_fleets(module):
    """The fleets a test module declares in ``FLEETS`` (core when it says nothing)."""
    return tuple(sorted(set(getattr(module, "FLEETS", ["core"])) | {"core"}))


def pytest_collection_modifyitems(items):
    """Run the test modules that need the same fleets one after another, so each set of servers starts once: in the
    order of their sorted fleet names, core alone first. (core, discover, rerank) thus runs right before
    (core, rerank), which then only stops the discover fleet's server instead of starting the rerank fleet again."""
    items.sort(key=lambda item: _module_fleets(item.module))


@pytest.fixture(scope="session")
def fleets(tmp_path_factory):
    manager = Fleets(tmp_path_factory)
    try:
        yield manager
    finally:
        manager.stop_all()


@pytest.fixture(scope="module")
def local_servers(fleets, request):
    """The real vLLM CPU servers of the fleets the test module declares (``FLEETS``) and the real
    Caikit-NLP runtime.

    Keys: ``url`` (catalog key -> vLLM base URL), ``caikit`` (Caikit base URL), ``servers`` (the
    state records), ``extra_vars`` (what provision.yml ran with), ``state_dir``, ``report_dir``,
    ``provision_output``, ``fleets``, ``venvs``, and for the core fleet's tests ``vllm`` / ``vllm_cls``.
    """
    return fleets.ensure(_module_fleets(request.module))

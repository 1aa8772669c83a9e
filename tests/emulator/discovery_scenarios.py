# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Scenario ``caikit_discovery`` (issue 20): playbooks/discover.yml against an OpenShift AI cluster as KServe
shows it, emulated.

The emulator serves the InferenceService and ServingRuntime kinds; the objects of tests/unit/fixtures/kserve/cluster.yml
are seeded with the statuses KServe sets (Ready or not, with or without URL, raw or serverless, auth on or off,
exposed or not) and the data-connection Secrets the dashboard makes. Each runtime's ``GET /info/models`` is
answered by ``InfoModelsStandin`` below, on 127.0.0.1, with caikit's ``ModelInfoResponse`` from the same fixture;
the runtime behind the auth proxy wants the bearer token. The real runtime's answer is read in
tests/integration/test_caikit_discovery_live.py (docs/openshift-ai.md, "What the emulator tests do not prove").

Steps: ``all`` (every namespace, with the token), ``check`` (the same in --check), ``no_token`` (without it),
``search`` (one namespace, the in-cluster predictor reached through an override, an unknown model's weights named).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs
import yaml

from harness import ROOT
from kube_emulator import ClusterEmulator
from scenarios import namespace, scenario

CLUSTER = yaml.safe_load((ROOT / "tests" / "unit" / "fixtures" / "kserve" / "cluster.yml").read_text())
TOKEN = "sha256~emulator-caikit-token-value"
PROTECTED = "rerank"  # the runtime behind the auth proxy (caikit-rerank has enable-auth "true")

KSERVE_RESOURCES = {
    "serving.kserve.io/v1beta1/inferenceservices": {
        "kind": "InferenceService", "singular": "inferenceservice", "namespaced": True,
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "subresources": ["status"],
    },
    "serving.kserve.io/v1alpha1/servingruntimes": {
        "kind": "ServingRuntime", "singular": "servingruntime", "namespaced": True,
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
    },
}
PATHS = {"InferenceService": "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices",
         "ServingRuntime": "/apis/serving.kserve.io/v1alpha1/namespaces/%s/servingruntimes",
         "Secret": "/api/v1/namespaces/%s/secrets"}


@attrs.define(kw_only=True)
class KServeClusterEmulator(ClusterEmulator):
    """An OpenShift API that also serves KServe's InferenceService and ServingRuntime kinds (OpenShift AI installed)."""

    EXTRA_RESOURCES = KSERVE_RESOURCES


class InfoModelsStandin:
    """``GET /<runtime>/info/models`` with the fixture's answer; the protected runtime wants ``Bearer TOKEN``."""

    def __init__(self):
        self.requests = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802 (http.server's naming)
                runtime = self.path.strip("/").split("/", 1)[0]
                authorization = self.headers.get("Authorization") or ""
                standin.requests.append({"path": self.path, "authorized": authorization == "Bearer " + TOKEN})
                if not self.path.endswith("/info/models") or runtime not in CLUSTER["info_models"]:
                    status, body = 404, {"details": "no route"}
                elif runtime == PROTECTED and authorization != "Bearer " + TOKEN:
                    status, body = 403, {"details": "Forbidden"}  # kube-rbac-proxy's answer to a missing token
                else:
                    status, body = 200, CLUSTER["info_models"][runtime]
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def seed(sc, standin_url):
    """Namespaces, then the fixture's runtimes, Secrets and InferenceServices with STANDIN pointing at the stand-in."""
    for name in ("team-rag", "team-search"):
        sc.emulator.create("/api/v1/namespaces", namespace(name))
    for kind, objects in (("ServingRuntime", CLUSTER["runtimes"]), ("Secret", CLUSTER["secrets"]),
                          ("InferenceService", CLUSTER["inference_services"])):
        for obj in objects:
            text = json.dumps(obj).replace("STANDIN", standin_url)
            sc.emulator.create(PATHS[kind] % obj["metadata"]["namespace"], json.loads(text))


def discover_vars(sc, step, **extra):
    return dict({"vllm_migration_discover_output": str(sc.workdir / ("discovered-%s.yml" % step))}, **extra)


@scenario(emulator_class=KServeClusterEmulator)
def caikit_discovery(sc):
    with InfoModelsStandin() as standin:
        seed(sc, standin.url)
        sc.record("seeded")
        playbook = ROOT / "playbooks" / "discover.yml"
        base_env = dict(sc.env)
        sc.env = dict(base_env, CAIKIT_TOKEN=TOKEN)
        sc.playbook("all", playbook, discover_vars(sc, "all"))
        sc.playbook("check", playbook, discover_vars(sc, "check"), check=True)
        sc.env = dict(base_env)
        sc.env.pop("CAIKIT_TOKEN", None)
        sc.playbook("no_token", playbook, discover_vars(sc, "no_token"))
        sc.playbook("search", playbook, discover_vars(
            sc, "search", vllm_migration_discover_namespaces=["team-search"],
            vllm_migration_discover_urls={"team-search/caikit-internal": standin.url + "/internal"},
            vllm_migration_discover_model_repos={"bge-small-en-v1-5": "BAAI/bge-small-en-v1.5"}))
        sc.record("standin", requests=list(standin.requests))


def fragment_text(sc, step):
    path = Path(sc.workdir) / ("discovered-%s.yml" % step)
    return path.read_text() if path.exists() else None

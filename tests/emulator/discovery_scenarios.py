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
Then playbooks/verify.yml with ``vllm_migration_discover: true`` (discover -> verify -> decide in one run), the
stand-in also answering Caikit's task API and, under ``/vllm``, vLLM's OpenAI API with the same numbers: ``verify``
(team-rag, every model), ``verify_nothing`` (a namespace without Caikit), ``verify_shadowed`` (references given
as an extra variable), ``verify_override`` (the inventory's reference names another token variable, unset), ``verify_token_from``
(no ``CAIKIT_TOKEN``: discovery and the checks read the token from a Secret, ``vllm_migration_discover_token_from``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from pathlib import Path

import attrs
import yaml

from ansible_collections.vllm_pooling.migration.plugins.module_utils.pairs import BUILTIN_GROUPS
from harness import ROOT
from kube_emulator import ClusterEmulator
from local_http import LocalJsonServer
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
         "Secret": "/api/v1/namespaces/%s/secrets",
         "PersistentVolumeClaim": "/api/v1/namespaces/%s/persistentvolumeclaims"}


@attrs.define(kw_only=True)
class KServeClusterEmulator(ClusterEmulator):
    """An OpenShift API that also serves KServe's InferenceService and ServingRuntime kinds (OpenShift AI installed)."""

    EXTRA_RESOURCES = KSERVE_RESOURCES


CANDIDATE = "vllm"  # the stand-in's prefix that answers as a vLLM server (the candidate of the verify step)


def vector(text, dimension):
    """The same vector for the same text on both sides, different ones for different texts."""
    seed = hashlib.sha256(text.encode()).digest()
    return [((seed[i % len(seed)] + i) % 17 - 8) / 8.0 for i in range(dimension)]


# The score check's labelled pairs: the stand-in ranks their relevant document first, as a good reranker would.
RELEVANT = {(group["query"], group["documents"][group["relevant"]]) for group in BUILTIN_GROUPS
            if group.get("relevant") is not None}


def score(query, document):
    """Caikit's sigmoid score: 0.9 for a labelled relevant pair, else a hash of the pair in [0.05, 0.55)."""
    if (query, document) in RELEVANT:
        return 0.9
    return 0.05 + 0.5 * int(hashlib.sha256((query + "|" + document).encode()).hexdigest()[:6], 16) / float(0x1000000)


def logit(probability):
    probability = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(probability / (1 - probability))


def dimension(model):
    return 768 if "granite" in (model or "") else 384


def caikit_answer(path, body):
    """Caikit's task API: embeddings and rerank scores, as the runtime shapes them."""
    body = body or {}
    if path.endswith("/api/v1/task/embedding"):
        return 200, {"result": {"data": {"values": vector(body["inputs"], dimension(body["model_id"]))}},
                     "input_token_count": len(body["inputs"].split()) + 2}
    if path.endswith("/api/v1/task/embedding-tasks"):
        return 200, {"results": {"vectors": [{"data": {"values": vector(t, dimension(body["model_id"]))}}
                                             for t in body["inputs"]]},
                     "input_token_count": sum(len(t.split()) + 2 for t in body["inputs"])}
    if path.endswith("/api/v1/task/rerank"):
        query, documents = body["inputs"]["query"], [d["text"] for d in body["inputs"]["documents"]]
        return 200, {"result": {"scores": [{"index": i, "score": score(query, d)} for i, d in enumerate(documents)]}}
    return 404, {"details": "no route"}


def vllm_answer(path, body):
    """vLLM's OpenAI-style API with the same numbers."""
    body = body or {}
    if path == "/v1/embeddings":
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return 200, {"data": [{"index": i, "embedding": vector(t, dimension(body.get("model")))} for i, t in
                              enumerate(texts)],
                     "usage": {"prompt_tokens": sum(len(t.split()) + 2 for t in texts)}}
    # ms-marco's activation is the identity: vLLM returns the logit of what Caikit's sigmoid gives
    if path == "/v1/score":
        return 200, {"data": [{"index": i, "score": logit(score(body["queries"], d))}
                              for i, d in enumerate(body["documents"])]}
    if path == "/v1/rerank":
        return 200, {"results": [{"index": i, "relevance_score": logit(score(body["query"], d))}
                                 for i, d in enumerate(body["documents"])]}
    if path == "/tokenize":
        return 200, {"count": len(body["prompt"].split()) + 2, "tokens": []}
    if path == "/v1/models":
        # the catalog keys, and the names the servers have as InferenceServices (vllm_server_target: inferenceservice)
        return 200, {"object": "list", "data": [{"id": name, "object": "model", "max_model_len": length}
                                                for key, length in (("minilm", 256), ("granite", 512), ("msmarco", 512))
                                                for name in (key, "vllm-" + key)]}
    return 404, {"error": {"message": "no route %s" % path}}


class InfoModelsStandin(LocalJsonServer):
    """``GET /<runtime>/info/models`` with the fixture's answer; the protected runtime wants ``Bearer TOKEN``."""

    def __init__(self):
        self.requests = []
        # served model name -> the model root the vLLM face reports in /v1/models (as a server started with it would)
        self.model_roots = {}
        super().__init__(self._route)

    def _route(self, method, path, headers, raw):
        body = json.loads(raw or b"{}") if method == "POST" else None
        runtime = path.strip("/").split("/", 1)[0]
        authorization = headers.get("Authorization") or ""
        self.requests.append({"path": path, "authorized": authorization == "Bearer " + TOKEN,
                              "model": (body or {}).get("model_id") or (body or {}).get("model")})
        if runtime == CANDIDATE:
            status, answer = vllm_answer(path[len(CANDIDATE) + 1:], body)
            for model in answer.get("data") or [] if path.endswith("/v1/models") else []:
                if model["id"] in self.model_roots:
                    model["root"] = self.model_roots[model["id"]]
            return status, answer
        if runtime not in CLUSTER["info_models"]:
            return 404, {"details": "no route"}
        if runtime == PROTECTED and authorization != "Bearer " + TOKEN:
            return 403, {"details": "Forbidden"}  # kube-rbac-proxy's answer to a missing token
        if path.endswith("/info/models"):
            return 200, CLUSTER["info_models"][runtime]
        return caikit_answer(path, body)


def seed(sc, standin_url):
    """Namespaces, then the fixture's runtimes, Secrets, claims and InferenceServices with STANDIN pointing at the
    stand-in."""
    for name in ("team-rag", "team-search"):
        sc.emulator.create("/api/v1/namespaces", namespace(name))
    for kind, objects in (("ServingRuntime", CLUSTER["runtimes"]), ("Secret", CLUSTER["secrets"]),
                          ("PersistentVolumeClaim", CLUSTER["claims"]), ("InferenceService", CLUSTER["inference_services"])):
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
        # vLLM in team-search: Caikit's claim is proposed as the model's files, its access mode read from the cluster
        sc.playbook("search_in_place", playbook, discover_vars(
            sc, "search_in_place", vllm_migration_namespace="team-search", vllm_migration_discover_namespaces=["team-search"],
            vllm_migration_discover_urls={"team-search/caikit-internal": standin.url + "/internal"}))
        sc.record("standin", requests=list(standin.requests))
        # discover -> verify -> decide in one run (vllm_migration_discover): the candidates are the stand-in's
        # vLLM face, the references what discovery found; the protected runtime's token comes from $CAIKIT_TOKEN.
        standin.requests.clear()
        sc.env = dict(base_env, CAIKIT_TOKEN=TOKEN)
        verify = ROOT / "playbooks" / "verify.yml"
        sc.playbook("verify", verify, verify_vars(sc, "verify", standin.url))
        sc.record("verify_requests", requests=list(standin.requests))
        sc.playbook("verify_nothing", verify, verify_vars(sc, "verify_nothing", standin.url,
                                                          vllm_migration_discover_namespaces=["team-empty"]))
        # an extra variable outranks the discovered values: refused, not silently used
        sc.playbook("verify_shadowed", verify, verify_vars(sc, "verify_shadowed", standin.url), extra_args=[
            "-e", json.dumps({"vllm_migration_references": {"msmarco": {"type": "caikit"}}})])
        # the inventory's own reference fields win over the discovered ones, field by field
        sc.playbook("verify_override", verify, verify_vars(
            sc, "verify_override", standin.url, vllm_migration_models=["msmarco"],
            vllm_migration_references={"msmarco": {"api_key_env": "TEAM_RERANK_TOKEN"}}))
        # no CAIKIT_TOKEN: discovery and the checks read the token from a Secret (token_from -> api_key_from)
        sc.emulator.create(PATHS["Secret"] % "team-rag", {
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "caikit-token", "namespace": "team-rag"},
            "data": {"token": base64.b64encode(TOKEN.encode()).decode()}})
        sc.env = dict(base_env)
        sc.env.pop("CAIKIT_TOKEN", None)
        standin.requests.clear()
        sc.playbook("verify_token_from", verify, verify_vars(
            sc, "verify_token_from", standin.url, vllm_migration_models=["msmarco"],
            vllm_migration_discover_token_from={"secret": "team-rag/caikit-token"}))
        sc.record("token_from_requests", requests=list(standin.requests))


def verify_vars(sc, step, standin_url, **extra):
    """playbooks/verify.yml with discovery in the team-rag namespace and the stand-in's vLLM face as candidates."""
    candidates = {key: {"status": "ready", "url": "%s/%s" % (standin_url, CANDIDATE), "served_name": key}
                  for key in ("minilm", "granite", "msmarco")}
    return dict({"vllm_migration_platform": "openshift", "vllm_migration_namespace": "team-rag",
                 "vllm_migration_discover": True, "vllm_migration_discover_namespaces": ["team-rag"],
                 "vllm_migration_endpoints": candidates, "vllm_migration_retrieval": False,
                 "vllm_migration_report_dir": str(sc.workdir / ("reports-%s" % step))}, **extra)


def fragment_text(sc, step):
    path = Path(sc.workdir) / ("discovered-%s.yml" % step)
    return path.read_text() if path.exists() else None

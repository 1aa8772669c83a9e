"""From Caikit InferenceServices to a decision, as a user of OpenShift AI runs it: ``playbooks/discover.yml`` against
an emulated cluster, then ``playbooks/migrate.yml`` with the fragment it wrote, verifying the real local vLLM CPU
servers against the real Caikit-NLP runtime found behind the InferenceServices' URLs.

The cluster is the in-process Kubernetes API emulator with KServe's kinds (tests/emulator/discovery_scenarios.py),
seeded with one Caikit ServingRuntime and three InferenceServices as KServe reports them:

- caikit-minilm       RawDeployment, exposed, no auth: minilm (embedding)
- caikit-minilm-twin  RawDeployment, not exposed (an in-cluster URL only, reached through an override as a
                      port-forward would be): minilm_twin (embedding, the same runtime)
- caikit-rerank       Serverless, exposed, auth on (a bearer token): xlmr_ce (a cross-encoder)

Their URLs lead to ``KServeRouter`` below, which plays the part of the cluster's routing: a path per
InferenceService, the auth proxy's refusal without the token, and each predictor's own model folder (one
runtime loads every folder of its storage; the local runtime has all of them, so ``/info/models`` and the task
API are limited to the InferenceService's model). Every answer about a model is the real runtime's, passed
through unchanged. Each InferenceService's storage is its folder in an S3 bucket (moto's server on 127.0.0.1)
holding the model folder the local runtime loads, named by the data connection's Secret, as the dashboard makes
them: discovery copies them to the controller (``vllm_migration_discover_weights_dir``) and the checks' weights
gate compares them with the folders vLLM serves. What this does not prove (a real router, kube-rbac-proxy,
KServe's controller and storage initializer) is in docs/openshift-ai.md.
"""

from __future__ import annotations

import base64
import json
import os
import sys

import pytest
import requests
import yaml

from live_servers import ROOT, run_playbook

from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import weights_digest

sys.path.insert(0, str(ROOT / "tests" / "emulator"))
sys.path.insert(0, str(ROOT / "tests" / "unit"))
from benchmark_job_scenarios import play_pod, set_job_status, when_started, COMPLETE  # noqa: E402  pylint: disable=wrong-import-position
from discovery_scenarios import CLUSTER, PATHS, KServeClusterEmulator  # noqa: E402  pylint: disable=wrong-import-position
from harness import NAMESPACE as MIGRATION_NAMESPACE  # noqa: E402  pylint: disable=wrong-import-position
from kube_emulator import RunningEmulator  # noqa: E402  pylint: disable=wrong-import-position
from local_http import LocalJsonServer  # noqa: E402  pylint: disable=wrong-import-position
from s3_server import LocalS3, upload_folder  # noqa: E402  pylint: disable=wrong-import-position
from scenarios import namespace  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.timeout(1800)
FLEETS = ["core", "rerank", "discover"]
NAMESPACE = "team-rag"
TOKEN = "sha256~live-discovery-token"
MODELS = ["minilm", "minilm_twin", "xlmr_ce"]
# InferenceService -> (its Caikit model, behind the auth proxy)
SERVICES = {"caikit-minilm": ("minilm", False), "caikit-minilm-twin": ("minilm_twin", False),
            "caikit-rerank": ("xlmr_ce", True)}
INTERNAL = "http://caikit-minilm-twin-predictor.%s.svc.cluster.local" % NAMESPACE
CONNECTION = "aws-connection-models"


class KServeRouter(LocalJsonServer):
    """``/<InferenceService>/...`` forwarded to the real Caikit runtime, as the cluster's routing and auth proxy do."""

    def __init__(self, caikit_url):
        self.caikit_url = caikit_url
        self.requests = []
        super().__init__(self._route)

    def _route(self, method, path, headers, body):
        if path.startswith("http://"):
            # as the proxy of a played pod (HTTP_PROXY): the in-cluster name <isvc>-predictor.<namespace>.svc... is
            # resolved here, as the cluster's DNS and Service would
            host, rest = (path[len("http://"):].split("/", 1) + [""])[:2]
            path = "/%s/%s" % (host.split(".")[0][:-len("-predictor")], rest)
        service, rest = (path.lstrip("/").split("/", 1) + [""])[:2]
        model, protected = SERVICES.get(service, (None, False))
        authorized = headers.get("Authorization") == "Bearer " + TOKEN
        asked = (json.loads(body or b"{}") or {}).get("model_id") if body else None
        self.requests.append({"service": service, "path": "/" + rest, "authorized": authorized, "model": asked})
        if model is None:
            return 404, {"details": "no route to %s" % service}
        if protected and not authorized:
            return 401, {"details": "Unauthorized"}  # the auth proxy, without a token
        if asked is not None and asked != model:  # another predictor's folder is not loaded here
            return 404, {"details": "Model '%s' not found" % asked}
        answer = requests.request(method, "%s/%s" % (self.caikit_url, rest), data=body, timeout=300,
                                  headers={"Content-Type": "application/json"})
        if rest == "info/models" and answer.ok:
            listed = answer.json()
            listed["models"] = [entry for entry in listed.get("models") or [] if entry.get("name") == model]
            return answer.status_code, listed
        return answer.status_code, answer.content


def _inference_service(name, model, auth, router_url):
    """The fixture's RawDeployment InferenceService (tests/unit/fixtures/kserve/cluster.yml) renamed, with its URLs."""
    (template,) = [o for o in CLUSTER["inference_services"] if o["metadata"]["name"] == "caikit-embeddings"]
    isvc = json.loads(json.dumps(template))
    isvc["metadata"].update(name=name, namespace=NAMESPACE)
    isvc["spec"]["predictor"]["model"]["storage"] = {"key": CONNECTION, "path": "%s/" % name}
    internal = "http://%s-predictor.%s.svc.cluster.local" % (name, NAMESPACE)
    isvc["status"].update(url="%s/%s" % (router_url, name), address={"url": internal},
                          components={"predictor": {"url": internal}})
    if name == "caikit-minilm-twin":  # not exposed: KServe reports the in-cluster URL only
        del isvc["metadata"]["labels"]["networking.kserve.io/visibility"]
        isvc["status"]["url"] = internal
    if auth:
        isvc["metadata"]["annotations"].update({"security.opendatahub.io/enable-auth": "true",
                                                "serving.kserve.io/deploymentMode": "Serverless"})
    return isvc


@pytest.fixture(scope="module")
def cluster(local_servers, tmp_path_factory):
    local_servers.require("xlmr_ce")  # skips, with the reason, when a fleet was left out
    local_servers.require("minilm_twin")
    workdir = tmp_path_factory.mktemp("openshift-ai")
    s3 = LocalS3()
    with KServeRouter(local_servers["caikit"]) as router, \
            RunningEmulator(emulator_class=KServeClusterEmulator, jobs_finish=False) as emulator:
        emulator.create("/api/v1/namespaces", namespace(NAMESPACE))
        (runtime,) = [r for r in CLUSTER["runtimes"] if r["metadata"]["namespace"] == NAMESPACE
                      and r["metadata"]["name"] == "caikit-standalone-runtime"]
        emulator.create(PATHS["ServingRuntime"] % NAMESPACE, runtime)
        # each InferenceService's storage: its folder of the bucket, holding the model folder the local runtime loads
        bucket = s3.new_bucket()
        for name, (model, auth) in SERVICES.items():
            upload_folder(s3.client(), bucket, local_servers["state_dir"] / "caikit-models" / model, name)
        (connection,) = [s for s in CLUSTER["secrets"] if s["metadata"]["name"] == CONNECTION]
        connection = dict(connection, data={key: base64.b64encode(value.encode()).decode()
                                            for key, value in s3.connection(bucket).items()})
        emulator.create(PATHS["Secret"] % NAMESPACE, connection)
        for name, (model, auth) in SERVICES.items():
            emulator.create(PATHS["InferenceService"] % NAMESPACE, _inference_service(name, model, auth, router.url))
        kubeconfig = workdir / "kubeconfig"
        kubeconfig.write_text(json.dumps(emulator.kubeconfig()))
        (workdir / "tmp").mkdir()
        # TMPDIR: the kubernetes client caches API discovery per server URL there; another emulator may reuse the port
        env = {"KUBECONFIG": str(kubeconfig), "TMPDIR": str(workdir / "tmp"), "CAIKIT_TOKEN": TOKEN}
        yield {"router": router, "env": env, "workdir": workdir, "servers": local_servers, "bucket": bucket,
               "emulator": emulator}
    s3.stop()


@pytest.fixture(scope="module")
def discovered(cluster):
    """playbooks/discover.yml with the user's catalog (the fleets'), the not-exposed predictor through an override."""
    output = cluster["workdir"] / "discovered.yml"
    extra = {"vllm_migration_discover_namespaces": [NAMESPACE],
             "vllm_migration_discover_urls": {"%s/caikit-minilm-twin" % NAMESPACE:
                                              cluster["router"].url + "/caikit-minilm-twin"},
             "vllm_migration_catalog": cluster["servers"]["extra_vars"]["vllm_migration_catalog"],
             "vllm_migration_discover_weights_dir": str(cluster["workdir"] / "caikit-weights"),
             "vllm_migration_discover_output": str(output)}
    rc, result, stderr = run_playbook(ROOT / "playbooks" / "discover.yml", extra_vars=extra, env_extra=cluster["env"])
    assert rc == 0, stderr[-3000:]
    text = output.read_text()
    return {"text": text, "fragment": yaml.safe_load(text), "output": json.dumps(result)}


def test_discovery_proposes_every_model_of_the_three_inference_services(discovered, cluster):
    fragment = discovered["fragment"]
    assert sorted(fragment["vllm_migration_models"]) == MODELS, discovered["text"]
    references = fragment["vllm_migration_references"]
    router = cluster["router"].url
    weights = cluster["workdir"] / "caikit-weights" / NAMESPACE
    assert references["minilm"] == {"type": "caikit", "url": router + "/caikit-minilm", "model": "minilm",
                                    "discovered_from": NAMESPACE + "/caikit-minilm",
                                    "internal_url": "http://caikit-minilm-predictor.%s.svc.cluster.local" % NAMESPACE,
                                    "weights_path": str(weights / "caikit-minilm" / "minilm"),
                                    "weights_source": "s3://%s/caikit-minilm/minilm/" % cluster["bucket"],
                                    "weights_digest": weights_digest(str(weights / "caikit-minilm" / "minilm"))["digest"]}
    # Caikit's model folders, copied from the bucket with their config.yml
    for service, (model, auth) in SERVICES.items():
        assert references[model]["weights_path"] == str(weights / service / model)
        assert (weights / service / model / "config.yml").is_file()
    # not exposed: the override the controller reaches, and the address KServe reports for in-cluster callers
    assert references["minilm_twin"]["url"] == router + "/caikit-minilm-twin"
    assert references["minilm_twin"]["internal_url"] == INTERNAL
    # behind the auth proxy: the name of the variable the token is read from, never the token
    assert references["xlmr_ce"]["api_key_env"] == "CAIKIT_TOKEN"
    assert {ref["model"] for ref in references.values()} == set(MODELS)
    # the user's catalog entries are kept in the fragment (it replaces the inventory's variable), with the Caikit ids
    catalog = fragment["vllm_migration_catalog"]
    fleet_catalog = cluster["servers"]["extra_vars"]["vllm_migration_catalog"]
    assert catalog["minilm_twin"] == fleet_catalog["minilm_twin"]
    assert catalog["xlmr_ce"] == dict(fleet_catalog["xlmr_ce"], caikit_model_id="xlmr_ce")
    assert TOKEN not in discovered["text"] and TOKEN not in discovered["output"]
    # discovery read the runtime of each InferenceService, the protected one with the token
    seen = {(r["service"], r["path"], r["authorized"]) for r in cluster["router"].requests}
    assert ("caikit-rerank", "/info/models", True) in seen and ("caikit-minilm-twin", "/info/models", False) in seen


def test_migrate_verifies_the_real_vllm_servers_against_the_discovered_caikit_and_decides(discovered, cluster):
    servers = cluster["servers"]
    reports = cluster["workdir"] / "reports"
    extra = {key: value for key, value in servers["extra_vars"].items()
             if key not in ("vllm_migration_models", "vllm_migration_catalog", "vllm_migration_references")}
    # the fragment as the user passes it (-e @discovered.yml), the servers found running, no benchmark
    extra.update(discovered["fragment"], vllm_migration_report_dir=str(reports), vllm_migration_stop_servers=False,
                 vllm_migration_benchmark=False, vllm_migration_require_performance=False,
                 vllm_migration_retrieval=False, verify_truncate_long_inputs=True)
    cluster["router"].requests.clear()
    rc, output, stderr = run_playbook(ROOT / "playbooks" / "migrate.yml", extra_vars=extra, env_extra=cluster["env"])
    assert rc == 0, stderr[-3000:]
    report = json.loads((reports / "latest" / "report.json").read_text())
    markdown = (reports / "latest" / "report.md").read_text()
    assert sorted(report["models"]) == MODELS
    for key in MODELS:
        model = report["models"][key]
        assert model["status"] == "passed", (key, model.get("failed_gates"), markdown)
    assert report["models"]["xlmr_ce"]["check"] == "score_check"
    # the same tensors on both sides: the folder vLLM serves and the one Caikit's storage holds
    for key in MODELS:
        gate = report["models"][key]["gates"]["weights"]
        assert gate["status"] == "passed", (key, gate)
        assert "- Weights: the same tensors on both sides (%s); vLLM from " % gate["digest"] in markdown
        assert "the reference from s3://%s/" % cluster["bucket"] in markdown
    assert report["decision"]["decision"] == "migrate", report["decision"]
    # every model was compared with its own InferenceService, the protected one with the token
    asked = {(r["service"], r["model"]) for r in cluster["router"].requests if r["model"]}
    assert asked == {(service, model) for service, (model, protected) in SERVICES.items()}, asked
    assert all(r["authorized"] for r in cluster["router"].requests if r["service"] == "caikit-rerank")
    assert TOKEN not in markdown and TOKEN not in json.dumps(report) and TOKEN not in json.dumps(output)


def _served_digest(servers, key):
    """The weights digest of the folder the local vLLM server of ``key`` was started from (its --model)."""
    argv = servers["servers"]["vllm-" + key]["argv"]
    return weights_digest(argv[argv.index("--model") + 1])["digest"]


def failed_messages(output):
    """The messages of the failed tasks of a playbook's JSON output."""
    return ["%s: %s" % (task["task"]["name"], host.get("msg")) for play in output.get("plays") or []
            for task in play.get("tasks") or [] for host in (task.get("hosts") or {}).values() if host.get("failed")]


class PlayedPod(object):
    """What benchmark_job_scenarios.play_pod needs of a scenario: the emulated API, the pod's base environment (the
    router as its HTTP proxy: the in-cluster names resolve there; vLLM and the API on 127.0.0.1 directly), a folder,
    and a place for what the run left."""

    def __init__(self, cluster):
        self.emulator, self.workdir, self.steps = cluster["emulator"], cluster["workdir"], {}
        proxy = {"HTTP_PROXY": cluster["router"].url, "NO_PROXY": "127.0.0.1,localhost"}
        self.env = dict(os.environ, **cluster["env"], **proxy, **{key.lower(): value for key, value in proxy.items()})

    def record(self, step, **found):
        self.steps[step] = found


def test_the_checks_run_in_the_cluster_reach_the_predictor_that_is_not_exposed(discovered, cluster):
    """verify.yml with vllm_migration_verify_client=cluster_job: the check Job runs the verify role where the in-cluster
    URLs answer (the test plays its pod, the router resolving the predictors' in-cluster names), against the real vLLM
    and Caikit servers, and the records come back through the result ConfigMap."""
    servers = cluster["servers"]
    fragment = discovered["fragment"]
    references = json.loads(json.dumps(fragment["vllm_migration_references"]))
    # without the port-forward override: the not-exposed predictor has only its in-cluster URL
    references["minilm_twin"]["url"] = INTERNAL
    # the endpoint records as the vllm_server role records them on a cluster, with the digest of what each vLLM serves
    # (there recorded by the pod that copied its files; here taken of the folder the local server was started from)
    endpoints = {key: {"status": "ready", "url": "https://vllm-%s-vllm-migration.apps.example.test" % key,
                       "service_url": servers.require(key), "platform": "openshift", "namespace": MIGRATION_NAMESPACE,
                       "server": "vllm-" + key, "weights_digest": _served_digest(servers, key)} for key in MODELS}
    cluster["emulator"].create("/api/v1/namespaces", namespace(MIGRATION_NAMESPACE))
    reports = cluster["workdir"] / "reports-in-job"
    extra = {"vllm_migration_platform": "openshift", "vllm_migration_namespace": MIGRATION_NAMESPACE,
             "vllm_migration_models": MODELS, "vllm_migration_catalog": fragment["vllm_migration_catalog"],
             "vllm_migration_references": references, "vllm_migration_endpoints": endpoints,
             "vllm_migration_verify_client": "cluster_job", "vllm_migration_verify_job_image": "ee.example.test/ee:0.1.0",
             "verify_job_poll": 2, "vllm_migration_report_dir": str(reports), "vllm_migration_retrieval": False,
             "verify_truncate_long_inputs": True}
    pod = PlayedPod(cluster)
    job = "vllm-migration-checks"
    cluster["router"].requests.clear()
    player = when_started(pod, job, lambda: (play_pod(pod, job, "pod"), set_job_status(pod, job, COMPLETE)), timeout=600)
    rc, output, stderr = run_playbook(ROOT / "playbooks" / "verify.yml", extra_vars=extra, env_extra=cluster["env"])
    player.join(30)
    assert "pod" in pod.steps, "the check Job was never started (rc %s): %s\n%s" % (
        rc, json.dumps(output.get("stats")), "\n".join(failed_messages(output))[-6000:] or stderr[-3000:])
    played = pod.steps["pod"]
    assert played["run"].returncode == 0, played["run"].describe()
    assert rc == 0, stderr[-3000:]
    report = json.loads((reports / "latest" / "report.json").read_text())
    markdown = (reports / "latest" / "report.md").read_text()
    for key in MODELS:
        model = report["models"][key]
        assert model["status"] == "passed", (key, model.get("failed_gates"), model.get("reason"), markdown)
        assert model["checked_from"]["location"] == "cluster_job" and model["checked_from"]["reference_path"] == "service"
        # the Job reads no vLLM folder: its weights gate compares the digest recorded for vLLM with Caikit's
        gate = model["gates"]["weights"]
        assert gate["status"] == "passed", (key, gate)
        assert gate["digest"] == fragment["vllm_migration_references"][key]["weights_digest"], (key, gate)
        assert gate["reason"].endswith("known by the digest recorded for the files vLLM's pod copied"), gate
    assert "- Checked from: cluster_job (The checks ran on a Job inside the cluster" in markdown
    # the Job reached each predictor at its in-cluster name, the protected one with the token from the Job's Secret
    asked = {(r["service"], r["model"]) for r in cluster["router"].requests if r["model"]}
    assert asked == {(service, model) for service, (model, protected) in SERVICES.items()}, asked
    assert all(r["authorized"] for r in cluster["router"].requests if r["service"] == "caikit-rerank")
    assert TOKEN not in json.dumps(played["parameters"]) and TOKEN not in markdown and TOKEN not in json.dumps(output)

"""The endpoint and result records: one schema each, built in one place."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.module_utils import constants
from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import resolve_models
from ansible_collections.vllm_pooling.migration.plugins.module_utils.decision import decide
from ansible_collections.vllm_pooling.migration.plugins.module_utils.records import (
    RecordError, attach_performance, cluster_endpoint, endpoint_record, local_endpoint, local_endpoints, local_references, missing_weights_endpoint,
    publish_models, reference_record, result_record, verification_plan)

ENDPOINT_KEYS = {"schema", "key", "model", "kind", "served_name", "workarounds", "platform", "server", "status",
                 "url", "reason", "log", "diagnosis", "namespace", "deployment", "api_key_secret", "model_root", "model_path",
                 "image", "service_url"}
RESULT_KEYS = {"schema", "key", "model", "kind", "served_name", "workarounds", "check", "candidate", "reference",
               "gates", "failed_gates", "skipped_gates", "warnings", "corpus_size", "provenance", "details", "diagnosis",
               "performance", "status", "reason", "checked_from"}


@pytest.fixture
def minilm():
    return resolve_models({}, ["minilm"])[0]


@pytest.fixture
def msmarco():
    return resolve_models({}, ["msmarco"])[0]


def test_every_endpoint_builder_gives_the_one_schema(minilm):
    records = [
        local_endpoint(minilm, {"healthy": True, "running": True, "port": 8123, "log": "/s/vllm-minilm.log"}, "vllm-minilm", 900,
                       "/w/minilm"),
        local_endpoint(minilm, {"healthy": False, "running": False, "log": "/l", "log_tail": "boom"}, "vllm-minilm", 900),
        local_endpoint(minilm, {"skipped": True}, "vllm-minilm", 900),
        missing_weights_endpoint(minilm, "/nowhere"),
        cluster_endpoint({"entry": minilm, "name": "vllm-minilm", "args": ["--model", "sentence-transformers/all-MiniLM-L6-v2"]},
                         "ready", "https://h", "ns", "key-secret"),
    ]
    for record in records:
        assert set(record) == ENDPOINT_KEYS and record["schema"] == constants.ENDPOINT_SCHEMA
        assert record["key"] == "minilm" and record["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    ready, crashed, check_mode, missing, cluster = records
    assert ready["status"] == "ready" and ready["url"] == "http://127.0.0.1:8123"
    assert ready["model_root"] == ready["model_path"] == "/w/minilm"
    assert cluster["model_root"] == "sentence-transformers/all-MiniLM-L6-v2" and cluster["model_path"] == ""
    assert crashed["status"] == "load_failed" and "exited before answering /health" in crashed["reason"]
    assert "boom" in crashed["reason"] and crashed["url"] == ""
    assert check_mode["status"] == "not_verified" and "would be started" in check_mode["reason"]
    assert missing["status"] == "not_verified" and "/nowhere" in missing["reason"]
    assert "vllm_migration_catalog.minilm.weights_path" in missing["reason"]
    assert cluster["namespace"] == "ns" and cluster["deployment"] == "vllm-minilm" and cluster["api_key_secret"] == "key-secret"
    # off a cluster, or built without one, there is no Service URL for the in-cluster benchmark Job
    assert ready["service_url"] == cluster["service_url"] == ""
    with_service = cluster_endpoint({"entry": minilm, "name": "vllm-minilm"}, "ready", "https://h", "ns",
                                    service_url="http://vllm-minilm.ns.svc:8000")
    assert with_service["service_url"] == "http://vllm-minilm.ns.svc:8000" and with_service["url"] == "https://h"


def test_a_cluster_endpoint_records_what_its_server_serves_when_known(minilm):
    server = {"entry": minilm, "name": "vllm-minilm"}
    digest = "sha256:" + "0f" * 32
    known = cluster_endpoint(server, "ready", "https://h", "ns",
                             weights={"weights_digest": digest, "weights_source": "s3://models/embeddings/minilm/"})
    assert set(known) == ENDPOINT_KEYS | {"weights_digest", "weights_source"}
    assert known["weights_digest"] == digest and known["weights_source"] == "s3://models/embeddings/minilm/"
    unknown = cluster_endpoint(server, "ready", "https://h", "ns",
                               weights={"weights_digest": None, "weights_source": "s3://x/", "weights_note": "no pod"})
    assert set(unknown) == ENDPOINT_KEYS | {"weights_source", "weights_note"} and unknown["weights_note"] == "no pod"
    assert set(cluster_endpoint(server, "ready", "https://h", "ns", weights={})) == ENDPOINT_KEYS


def test_local_endpoints_record_every_started_server_and_every_model_without_weights(minilm, msmarco):
    healthy = {"healthy": True, "running": True, "port": 8123, "log": "/s/vllm-minilm.log", "item": {"item": minilm}}
    weights = {"weights": {"minilm": "/w/minilm", "msmarco": None}, "missing": [msmarco]}
    records = local_endpoints([healthy], weights, "vllm-", 900, "/venvs/vllm-cpu-x")
    assert sorted(records) == ["minilm", "msmarco"]
    assert records["minilm"] == local_endpoint(minilm, healthy, "vllm-minilm", 900, "/w/minilm", "/venvs/vllm-cpu-x")
    assert records["minilm"]["status"] == "ready" and records["minilm"]["server"] == "vllm-minilm"
    assert records["msmarco"] == missing_weights_endpoint(msmarco, None)
    assert records["msmarco"]["status"] == "not_verified"
    # check mode: the start was planned, the status task skipped
    skipped = local_endpoints([{"skipped": True, "item": {"item": minilm}}], {"weights": {}, "missing": []}, "vllm-", 900)
    assert skipped["minilm"]["status"] == "not_verified" and "would be started" in skipped["minilm"]["reason"]


def test_a_server_still_loading_at_the_timeout_says_so(minilm):
    record = local_endpoint(minilm, {"healthy": False, "running": True, "log": "/l", "log_tail": ""}, "vllm-minilm", 900)
    assert record["status"] == "load_failed" and "no answer on /health within 900 s" in record["reason"]


def test_a_failed_cluster_load_keeps_its_diagnosis(minilm):
    diagnosis = {"cause": "image_pull", "hint": "Check the image name", "evidence": ["ErrImagePull"],
                 "summary": "The image cannot be pulled."}
    record = cluster_endpoint({"entry": minilm, "name": "vllm-minilm"}, "load_failed", "https://h", "ns",
                              diagnosis=diagnosis)
    assert record["diagnosis"] == diagnosis
    assert record["reason"] == "The image cannot be pulled. Hint: Check the image name"


def test_endpoint_records_refuse_nonsense(minilm):
    with pytest.raises(RecordError, match="unknown status"):
        endpoint_record(minilm, "fine")
    with pytest.raises(RecordError, match="ready but has no URL"):
        endpoint_record(minilm, "ready")


def test_the_plan_says_which_check_or_why_none(minilm, msmarco):
    ready = endpoint_record(minilm, "ready", url="http://x")
    caikit = {"type": "caikit", "url": "http://c", "model": "minilm"}
    assert verification_plan(minilm, ready, caikit)["check"] == "embedding_check"
    assert verification_plan(minilm, {}, caikit) == {
        "check": None, "status": "not_verified", "reason": "no vLLM endpoint was provisioned for this model"}
    failed = endpoint_record(minilm, "load_failed", reason="CUDA out of memory")
    assert verification_plan(minilm, failed, caikit) == {"check": None, "status": "load_failed", "reason": "CUDA out of memory"}
    no_reference = verification_plan(minilm, ready, {})
    assert no_reference["check"] is None and "vllm_migration_references.minilm" in no_reference["reason"]


def test_a_result_from_a_check_carries_its_gates_and_never_the_api_key(minilm):
    endpoint = endpoint_record(minilm, "ready", url="http://x", server="vllm-minilm")
    reference = {"type": "caikit", "url": "http://c", "model": "minilm", "api_key": "s3cret"}
    check = {"passed": False, "msg": "model 'minilm' failed gates: cosine", "gates": {"cosine": {"passed": False}},
             "failed_gates": ["cosine"], "check_warnings": [{"gate": "tokens", "message": "x"}], "corpus_size": 40,
             "provenance": {"corpus_sha256": "ab"}, "reference": {"type": "caikit", "url": "http://c/api"},
             "dimension": 384, "warnings": ["Ansible's own display strings"]}
    plan = verification_plan(minilm, endpoint, reference)
    record = result_record(minilm, endpoint, reference, plan=plan, check=check)
    assert set(record) == RESULT_KEYS and record["schema"] == constants.RESULT_SCHEMA
    assert record["status"] == "failed" and record["failed_gates"] == ["cosine"] and record["check"] == "embedding_check"
    assert record["candidate"] == {"url": "http://x", "server": "vllm-minilm", "platform": "local", "image": "",
                                   "namespace": ""}
    assert record["reference"] == {"type": "caikit", "url": "http://c/api", "model": "minilm"}
    # where the check ran and the path to each server (both loopback here)
    assert record["checked_from"]["location"] == "controller"
    assert (record["checked_from"]["path"], record["checked_from"]["reference_path"]) == ("network", "network")
    assert "s3cret" not in repr(record)
    assert record["warnings"] == [{"gate": "tokens", "message": "x"}] and record["provenance"] == {"corpus_sha256": "ab"}
    assert record["details"] == {"dimension": 384}
    assert result_record(minilm, endpoint, reference, plan=plan, check=dict(check, passed=True))["status"] == "passed"


def test_a_result_names_the_model_the_candidate_answered_to(minilm):
    # an InferenceService serves its own name ({{.Name}}): the result records that, not the catalog's served name,
    # so that the cutover's identity check compares like with like
    served = dict(endpoint_record(minilm, "ready", url="http://x"), served_name="vllm-minilm")
    check = {"passed": True, "msg": "ok", "gates": {}}
    assert result_record(minilm, served, {}, check=check)["served_name"] == "vllm-minilm"
    assert result_record(minilm, {}, {}, plan={"check": None, "status": "not_verified", "reason": "r"})[
        "served_name"] == minilm["served_name"]


def test_a_result_from_an_error_or_a_plan(minilm):
    failed = endpoint_record(minilm, "load_failed", reason="r", diagnosis={"cause": "cuda_oom", "hint": "h"})
    planned = result_record(minilm, failed, {}, plan=verification_plan(minilm, failed, {}))
    assert planned["status"] == "load_failed" and planned["diagnosis"]["cause"] == "cuda_oom" and planned["gates"] == {}
    error = result_record(minilm, failed, {}, error={"msg": "model 'minilm' at http://x: cannot connect",
                                                     "error": {"cause": "cannot connect"}})
    assert error["status"] == "error" and "cannot connect" in error["reason"] and error["error"]["cause"] == "cannot connect"
    with pytest.raises(RecordError, match="needs a check or an error"):
        result_record(minilm, failed, {})
    with pytest.raises(RecordError, match="needs a check or an error"):
        result_record(minilm, failed, {}, check={"passed": True}, error={"msg": "y"})


def test_performance_and_verdicts_join_the_results(minilm, msmarco):
    ready = endpoint_record(minilm, "ready", url="http://x")
    results = {"minilm": result_record(minilm, ready, {"type": "caikit"}, check={"passed": True, "msg": "ok"}),
               "msmarco": result_record(msmarco, {}, {}, plan=verification_plan(msmarco, {}, {}))}
    performance = {"minilm": {"status": "passed", "advisory": True, "reason": "ratio 1.1"}}
    joined = attach_performance(results, performance)
    assert joined["minilm"]["performance"]["status"] == "passed" and results["minilm"]["performance"] is None
    decision = decide(joined)
    published = publish_models(joined, decision)
    assert decision["decision"] == "hybrid"
    assert published["minilm"]["verdict"]["ok"] is True and published["msmarco"]["verdict"]["ok"] is False
    with pytest.raises(RecordError, match="not verified: nope"):
        attach_performance(results, {"nope": {}})


def test_the_collection_version_is_galaxy_yml_s():
    galaxy = Path(__file__).resolve().parents[4] / "galaxy.yml"
    assert yaml.safe_load(galaxy.read_text())["version"] == constants.COLLECTION_VERSION


def test_constants_resolve_paths_from_the_environment():
    assert constants.cache_dir({"HOME": "/h"}) == "/h/.cache/vllm_pooling"
    assert constants.cache_dir({"HOME": "/h", "XDG_CACHE_HOME": "/x"}) == "/x/vllm_pooling"
    assert constants.cache_dir({"VLLM_MIGRATION_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}) == "/c"
    assert constants.venv_root({"VLLM_MIGRATION_CACHE_DIR": "/c"}) == "/c/venvs"
    assert constants.state_dir({"HOME": "/h"}) == "/h/.local/state/vllm_pooling"
    assert constants.value("VLLM_PORT") == 8000
    models = constants.value("DEFAULT_MODELS")
    models.append("changed")
    assert constants.DEFAULT_MODELS == ("minilm",)
    with pytest.raises(KeyError, match="no constant named"):
        constants.value("nope")


def test_local_references_name_each_model_of_the_one_caikit_runtime(minilm, msmarco):
    references = local_references([minilm, msmarco], {"port": 8085, "healthy": True})
    assert references == {key: {"type": "caikit", "url": "http://127.0.0.1:8085", "model": entry["caikit_model_id"]}
                          for key, entry in (("minilm", minilm), ("msmarco", msmarco))}
    assert local_references([], {"port": 8085}) == {}


def test_local_references_name_the_model_folder_the_runtime_loads(minilm, msmarco):
    references = local_references([minilm, msmarco], {"port": 8085}, "/state/caikit-models")
    assert references["minilm"]["weights_path"] == "/state/caikit-models/" + minilm["caikit_model_id"]
    assert references["msmarco"]["weights_path"] == "/state/caikit-models/" + msmarco["caikit_model_id"]
    # a reference's weights_path is reportable (never its API key)
    assert reference_record(dict(references["minilm"], api_key="secret")) == references["minilm"]

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import (
    candidate_options, check_options, endpoint_options, endpoint_settings, fail_without_libraries, reference_api_key,
    reference_endpoint_settings, reference_options, reference_required_if)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.errors import CheckError
from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import REFERENCE_SERVERS, REFERENCE_TYPES

ROOT = Path(__file__).resolve().parents[4]


class Failed(Exception):
    pass


class FakeModule(object):
    def fail_json(self, **result):
        raise Failed(result)


def test_the_first_missing_library_is_named_with_its_import_error():
    with pytest.raises(Failed) as failed:
        fail_without_libraries(FakeModule(), [("requests", True, None), ("aiohttp", False, ImportError("no aiohttp")),
                                              ("numpy", False, None)])
    result = failed.value.args[0]
    assert "aiohttp" in result["msg"] and "numpy" not in result["msg"] and result["exception"] == "no aiohttp"
    with pytest.raises(Failed) as failed:
        fail_without_libraries(FakeModule(), [("numpy", False, None)])
    assert "numpy" in failed.value.args[0]["msg"] and "exception" not in failed.value.args[0]


def test_endpoint_settings_are_the_endpoint_options_values_only():
    params = {"validate_certs": False, "ca_path": "/etc/ca.pem", "timeout": 5.0, "candidate_url": "http://x", "model": "m"}
    assert endpoint_settings(params) == {"validate_certs": False, "ca_path": "/etc/ca.pem", "timeout": 5.0}


def test_the_reference_uses_its_own_ca_where_given_else_ca_path():
    params = {"validate_certs": True, "ca_path": "/etc/router-ca.pem", "timeout": 5.0, "reference_ca_path": None}
    assert reference_endpoint_settings(params) == {"validate_certs": True, "ca_path": "/etc/router-ca.pem", "timeout": 5.0}
    params["reference_ca_path"] = "/etc/service-ca.pem"
    assert reference_endpoint_settings(params)["ca_path"] == "/etc/service-ca.pem"
    assert endpoint_settings(params)["ca_path"] == "/etc/router-ca.pem"  # the candidate keeps ca_path


def test_nothing_happens_when_every_library_is_there():
    fail_without_libraries(FakeModule(), [("requests", True, None), ("numpy", True, None)])


def test_safe_defaults_and_a_secret_key():
    assert endpoint_options()["validate_certs"] == {"type": "bool", "default": True}
    assert candidate_options()["candidate_api_key"]["no_log"] is True
    # Fresh dicts per call: a module that edits its spec cannot change another module's.
    endpoint_options()["timeout"]["default"] = 1
    assert endpoint_options()["timeout"]["default"] == 60.0


def _fragment_options(name):
    source = (ROOT / "plugins" / "doc_fragments" / "endpoint.py").read_text()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and node.targets[0].id == name:
            return yaml.safe_load(node.value.value)["options"]
    raise AssertionError(name)


@pytest.mark.parametrize("fragment, options", [("DOCUMENTATION", endpoint_options), ("CANDIDATE", candidate_options),
                                               ("REFERENCE", reference_options), ("CHECK", check_options)])
def test_the_specs_match_their_doc_fragments(fragment, options):
    documented = _fragment_options(fragment)
    spec = options()
    assert sorted(documented) == sorted(spec)
    for name, doc in documented.items():
        assert doc["type"] == spec[name]["type"]
        assert doc.get("default") == spec[name].get("default")
        assert bool(doc.get("required")) == bool(spec[name].get("required"))
        assert doc.get("choices") == spec[name].get("choices")


def test_one_list_of_reference_types_and_what_each_needs():
    assert reference_options()["reference_type"]["choices"] == list(REFERENCE_TYPES) == ["caikit", "openai", "golden"]
    assert reference_options()["reference_api_key"]["no_log"] is True
    assert set(REFERENCE_SERVERS) < set(REFERENCE_TYPES) and "golden" not in REFERENCE_SERVERS
    assert reference_required_if() == [("reference_type", "caikit", ("reference_url",)),
                                       ("reference_type", "openai", ("reference_url",)),
                                       ("reference_type", "golden", ("reference_path",))]


def test_fail_on_gate_keeps_each_modules_default():
    assert check_options() == {"fail_on_gate": {"type": "bool", "default": True}}
    assert check_options(fail_on_gate=False)["fail_on_gate"]["default"] is False


def test_the_reference_token_is_the_given_key_else_the_named_variable(monkeypatch):
    params = {"model": "msmarco", "reference_url": "https://caikit-rerank.apps.example.com",
              "reference_api_key": None, "reference_api_key_env": None}
    assert reference_api_key(params) is None
    monkeypatch.setenv("CAIKIT_TOKEN", "sha256~from-env")
    assert reference_api_key(dict(params, reference_api_key_env="CAIKIT_TOKEN")) == "sha256~from-env"
    assert reference_api_key(dict(params, reference_api_key="given", reference_api_key_env="CAIKIT_TOKEN")) == "given"
    monkeypatch.setenv("CAIKIT_TOKEN", "")
    with pytest.raises(CheckError) as failed:
        reference_api_key(dict(params, reference_api_key_env="CAIKIT_TOKEN"))
    text = str(failed.value)
    assert text.startswith("model 'msmarco' at https://caikit-rerank.apps.example.com: ")
    assert "CAIKIT_TOKEN" in text and "oc create token" in text
    monkeypatch.delenv("CAIKIT_TOKEN")
    with pytest.raises(CheckError):
        reference_api_key(dict(params, reference_api_key_env="CAIKIT_TOKEN"))


# --- per-endpoint credentials read from the cluster (credential_options, apply_cluster_credentials) ----------------

def _suboptions_match(documented, spec):
    assert sorted(documented) == sorted(spec)
    for name, doc in documented.items():
        assert doc["type"] == spec[name]["type"], name
        assert doc.get("default") == spec[name].get("default"), name
        assert doc.get("aliases") == spec[name].get("aliases"), name
        if "suboptions" in doc or "options" in spec[name]:
            _suboptions_match(doc["suboptions"], spec[name]["options"])


def test_the_credential_options_match_their_doc_fragments():
    from ansible_collections.vllm_pooling.migration.plugins.doc_fragments.endpoint import ModuleDocFragment as Endpoint
    from ansible_collections.vllm_pooling.migration.plugins.doc_fragments.kubernetes import (
        ModuleDocFragment as Kubernetes)
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import (
        credential_options, kubernetes_options)
    documented = {}
    for text in (Endpoint.CANDIDATE_FROM, Endpoint.REFERENCE_FROM, Kubernetes.CHECKS):
        documented.update(yaml.safe_load(text)["options"])
    _suboptions_match(documented, credential_options())
    # one spec for both sides, and the kubernetes dict is kubernetes_options() itself
    spec = credential_options()
    assert spec["candidate_api_key_from"] == spec["reference_api_key_from"]
    assert spec["candidate_ca_from"] == spec["reference_ca_from"]
    assert spec["kubernetes"]["options"] == kubernetes_options()
    assert sorted(credential_options(("candidate",))) == ["candidate_api_key_from", "candidate_ca_from", "kubernetes"]


def test_a_ca_is_a_file_or_from_the_cluster_per_endpoint():
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.module_args import (
        credential_mutually_exclusive)
    assert credential_mutually_exclusive() == [("ca_path", "candidate_ca_from"),
                                               ("reference_ca_path", "reference_ca_from")]
    assert credential_mutually_exclusive(("candidate",)) == [("ca_path", "candidate_ca_from")]


def test_the_reference_does_not_inherit_a_ca_read_for_the_candidate():
    params = {"validate_certs": True, "ca_path": "/tmp/x/candidate-ca.pem", "timeout": 5.0, "reference_ca_path": None,
              "candidate_ca_from": {"ingress": True}}
    assert reference_endpoint_settings(params)["ca_path"] is None
    params["reference_ca_path"] = "/tmp/x/reference-ca.pem"
    assert reference_endpoint_settings(params)["ca_path"] == "/tmp/x/reference-ca.pem"


class CredentialsModule(object):
    def __init__(self, params):
        self.params, self.no_log_values, self.tmpdir = params, set(), None

    def fail_json(self, **result):
        raise Failed(result)


def test_without_credentials_from_the_cluster_nothing_is_imported_or_asked(monkeypatch):
    import sys
    from ansible_collections.vllm_pooling.migration.plugins.module_utils import module_args
    monkeypatch.setattr(module_args, "kubernetes_client", lambda *a, **k: pytest.fail("asked for a client"))
    monkeypatch.setitem(sys.modules, "ansible_collections.vllm_pooling.migration.plugins.module_utils."
                                     "cluster_credentials", None)  # an import would raise ImportError
    params = {"candidate_api_key_from": None, "candidate_ca_from": None, "reference_api_key_from": None,
              "reference_ca_from": {}, "candidate_api_key": "k"}
    module_args.apply_cluster_credentials(CredentialsModule(params))
    assert params["candidate_api_key"] == "k"


def test_spec_problems_fail_before_any_client(monkeypatch):
    from ansible_collections.vllm_pooling.migration.plugins.module_utils import module_args
    monkeypatch.setattr(module_args, "kubernetes_client", lambda *a, **k: pytest.fail("asked for a client"))
    module = CredentialsModule({"reference_api_key_from": {"secret": "a/b", "login": True},
                                "candidate_ca_from": {"key": "ca.crt"}})
    with pytest.raises(Failed) as failed:
        module_args.apply_cluster_credentials(module)
    msg = failed.value.args[0]["msg"]
    assert msg.startswith("invalid arguments: ") and "candidate_ca_from needs exactly one of" in msg
    assert "reference_api_key_from needs exactly one of" in msg

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Where the benchmark's client ran, the path it took to each server, and whether the p95 gate judges that path."""

from __future__ import annotations

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.benchmark_client import (
    NOT_GATING, ClientError, client_record, url_host, url_path)


# "<url> <platform> <path>": how a client on <platform>'s controller or Job reaches <url>
PATHS = """
http://127.0.0.1:8000 local local
http://localhost:8000/v1 openshift local
http://[::1]:8000 local local
http://vllm-minilm.vllm-migration.svc:8000 openshift service
https://vllm-minilm.vllm-migration.svc:8443 kubernetes service
http://caikit-predictor.rag.svc.cluster.local openshift service
https://vllm-minilm-vllm-migration.apps.example.com openshift route
https://vllm-minilm.apps.example.com kubernetes ingress
https://caikit.example.com local network
http://10.0.0.7:8080 local network
"""


@pytest.mark.parametrize("line", PATHS.strip().splitlines())
def test_the_path_follows_the_url_and_the_platform(line):
    url, platform, path = line.split()
    assert url_path(url, platform) == path


def test_url_host_strips_scheme_user_port_and_path():
    assert url_host("https://user@Vllm.Example.com:443/v1/embeddings") == "vllm.example.com"
    assert url_host("http://[::1]:8000/v1") == "[::1]"


def test_local_measurements_gate_as_before():
    client = client_record("controller", "local", "http://127.0.0.1:8001", "http://127.0.0.1:8002")
    assert client["path"] == client["reference_path"] == "local" and client["latency_gating"] is True
    assert "a loopback address on the same host, the reference the same way." in client["note"]
    assert NOT_GATING not in client["note"]


def test_through_the_router_the_p95_does_not_gate_unless_asked():
    client = client_record("controller", "openshift", "https://vllm.apps.example.com", "https://caikit.apps.example.com")
    assert client == {"location": "controller", "path": "route", "reference_path": "route", "latency_gating": False,
                      "note": client["note"]}
    assert NOT_GATING in client["note"] and "benchmark_p95_gate_through_router" in client["note"]
    opted = client_record("controller", "openshift", "https://vllm.apps.example.com", "https://caikit.apps.example.com",
                          p95_gate_through_router=True)
    assert opted["latency_gating"] is True and "because benchmark_p95_gate_through_router is set" in opted["note"]


def test_the_job_through_services_gates_and_a_reference_on_another_path_is_named():
    same = client_record("cluster_job", "openshift", "http://vllm-minilm.ns.svc:8000",
                         "http://caikit-predictor.rag.svc.cluster.local")
    assert same["location"] == "cluster_job" and same["latency_gating"] is True
    assert "a Job inside the cluster" in same["note"] and "different paths" not in same["note"]
    mixed = client_record("cluster_job", "openshift", "http://vllm-minilm.ns.svc:8000", "https://caikit.apps.example.com")
    assert mixed["reference_path"] == "route" and mixed["latency_gating"] is True
    assert "different paths" in mixed["note"] and "internal_url" in mixed["note"]


def test_unknown_locations_and_paths_are_refused():
    with pytest.raises(ClientError, match="client location 'laptop'"):
        client_record("laptop", "local", "http://127.0.0.1:1", "http://127.0.0.1:2")
    with pytest.raises(ClientError, match="client path 'tunnel'"):
        client_record("controller", "local", "http://127.0.0.1:1", "http://127.0.0.1:2", path="tunnel")

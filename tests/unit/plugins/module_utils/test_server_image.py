# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The vLLM image: reference parts, pinning, CUDA version, the vllm serve command, the checks per image."""

from __future__ import annotations

import pytest

from ansible_collections.vllm_pooling.migration.plugins.module_utils.server_image import (
    image_checks, image_cuda, image_pinning, parse_image, serve_command)

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("image,parts", [
    ("docker.io/vllm/vllm-openai:v0.32.0", ("docker.io", "vllm/vllm-openai", "v0.32.0", "")),
    ("vllm/vllm-openai", ("", "vllm/vllm-openai", "", "")),
    ("registry.local:5000/mirror/vllm:v0.32.0-cu129@" + DIGEST, ("registry.local:5000", "mirror/vllm", "v0.32.0-cu129", DIGEST)),
    ("localhost/vllm@" + DIGEST, ("localhost", "vllm", "", DIGEST)),
])
def test_image_references_are_split(image, parts):
    parsed = parse_image(image)
    assert (parsed["registry"], parsed["repository"], parsed["tag"], parsed["digest"]) == parts


def test_bad_references_are_refused():
    with pytest.raises(ValueError, match="empty"):
        parse_image("")
    with pytest.raises(ValueError, match="64 hex"):
        parse_image("vllm/vllm-openai@sha256:abc")


@pytest.mark.parametrize("image,level,moving", [
    ("docker.io/vllm/vllm-openai@" + DIGEST, "ok", False),
    ("docker.io/vllm/vllm-openai:v0.32.0", "ok", False),
    ("docker.io/vllm/vllm-openai:v0.32.0-cu129", "ok", False),
    ("docker.io/vllm/vllm-openai:latest", "warn", True),
    ("docker.io/vllm/vllm-openai:nightly", "warn", True),
    ("docker.io/vllm/vllm-openai:v0.32.0-nightly", "warn", True),
    ("docker.io/vllm/vllm-openai", "warn", True),
])
def test_moving_tags_warn_and_digests_pin(image, level, moving):
    verdict = image_pinning(image)
    assert (verdict["level"], verdict["moving"], verdict["pinned"]) == (level, moving, "@" in image)
    if level == "warn":
        assert "re-points" in verdict["message"] and "@sha256" in verdict["message"]
    assert image_pinning(image, "allow")["level"] == "ok"


def test_the_digest_policy_refuses_anything_but_a_digest():
    assert image_pinning("docker.io/vllm/vllm-openai:v0.32.0", "digest")["level"] == "refuse"
    assert image_pinning("docker.io/vllm/vllm-openai:v0.32.0@" + DIGEST, "digest")["level"] == "ok"
    with pytest.raises(ValueError, match="vllm_server_image_policy"):
        image_pinning("x:1.0", "strict")


@pytest.mark.parametrize("image,cuda,expected", [
    ("docker.io/vllm/vllm-openai:v0.32.0", "", "13"),
    ("docker.io/vllm/vllm-openai:v0.19.1", "", "12"),
    ("docker.io/vllm/vllm-openai:v0.32.0-cu129", "", "12.9"),
    ("quay.io/mirror/vllm-openai:v0.19.1-cu130", "", "13.0"),
    ("registry.redhat.io/rhaiis/vllm-cuda-rhel9:3.2", "", ""),
    ("docker.io/vllm/vllm-openai@" + DIGEST, "", ""),
    ("registry.redhat.io/rhaiis/vllm-cuda-rhel9:3.2", "12.8", "12.8"),
])
def test_the_image_cuda_version(image, cuda, expected):
    found = image_cuda(image, cuda)
    assert found["cuda"] == expected
    if not expected:
        assert "vllm_server_image_cuda" in found["source"]


def test_vllm_serve_takes_the_model_positionally_other_commands_keep_the_flag():
    args = ["--model", "BAAI/bge-reranker-v2-m3", "--runner", "pooling", "--port", "8000"]
    expected = ["BAAI/bge-reranker-v2-m3", "--runner", "pooling", "--port", "8000"]
    assert serve_command(["vllm", "serve"], args) == (["vllm", "serve"], expected)
    assert serve_command(["/usr/local/bin/vllm", "serve"], args)[1][0] == "BAAI/bge-reranker-v2-m3"
    module = ["python3", "-m", "vllm.entrypoints.openai.api_server"]
    assert serve_command(module, args) == (module, args)


def gpu_server(key, image, gpu=1):
    return {"key": key, "name": "vllm-" + key, "image": image, "gpu": gpu, "replicas": 1, "args": [],
            "node_selector": {}, "tolerations": [{"operator": "Exists"}]}


def test_image_checks_group_by_image_and_sort_the_messages():
    nodes = {"resources": [{"metadata": {"name": "gpu-a", "labels": {"nvidia.com/cuda.driver-version.major": "550"}},
                            "status": {"allocatable": {"nvidia.com/gpu": "1"}}}]}
    checks = image_checks([gpu_server("minilm", "docker.io/vllm/vllm-openai:latest"),
                           gpu_server("granite", "docker.io/vllm/vllm-openai:v0.32.0"),
                           gpu_server("msmarco", "docker.io/vllm/vllm-openai:v0.32.0"),
                           gpu_server("cpu", "quay.io/x/vllm-cpu:v0.32.0", gpu=0)], nodes, {"policy": "warn"})
    assert [i["image"] for i in checks["images"]] == ["docker.io/vllm/vllm-openai:latest",
                                                      "docker.io/vllm/vllm-openai:v0.32.0", "quay.io/x/vllm-cpu:v0.32.0"]
    assert checks["images"][1]["keys"] == ["granite", "msmarco"]
    assert len(checks["warn"]) == 1 and "latest" in checks["warn"][0]
    # v0.32.0 is CUDA 13: driver 550 is too old; 'latest' has no known CUDA: skipped with the reason.
    (refused,) = checks["refuse"]
    assert "v0.32.0" in refused and "gpu-a has 550" in refused and "580.65.06" in refused
    assert any("CUDA version of the image is unknown" in m for m in checks["info"])
    assert checks["images"][2]["driver"] is None  # a CPU image is not checked against GPU drivers
    off = image_checks([gpu_server("granite", "docker.io/vllm/vllm-openai:v0.32.0")], nodes, {"driver_check": False})
    assert off["refuse"] == [] and "vllm_server_driver_check is false" in off["info"][-1]

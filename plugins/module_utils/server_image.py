# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The vLLM image as plain functions: its reference parts, whether it is pinned (a digest) or moving
(a tag a registry re-points, such as ``latest``), the CUDA version it was built with, and the
container command that starts it (``vllm serve <model> ...``).
"""

from __future__ import annotations

import re

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# A release tag: v0.32.0, 0.32.0, v0.32.0-cu129, 2.4.1-rhel9 ...
_VERSION_TAG = re.compile(r"^v?\d+\.\d+(\.\d+)*([-+._][0-9A-Za-z.]+)*$")
# Words that mark a tag a registry re-points on every build.
_MOVING_WORDS = ("latest", "nightly", "main", "master", "dev", "edge", "stable", "rc", "snapshot")
# vLLM's upstream images switched their unsuffixed tags from CUDA 12 to CUDA 13 at v0.20.0
# ('-cu129' tags stay CUDA 12.9 from then on; before, '-cu130' tags were the CUDA 13 builds).
UPSTREAM_REPOSITORIES = ("vllm/vllm-openai",)
UPSTREAM_CUDA13_FROM = (0, 20)

POLICIES = ("warn", "digest", "allow")


def parse_image(image):
    """``{registry, repository, tag, digest}`` of an image reference (``registry/repo:tag@sha256:...``)."""
    image = str(image or "").strip()
    if not image:
        raise ValueError("the image is empty: set vllm_server_image (or vllm_migration_vllm_image)")
    name, _sep, digest = image.partition("@")
    registry, rest = "", name
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        registry, rest = name.split("/", 1)
    repository, tag = rest, ""
    if ":" in rest.rsplit("/", 1)[-1]:
        repository, tag = rest.rsplit(":", 1)
    if digest and not _DIGEST.match(digest):
        raise ValueError("image %s: the digest must be sha256: and 64 hex digits" % image)
    return {"image": image, "registry": registry, "repository": repository, "tag": tag, "digest": digest}


def image_pinning(image, policy="warn"):
    """Whether ``image`` is pinned by digest, given by a release tag, or by a moving tag.

    ``policy``: ``warn`` (a moving tag is reported as a warning), ``digest`` (anything but a digest is
    refused), ``allow`` (nothing reported). Returns ``{pinned, moving, tag, digest, level, message}``
    where ``level`` is ``ok``, ``warn`` or ``refuse``.
    """
    if policy not in POLICIES:
        raise ValueError("vllm_server_image_policy must be one of %s, not %r" % (", ".join(POLICIES), policy))
    parts = parse_image(image)
    tag = parts["tag"]
    moving = not parts["digest"] and (not tag or not _VERSION_TAG.match(tag)
                                      or any(w in re.split(r"[-_.+]", tag.lower()) for w in _MOVING_WORDS))
    result = dict(parts, pinned=bool(parts["digest"]), moving=moving, level="ok", message="")
    if parts["digest"]:
        result["message"] = "image %s is pinned by digest" % image
    elif policy == "digest":
        result.update(level="refuse", message=(
            "image %s is not pinned by digest and vllm_server_image_policy is 'digest': give it as "
            "<image>@sha256:<digest> (skopeo inspect docker://%s shows the digest)" % (image, image)))
    elif moving and policy == "warn":
        result.update(level="warn", message=(
            "image %s is given by %s, which the registry re-points: every node may pull a different vLLM. "
            "Pin a release tag or, better, a digest (<image>@sha256:...); vllm_server_image_policy: allow "
            "silences this" % (image, ("the moving tag '%s'" % tag) if tag else "no tag (that is 'latest')")))
    else:
        result["message"] = "image %s is given by the release tag '%s' (a digest pins it for good)" % (image, tag)
    return result


def image_cuda(image, cuda=""):
    """``{cuda, source}``: the CUDA version the image was built with. ``cuda`` (the user's
    ``vllm_server_image_cuda``) wins; else a ``-cuXYZ`` tag suffix; else vLLM's upstream tag convention;
    else unknown (``cuda`` empty, ``source`` says why)."""
    if cuda not in (None, ""):
        return {"cuda": str(cuda), "source": "vllm_server_image_cuda"}
    parts = parse_image(image)
    tag = parts["tag"]
    suffix = re.search(r"(?:^|[-_.])cu(\d{2,3})(?:$|[-_.])", tag)
    if suffix:
        digits = suffix.group(1)
        return {"cuda": "%s.%s" % (digits[:-1], digits[-1]), "source": "the tag suffix cu%s" % digits}
    version = re.match(r"^v?(\d+)\.(\d+)", tag)
    if parts["repository"] in UPSTREAM_REPOSITORIES and version:
        release = (int(version.group(1)), int(version.group(2)))
        major = "13" if release >= UPSTREAM_CUDA13_FROM else "12"
        return {"cuda": major, "source": "vLLM's upstream images: CUDA 13 from v0.20.0 on, CUDA 12 before"}
    return {"cuda": "", "source": "image %s: no CUDA version in its tag and not an upstream vLLM release tag; set "
                                  "vllm_server_image_cuda" % parts["image"]}


def serve_command(command, args):
    """(command, args) for the container. ``vllm serve`` takes the model as its first, positional argument
    (``--model`` there is deprecated and logs a warning that it will go); any other command (the older ``python3 -m vllm.entrypoints.openai.api_server``)
    keeps ``--model``."""
    command = [str(c) for c in command or []]
    args = [str(a) for a in args or []]
    if len(command) >= 2 and command[-1] == "serve" and command[-2].rsplit("/", 1)[-1] == "vllm" and "--model" in args:
        index = args.index("--model")
        model = args[index + 1]
        args = [model] + args[:index] + args[index + 2:]
    return command, args


def image_checks(instances, nodes=None, settings=None):
    """The image checks of the planned servers, per distinct image: pinning (``image_pinning``), CUDA
    (``image_cuda``) and, for images of GPU servers, the nodes' driver (``gpu_plan.driver_check``).

    ``settings``: ``policy`` (``vllm_server_image_policy``), ``cuda`` (``vllm_server_image_cuda``),
    ``min_driver``, ``resource``, ``driver_check`` (false skips it, saying so). Returns ``images`` (one
    entry each) and the messages sorted into ``refuse``, ``warn`` and ``info``.
    """
    # Imported here: gpu_plan is only needed for the driver check.
    from ansible_collections.vllm_pooling.migration.plugins.module_utils.gpu_plan import driver_check

    settings = dict(settings or {})
    result = {"images": [], "refuse": [], "warn": [], "info": []}
    seen = []
    for instance in instances:
        if instance["image"] not in seen:
            seen.append(instance["image"])
    for image in seen:
        users = [i for i in instances if i["image"] == image]
        pinning = image_pinning(image, settings.get("policy") or "warn")
        cuda = image_cuda(image, settings.get("cuda"))
        entry = {"image": image, "keys": [i["key"] for i in users], "pinning": pinning, "cuda": cuda, "driver": None}
        result[pinning["level"] if pinning["level"] in ("refuse", "warn") else "info"].append(pinning["message"])
        if any(int(i.get("gpu") or 0) > 0 for i in users):
            if settings.get("driver_check", True):
                check = driver_check(nodes, cuda["cuda"], users, settings.get("resource") or "nvidia.com/gpu",
                                     min_driver=settings.get("min_driver") or "")
                if not cuda["cuda"]:
                    check["message"] += " (%s)" % cuda["source"]
            else:
                check = {"status": "skipped", "message": "Driver check skipped: vllm_server_driver_check is false."}
            entry["driver"] = check
            (result["refuse"] if check["status"] == "too_old" else result["info"]).append(
                "%s: %s" % (image, check["message"]))
        result["images"].append(entry)
    return result

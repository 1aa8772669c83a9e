# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Argument specs shared by the modules that call a server, matching the doc fragments in
plugins/doc_fragments/endpoint.py, and the check for the libraries those modules need."""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback, missing_required_lib


def endpoint_options():
    """``validate_certs``, ``ca_path`` and ``timeout`` (doc fragment ``vllm_pooling.migration.endpoint``)."""
    return dict(
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="float", default=60.0),
    )


def endpoint_settings(params):
    """The values of the ``endpoint_options()`` from a module's params, as ``JsonEndpoint`` keyword arguments."""
    return {name: params[name] for name in endpoint_options()}


def candidate_options():
    """``candidate_url``, ``candidate_model`` and ``candidate_api_key`` (doc fragment ``endpoint.candidate``)."""
    return dict(
        candidate_url=dict(type="str", required=True),
        candidate_model=dict(type="str", required=True),
        candidate_api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["VLLM_API_KEY"])),
    )


def fail_without_libraries(module, libraries):
    """Fail the module, naming the first missing library, for ``(name, available, import_error)`` triples."""
    for name, available, import_error in libraries:
        if not available:
            detail = {} if import_error is None else {"exception": str(import_error)}
            module.fail_json(msg=missing_required_lib(name), **detail)

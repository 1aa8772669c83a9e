# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations


class ModuleDocFragment(object):
    # TLS and timeout options shared by every module that calls a serving endpoint.
    DOCUMENTATION = r"""
options:
  validate_certs:
    description:
      - Verify the TLS certificate of HTTPS endpoints.
      - Turn off only for a throwaway test; use O(ca_path) for a private CA instead.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a PEM bundle of CA certificates used to verify HTTPS endpoints,
        for example the OpenShift ingress CA.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP answer before failing with a timeout.
    type: float
    default: 60
"""

    # The candidate vLLM server, for every module that checks or measures one.
    CANDIDATE = r"""
options:
  candidate_url:
    description:
      - Base URL of the candidate server, without C(/v1), for example C(http://127.0.0.1:8000).
    type: str
    required: true
  candidate_model:
    description:
      - Model name the candidate serves (vLLM's C(--served-model-name)).
    type: str
    required: true
  candidate_api_key:
    description:
      - Bearer token for the candidate (vLLM's C(--api-key)). Falls back to E(VLLM_API_KEY).
    type: str
"""

    # What the candidate is compared with, for every module that compares (module_args.reference_options(),
    # the types of constants.REFERENCE_TYPES).
    REFERENCE = r"""
options:
  reference_type:
    description:
      - What the candidate is compared with.
      - V(caikit) is the Caikit-NLP REST runtime being replaced (C(/api/v1/task/embedding), C(embedding-tasks),
        C(rerank)).
      - V(openai) is a server of the OpenAI API, such as another vLLM - its C(/v1/embeddings) for embedding models,
        its Cohere/Jina-style C(/v1/rerank) API for rerankers.
      - V(golden) is a file recorded earlier by a check's C(record_golden). It serves no load, so only the checks
        take it; the benchmark rejects it.
    type: str
    required: true
    choices: [caikit, openai, golden]
  reference_url:
    description:
      - Base URL of the reference server. Required unless O(reference_type=golden).
      - A URL ending in C(/v1) is used without it, with a warning.
    type: str
  reference_model:
    description:
      - Model name at the reference (the Caikit C(model_id) or the OpenAI model name).
      - Defaults to O(candidate_model) (for a golden file, the model it was recorded for).
    type: str
  reference_api_key:
    description:
      - Bearer token for the reference server.
    type: str
  reference_ca_path:
    description:
      - CA bundle (PEM) that signs the reference's TLS certificate, when it is not the one that signs the candidate's.
      - For example the service CA of a KServe predictor reached inside the cluster, or another cluster's router CA,
        while O(ca_path) holds the CA of the router in front of vLLM. Defaults to O(ca_path).
      - O(validate_certs) applies to both.
    type: path
  reference_path:
    description:
      - Golden file to compare with. Required when O(reference_type=golden).
    type: path
"""

    # What a verification module does when a gate fails (module_args.check_options()).
    CHECK = r"""
options:
  fail_on_gate:
    description:
      - Fail the task when a gate fails. Set to V(false) to collect the result and decide later,
        as the C(verify) role does. Errors reaching an endpoint always fail.
    type: bool
    default: true
"""

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

    # What a verification module does when a gate fails.
    CHECK = r"""
options:
  fail_on_mismatch:
    description:
      - Fail the task when a gate fails. Set to V(false) to collect the result and decide later,
        as the C(verify) role does. Errors reaching an endpoint always fail.
    type: bool
    default: true
"""

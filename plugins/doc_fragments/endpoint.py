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

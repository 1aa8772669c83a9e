# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0

from __future__ import annotations


class ModuleDocFragment(object):
    # How the modules that read the cluster through kubernetes.core's client reach the API server
    # (module_args.kubernetes_options()).
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file. Defaults to E(K8S_AUTH_KUBECONFIG), else E(KUBECONFIG) or C(~/.kube/config),
        as for C(kubernetes.core) modules.
    type: path
  context:
    description: The kubeconfig context to use. Defaults to E(K8S_AUTH_CONTEXT), else the current context.
    type: str
  host:
    description: URL of the API server, with O(api_key) (AWX's credential sets E(K8S_AUTH_HOST)).
    type: str
  api_key:
    description: Bearer token for O(host) (E(K8S_AUTH_API_KEY)).
    type: str
  validate_certs:
    description: Verify the API server's certificate (E(K8S_AUTH_VERIFY_SSL)).
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description: CA bundle of the API server (E(K8S_AUTH_SSL_CA_CERT)).
    type: path
    aliases: [ssl_ca_cert]
notes:
  - Options left unset are read from the same E(K8S_AUTH_*) environment variables as C(kubernetes.core) modules.
"""

    # The same options as a dict, the checks' ``kubernetes`` option (module_args.credential_options()), used only to
    # read the tokens and CAs of their *_api_key_from and *_ca_from options.
    CHECKS = r"""
options:
  kubernetes:
    description:
      - How the module reaches the Kubernetes API to read the tokens and CAs named by the C(*_api_key_from) and
        C(*_ca_from) options; used only when one of those is given (without them no cluster or kubeconfig is needed).
      - The same settings as the cluster modules' (O(kubernetes.kubeconfig), O(kubernetes.host), ...), in a dict
        because O(validate_certs) and the API keys of these modules are the served endpoints'.
      - Settings left unset are read from the E(K8S_AUTH_*) environment variables, else the kubeconfig.
    type: dict
    suboptions:
      kubeconfig:
        description:
          - Path to a kubeconfig file. Defaults to E(K8S_AUTH_KUBECONFIG), else E(KUBECONFIG) or C(~/.kube/config),
            as for C(kubernetes.core) modules.
        type: path
      context:
        description: The kubeconfig context to use. Defaults to E(K8S_AUTH_CONTEXT), else the current context.
        type: str
      host:
        description: URL of the API server, with O(kubernetes.api_key) (AWX's credential sets E(K8S_AUTH_HOST)).
        type: str
      api_key:
        description: Bearer token for O(kubernetes.host) (E(K8S_AUTH_API_KEY)).
        type: str
      validate_certs:
        description: Verify the API server's certificate (E(K8S_AUTH_VERIFY_SSL)).
        type: bool
        aliases: [verify_ssl]
      ca_cert:
        description: CA bundle of the API server (E(K8S_AUTH_SSL_CA_CERT)).
        type: path
        aliases: [ssl_ca_cert]
"""

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Where the benchmark's load generator ran and which network path it took to each server, and whether the
p95 latency gate may judge a measurement taken on that path. Plain functions, no I/O, no numpy.

Every performance record carries ``client``: ``{location, path, reference_path, latency_gating, note}``.

- ``location``: ``controller`` (the machine that runs ansible-playbook: a laptop, an AWX pod) or ``cluster_job``
  (the benchmark Job in the migration's namespace, module ``benchmark_job``).
- ``path`` (to vLLM) and ``reference_path``: ``local`` (a loopback URL: the client on the servers' host),
  ``service`` (a cluster Service URL, ``*.svc``), ``route`` (an OpenShift Route, through the router),
  ``ingress`` (a Kubernetes Ingress, through the ingress controller) or ``network`` (any other URL off a
  cluster platform: a path this collection knows nothing about).
- ``latency_gating``: false when vLLM was reached through the router (``route``/``ingress``) and the user did
  not opt in (``p95_gate_through_router``): the p95 number is then the router's and the network's as much as
  the server's, so the latency gate is reported and does not gate. The throughput ratio gates as before when
  both servers took the same path.
"""

from __future__ import annotations

import re


LOCATIONS = ("controller", "cluster_job")
PATHS = ("local", "service", "route", "ingress", "network")
ROUTER_PATHS = ("route", "ingress")
CLUSTER_PLATFORMS = ("openshift", "kubernetes")
NOT_GATING = "measured through the router: not gating"
_LOOPBACK = re.compile(r"^(localhost|127(\.\d{1,3}){3}|\[?::1\]?|0\.0\.0\.0)$")
_PATH_WORDS = {"local": "a loopback address on the same host", "service": "its in-cluster Service",
               "route": "the OpenShift router (its Route)", "ingress": "the ingress controller (its Ingress)",
               "network": "the network"}
_LOCATION_WORDS = {"controller": "the controller (the machine that ran ansible-playbook)",
                   "cluster_job": "a Job inside the cluster"}


class ClientError(ValueError):
    """A location or path this collection does not know."""


def url_host(url):
    """The host of a URL, lower case, without scheme, user, port or path (an IPv6 literal keeps its brackets)."""
    rest = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", str(url or "")).split("/", 1)[0].split("@")[-1]
    if rest.startswith("["):  # an IPv6 literal
        return rest.split("]", 1)[0] + "]"
    return rest.split(":", 1)[0].lower()


def in_cluster_url(url):
    """True for a Service URL only the cluster resolves (``*.svc``, ``*.svc.cluster.local``)."""
    host = re.sub(r"^[a-z]+://", "", str(url or "")).split("/", 1)[0].split(":", 1)[0].lower()
    return host.endswith(".svc") or ".svc." in host or host.endswith(".cluster.local")


def url_path(url, platform):
    """How a client reaches ``url`` on ``platform``: local, service, route, ingress or network."""
    host = url_host(url)
    if _LOOPBACK.match(host):
        return "local"
    if in_cluster_url(url):
        return "service"
    if platform == "openshift":
        return "route"
    if platform == "kubernetes":
        return "ingress"
    return "network"


def client_record(location, platform, candidate_url, reference_url, p95_gate_through_router=False, path=None,
                  reference_path=None):
    """The record's ``client``: where the load generator ran, the path to each server (``path`` and
    ``reference_path`` override what the URLs say), whether the p95 gate judges, and a sentence about it."""
    if location not in LOCATIONS:
        raise ClientError("client location %r: expected one of %s" % (location, ", ".join(LOCATIONS)))
    path = path or url_path(candidate_url, platform)
    reference_path = reference_path or url_path(reference_url, platform)
    for name, value in (("path", path), ("reference_path", reference_path)):
        if value not in PATHS:
            raise ClientError("client %s %r: expected one of %s" % (name, value, ", ".join(PATHS)))
    gating = path not in ROUTER_PATHS or bool(p95_gate_through_router)
    return {"location": location, "path": path, "reference_path": reference_path, "latency_gating": gating,
            "note": client_note(location, path, reference_path, gating, p95_gate_through_router)}


def check_path(location, platform, candidate_url, reference_url):
    """Where the checks of one model ran and the path they took to each server: ``{location, path, reference_path,
    note}`` (a verification record's ``checked_from``). Unlike the benchmark, no gate depends on it: the answers, not
    their latencies, are compared."""
    if location not in LOCATIONS:
        raise ClientError("check location %r: expected one of %s" % (location, ", ".join(LOCATIONS)))
    path, reference_path = url_path(candidate_url, platform), url_path(reference_url, platform)
    note = "The checks ran on %s and reached vLLM through %s" % (_LOCATION_WORDS[location], _PATH_WORDS[path])
    note += (", the reference the same way." if reference_path == path
             else ", the reference through %s." % _PATH_WORDS[reference_path])
    return {"location": location, "path": path, "reference_path": reference_path, "note": note}


def client_note(location, path, reference_path, gating, opted_in=False):
    """One or two sentences: where the client ran, the path to vLLM and the reference, what that means for the gates."""
    text = "The load generator ran on %s and reached vLLM through %s" % (_LOCATION_WORDS[location], _PATH_WORDS[path])
    text += (", the reference the same way." if reference_path == path
             else ", the reference through %s." % _PATH_WORDS[reference_path])
    if path in ROUTER_PATHS and not gating:
        text += (" Its latencies include the network to the cluster and the router, so the p95 gate is reported but "
                 "does not gate (%s; benchmark_p95_gate_through_router: true gates on it, or benchmark from inside "
                 "the cluster with benchmark_job_image)." % NOT_GATING)
    elif path in ROUTER_PATHS and opted_in:
        text += " The p95 gate judges this path because benchmark_p95_gate_through_router is set."
    if reference_path != path:
        text += (" The two servers took different paths, so the throughput ratio also compares the paths: give the "
                 "reference's in-cluster URL (internal_url in its reference) for a like-for-like ratio.")
    return text

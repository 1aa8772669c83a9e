# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""An in-process Kubernetes API for the emulator tests and the molecule emulator scenario.

kmock's ``KubernetesEmulator`` stores objects and serves them back; its docs ask users to subclass it
for anything special. ``ClusterEmulator`` adds the few behaviours of a real API server that the roles
depend on, and nothing more. Each addition is an emulation written here, in test code, and each one
limits what a passing test can prove (docs/cluster.md, "What the emulator tests do not prove"):

- cluster-scoped ``/api/v1/namespaces[/NAME]`` requests (kmock's path parser reads ``namespaces`` as the
  start of a namespaced path and fails or misroutes them);
- ``labelSelector`` and ``fieldSelector`` (equality only) on lists: kmock returns every object;
- server-side apply (a PATCH with ``application/apply-patch+yaml``) of an object that does not exist
  creates it, as the API server does (kmock answers 404); otherwise it is kmock's plain merge;
- ``dryRun=All`` on writes: kmock would store the object, so ``--check`` runs would create things;
- a create in a namespace that does not exist is refused with 404, dry-run or not (the API server's
  NamespaceLifecycle admission), which is what ``--check`` meets before the namespace exists;
- what controllers and admission add: a host on Routes without one (the OpenShift router's default),
  the ``kubernetes.io/metadata.name`` label on Namespaces, and, on request, a rolled-out or failed
  status on Deployments and a finished status on Jobs, or none until the test writes one (there is no kubelet
  or controller here);
- ``pods/NAME/log`` answers with text seeded by the test (per pod, or per pod and container), or the API server's
  400 for a container that has not started;
- ``serviceaccounts/NAME/token`` (a TokenRequest, ``authentication.k8s.io/v1``) answers with a token made from the
  request (``service_account_token()``, so tests know it) for a ServiceAccount that exists, 404 for one that does
  not and the API server's 422 for ``expirationSeconds`` under 600; nothing is stored and it is not a write
  (``writes``), as on a real cluster. The token is not a JWT and no authenticator accepts it.

Patches stay kmock's plain dict merges: no strategic merge, no server-side apply, no defaulting of
unset fields, no validation, no admission (SCC, quota), no garbage collection of owned objects.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import hashlib
import json
import re
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request

import aiohttp.web
import attrs
import kmock

NAMESPACE_PATH = re.compile(r"^/api/v1/namespaces(?:/(?P<name>[^/]+))?/?$")
WRITE_ACTIONS = frozenset((kmock.action.CREATE, kmock.action.UPDATE, kmock.action.DELETE))

# Deployment outcomes the emulated controllers can produce.
ROLLOUT_AVAILABLE = "available"            # every replica updated and available
ROLLOUT_DEADLINE_EXCEEDED = "deadline_exceeded"  # Progressing=False, as after progressDeadlineSeconds
ROLLOUT_NONE = "none"                      # no status at all: nothing ever reconciles the Deployment

OPENSHIFT_RESOURCES = {
    "route.openshift.io/v1/routes": {
        "kind": "Route", "singular": "route", "namespaced": True,
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        "subresources": ["status"],
    },
}


def service_account_token(namespace, name, audiences=(), expiration_seconds=3600):
    """The token the emulated TokenRequest issues: the same request gives the same token."""
    digest = hashlib.sha256(json.dumps([namespace, name, list(audiences or ()), expiration_seconds]).encode())
    return "emulated-sa-token." + digest.hexdigest()[:40]


def merge_patch(target, patch):
    """RFC 7386 merge: the same plain dict merge kmock applies to PATCH requests."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _selector_terms(selector):
    """Split a label selector on the commas that are not inside ``in (...)`` sets."""
    terms, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        terms.append(current.strip())
    return terms


def label_selector_matches(selector, labels):
    """The label selector grammar of the API server: =, ==, !=, in, notin, exists, !exists."""
    labels = labels or {}
    for term in _selector_terms(selector or ""):
        set_match = re.match(r"^(\S+)\s+(in|notin)\s+\((.*)\)$", term)
        if set_match:
            key, operator, values = set_match.groups()
            values = {v.strip() for v in values.split(",")}
            if operator == "in" and labels.get(key) not in values:
                return False
            if operator == "notin" and key in labels and labels[key] in values:
                return False
        elif "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in re.split(r"==?", term, maxsplit=1))
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


def field_selector_matches(selector, obj):
    """Equality field selectors (``involvedObject.name=x``, ``metadata.name!=y``) on dotted paths."""
    for term in _selector_terms(selector or ""):
        negate = "!=" in term
        path, value = re.split(r"!=|==?", term, maxsplit=1)
        current = obj
        for part in path.strip().split("."):
            current = current.get(part) if isinstance(current, dict) else None
        if (str(current) == value.strip()) == negate:
            return False
    return True


class Write(collections.namedtuple("Write", "method path dry_run created")):
    """A write request as the emulator saw it; ``created``: it made (or, dry-run, would make) an object."""


def _is_apply(request):
    content_type = {k.lower(): v for k, v in request.headers.items()}.get("content-type", "")
    return content_type.startswith("application/apply-patch")


def _status(code, reason, message):
    return aiohttp.web.json_response({
        "apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
        "code": code, "reason": reason, "message": message,
    }, status=code)


@attrs.define(kw_only=True)
class ClusterEmulator(kmock.KubernetesEmulator):
    """kmock's emulator plus the API-server behaviours listed in the module docstring."""

    openshift: bool = True
    route_domain: str = "apps.emulator.test"
    deployment_rollout: str = ROLLOUT_AVAILABLE
    job_succeeds: bool = True
    # False: a created Job gets no status (it "runs" until the test writes one, as the benchmark Job's test does).
    jobs_finish: bool = True
    # (namespace, pod, previous) -> log text, or (namespace, pod, previous, container) for one container (that key
    # wins); a missing key answers like a container that never ran.
    pod_logs: dict = attrs.field(factory=dict)
    # Every write request (Write), for assertions such as "--check wrote nothing".
    writes: list = attrs.field(factory=list)
    # Every request as (method, path), reads too, in order: for assertions on what a run read before a write.
    seen: list = attrs.field(factory=list)

    # Kinds a subclass serves beyond the bundled and OpenShift ones (a CRD its scenario needs): {key: info}.
    EXTRA_RESOURCES = {}

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self.resources.load_bundled()
        extra = dict(OPENSHIFT_RESOURCES) if self.openshift else {}
        extra.update(self.EXTRA_RESOURCES)
        for key, info in extra.items():
            self.resources[key] = info

    # --- request parsing: cluster-scoped namespaces -------------------------------------------

    async def __call__(self, raw_request):
        match = NAMESPACE_PATH.match(raw_request.path)
        if match is None:
            return await super().__call__(raw_request)
        try:
            request = await self._parse_namespace_request(raw_request, match.group("name"))
            self._requests.append(request)
            return await self._handle(request)
        except Exception as exc:  # the same catch-all kmock's own __call__ has: answer with a Status
            return await self._render_error(exc)

    async def _parse_namespace_request(self, raw_request, name):
        body = await raw_request.read()
        text = body.decode("utf-8", "replace")
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = None
        method = raw_request.method.upper()
        query = dict(raw_request.query)
        if method == "GET":
            action = kmock.action.WATCH if query.get("watch") == "true" else (
                kmock.action.FETCH if name else kmock.action.LIST)
        else:
            action = {"POST": kmock.action.CREATE, "PATCH": kmock.action.UPDATE,
                      "DELETE": kmock.action.DELETE}.get(method)
        return kmock.Request(
            raw_request=raw_request, url=raw_request.url, method=method, params=query,
            headers=dict(raw_request.headers), cookies=dict(raw_request.cookies),
            body=body, text=text, data=data, action=action,
            resource=kmock.resource("", "v1", "namespaces"), namespace=None, name=name)

    # --- writes: dry-run, defaulting, emulated controllers ------------------------------------

    async def _handle(self, request):
        self.seen.append((str(request.method.value).upper(), str(request.url.path)))
        if request.resource is None:
            return await super()._handle(request)
        if request.resource.plural == "pods" and request.subresource == "log":
            return self._serve_pod_log(request)
        if request.resource.plural == "serviceaccounts" and request.subresource == "token":
            return self._serve_token_request(request)
        existing = self._stored(self._key(request)) if request.name else None
        if request.action == kmock.action.UPDATE and _is_apply(request) and existing is None:
            # Server-side apply creates what does not exist yet (kmock would answer 404). kmock routes a
            # request by its identity in the request log, so the log holds the re-classified request.
            original, request = request, attrs.evolve(request, action=kmock.action.CREATE)
            self._requests[:] = [request if r is original else r for r in self._requests]
        if request.action in WRITE_ACTIONS:
            dry_run = bool(request.params.get("dryRun"))
            self.writes.append(Write(str(request.method.value).upper(), str(request.url.path), dry_run,
                                     request.action == kmock.action.CREATE))
            missing = self._missing_namespace(request)
            if missing:  # the NamespaceLifecycle admission plugin, which runs for dry-run requests too
                return _status(404, "NotFound", 'namespaces "%s" not found' % missing)
            if dry_run:
                return self._serve_dry_run(request)
            if request.action == kmock.action.CREATE and isinstance(request.data, dict):
                self._admit(request.resource, request.data, created=True)
            elif request.action == kmock.action.UPDATE and isinstance(request.data, dict):
                self._admit(request.resource, request.data, created=False)
        return await super()._handle(request)

    def _missing_namespace(self, request):
        """The namespace a create targets when it does not exist (None when it exists or is not namespaced)."""
        if request.action != kmock.action.CREATE or not self.resources[request.resource].namespaced:
            return None
        namespace = request.namespace or ((request.data or {}).get("metadata") or {}).get("namespace")
        if not namespace:
            return None
        key = (kmock.resource("", "v1", "namespaces"), None, namespace)
        return None if self._stored(key) is not None else namespace

    def _key(self, request, name=None):
        namespace = request.namespace
        if request.action == kmock.action.CREATE and isinstance(request.data, dict):
            namespace = namespace or request.data.get("metadata", {}).get("namespace")
        if request.resource.plural == "namespaces" and request.resource.group == "":
            namespace = None
        return (request.resource, namespace, name or request.name)

    def _stored(self, key):
        if key in self.objects and not self.objects[key].deleted:
            return dict(self.objects[key].raw)
        return None

    def _serve_dry_run(self, request):
        if request.action == kmock.action.CREATE:
            name = (request.data or {}).get("metadata", {}).get("name")
            if self._stored(self._key(request, name)) is not None:
                return _status(409, "AlreadyExists", "%s %r already exists" % (request.resource.plural, name))
            obj = copy.deepcopy(request.data)
            self._admit(request.resource, obj, created=True)
            return aiohttp.web.json_response(obj, status=201)
        existing = self._stored(self._key(request))
        if existing is None:
            return _status(404, "NotFound", "%s %r not found" % (request.resource.plural, request.name))
        if request.action == kmock.action.UPDATE:
            return aiohttp.web.json_response(merge_patch(existing, request.data or {}))
        return aiohttp.web.json_response(existing)

    def _admit(self, resource, obj, created):
        """Fields a real cluster adds after a write (admission defaults and controllers), emulated."""
        metadata = obj.setdefault("metadata", {})
        plural = resource.plural
        if plural == "namespaces" and created:
            metadata.setdefault("labels", {})["kubernetes.io/metadata.name"] = metadata.get("name")
        elif plural == "routes" and created and not (obj.get("spec") or {}).get("host"):
            obj.setdefault("spec", {})["host"] = "%s-%s.%s" % (
                metadata.get("name"), metadata.get("namespace"), self.route_domain)
        elif plural == "deployments" and resource.group == "apps":
            replicas = (obj.get("spec") or {}).get("replicas", 1)
            if created:
                metadata["generation"] = 1
            status = self._deployment_status(replicas)
            if status is not None:
                obj["status"] = status
        elif plural == "jobs" and created and self.jobs_finish:
            obj["status"] = ({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
                             if self.job_succeeds else
                             {"failed": 1, "conditions": [{"type": "Failed", "status": "True",
                                                           "reason": "BackoffLimitExceeded"}]})

    def _deployment_status(self, replicas):
        if self.deployment_rollout == ROLLOUT_AVAILABLE:
            return {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                    "readyReplicas": replicas, "availableReplicas": replicas,
                    "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                   {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}
        if self.deployment_rollout == ROLLOUT_DEADLINE_EXCEEDED:
            return {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                    "unavailableReplicas": replicas,
                    "conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
                                   {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                    "message": "ReplicaSet has timed out progressing."}]}
        return None

    # --- reads: selectors and logs ------------------------------------------------------------

    async def _serve_list(self, request):
        listing = await super()._serve_list(request)
        labels = request.params.get("labelSelector")
        fields = request.params.get("fieldSelector")
        items = [item for item in listing["items"]
                 if label_selector_matches(labels, item.get("metadata", {}).get("labels"))
                 and field_selector_matches(fields, item)]
        # kmock leaves out the list's kind and apiVersion, which the kubernetes client reads.
        info = self.resources[request.resource]
        group_version = "/".join(p for p in (request.resource.group, request.resource.version) if p)
        return dict(listing, kind="%sList" % (info.kind or request.resource.plural.capitalize()),
                    apiVersion=group_version, items=items)

    def _serve_token_request(self, request):
        if str(request.method.value).upper() != "POST":  # kmock classifies a POST to a named object as no CREATE
            return _status(405, "MethodNotAllowed", "the token subresource only takes POST")
        if self._stored(self._key(request)) is None:
            return _status(404, "NotFound", 'serviceaccounts "%s" not found' % request.name)
        spec = dict((request.data or {}).get("spec") or {})
        seconds = int(spec.get("expirationSeconds") or 3600)
        if seconds < 600:
            return _status(422, "Invalid", "TokenRequest.authentication.k8s.io \"%s\" is invalid: spec.expirationSeconds: "
                           "Invalid value: %d: may not specify a duration less than 10 minutes" % (request.name, seconds))
        asked = spec.get("audiences") or ()
        spec.update(expirationSeconds=seconds, audiences=list(asked) or ["https://kubernetes.default.svc"])
        return aiohttp.web.json_response({
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "metadata": {"name": request.name, "namespace": request.namespace}, "spec": spec,
            "status": {"token": service_account_token(request.namespace, request.name, asked, seconds),
                       "expirationTimestamp": "2099-01-01T00:00:00Z"}}, status=201)

    def _serve_pod_log(self, request):
        previous = str(request.params.get("previous", "")).lower() == "true"
        text = self.pod_logs.get((request.namespace, request.name, previous, request.params.get("container")),
                                 self.pod_logs.get((request.namespace, request.name, previous)))
        if text is None:
            what = "previous terminated container" if previous else "container"
            return _status(400, "BadRequest", '%s "vllm" in pod "%s" is waiting to start: trying and failing to pull image'
                           % (what, request.name) if not previous else
                           '%s "vllm" in pod "%s" not found' % (what, request.name))
        return aiohttp.web.Response(text=text, content_type="text/plain")


class RunningEmulator:
    """A ``ClusterEmulator`` served on 127.0.0.1 from a background thread, plus a small HTTP client.

    Tests and the molecule scenario talk to it only over HTTP, as kubectl would: seeding Pods and
    Events, reading objects back. Nothing reaches into its memory from another thread.
    """

    def __init__(self, port=0, emulator_class=None, tls=None, **options):
        # emulator_class: a ClusterEmulator subclass of a test that needs more; tls: a function returning
        # (server SSLContext, CA file) to serve HTTPS instead of HTTP (both: tests/emulator/oauth_standin.py)
        self.emulator = (emulator_class or ClusterEmulator)(**options)
        self._tls = tls() if tls else None
        self.ca_file = self._tls[1] if self._tls else None
        self._requested_port = port or None
        self._ready = threading.Event()
        self._stop = None
        self._loop = None
        self._error = None
        self.port = None
        self._thread = threading.Thread(target=self._run, name="kube-emulator", daemon=True)

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self._tls else "http", self.port)

    def start(self):
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the Kubernetes emulator did not start within 30 s")
        if self._error:
            raise self._error
        return self

    def stop(self):
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _run(self):
        try:
            asyncio.run(self._serve())
        except Exception as exc:  # surfaced to start() instead of dying silently in the thread
            self._error = exc
            self._ready.set()

    async def _serve(self):
        # A plain aiohttp server rather than kmock.Server: that one also patches aiohttp's DNS resolution
        # process-wide, which emulators started and stopped in parallel threads would undo for each other.
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._requested_port or 0))
        self.port = sock.getsockname()[1]
        async with self.emulator:
            runner = aiohttp.web.ServerRunner(aiohttp.web.Server(self.emulator), handle_signals=False)
            await runner.setup()
            try:
                await aiohttp.web.SockSite(runner, sock, ssl_context=self._tls[0] if self._tls else None).start()
                self._ready.set()
                await self._stop.wait()
            finally:
                await runner.cleanup()

    def set_options(self, **options):
        """Change emulated controller behaviour (deployment_rollout, job_succeeds, ...) between runs."""
        async def apply():
            for key, value in options.items():
                setattr(self.emulator, key, value)
        asyncio.run_coroutine_threadsafe(apply(), self._loop).result(10)

    def writes(self):
        async def read():
            return list(self.emulator.writes)
        return asyncio.run_coroutine_threadsafe(read(), self._loop).result(10)

    def seen(self):
        """Every request so far as (method, path), in order."""
        async def read():
            return list(self.emulator.seen)
        return asyncio.run_coroutine_threadsafe(read(), self._loop).result(10)

    def kubeconfig(self):
        return {
            "apiVersion": "v1", "kind": "Config", "current-context": "emulator",
            "clusters": [{"name": "emulator", "cluster": dict({"server": self.url},
                                                              **({"certificate-authority": self.ca_file} if self.ca_file else {}))}],
            "users": [{"name": "tester", "user": {"token": "emulator-token"}}],
            "contexts": [{"name": "emulator", "context": {"cluster": "emulator", "user": "tester",
                                                          "namespace": "default"}}],
        }

    # --- the HTTP client the tests use ----------------------------------------------------------

    def _open(self, req):
        context = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None
        return urllib.request.urlopen(req, timeout=30, context=context)

    def request(self, method, path, body=None, content_type="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": content_type, "Accept": "application/json"})
        try:
            with self._open(req) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def read_text(self, path):
        req = urllib.request.Request(self.url + path)
        try:
            with self._open(req) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def get(self, path):
        status, body = self.request("GET", path)
        return body if status == 200 else None

    def list(self, path, label_selector=None):
        if label_selector:
            path += "?" + urllib.parse.urlencode({"labelSelector": label_selector})
        status, body = self.request("GET", path)
        if status != 200:
            raise AssertionError("listing %s answered %s: %s" % (path, status, body))
        return body["items"]

    def create(self, path, obj):
        status, body = self.request("POST", path, obj)
        if status not in (200, 201):
            raise AssertionError("creating at %s answered %s: %s" % (path, status, body))
        return body

    def patch(self, path, patch):
        status, body = self.request("PATCH", path, patch, "application/merge-patch+json")
        if status != 200:
            raise AssertionError("patching %s answered %s: %s" % (path, status, body))
        return body

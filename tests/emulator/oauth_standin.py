# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for OpenShift's OAuth server in front of the emulated API, for the login tests.

It answers the requests ``community.okd.openshift_auth`` makes, as read from that module (not from
OpenShift's code): ``GET /.well-known/oauth-authorization-server`` (where to authorize and get tokens),
``GET /oauth/authorize`` of the client ``openshift-challenging-client`` with HTTP basic credentials and an
``X-CSRF-Token`` header (a 302 whose Location carries a code), ``POST /oauth/token`` (the code for a
``sha256~`` access token) and, to log out, ``DELETE /apis/oauth.openshift.io/v1/useroauthaccesstokens/<name>``
where the name is derived from the token. API requests that carry a bearer token it did not issue, or one it
revoked, get 401 (the kubeconfig's token stands for an expired one), and so do requests without credentials,
except the test's own reads (urllib's User-Agent). ``GET /_standin/oauth`` shows the tokens and which credential each API request carried.

What it cannot prove: that OpenShift's real OAuth server answers like this (identity providers, PKCE rules,
token lifetimes, scopes, RBAC of the logged-in user). It proves the wiring: the login runs, its token reaches
every kubernetes.core task, the password never shows, the token is revoked at the end.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import secrets
import ssl
import tempfile
import urllib.parse
from pathlib import Path

import aiohttp.web
import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kube_emulator import ClusterEmulator, _status

USERNAME = "developer"
PASSWORD = "emulator-login-Pa55word"
CLIENT = "openshift-challenging-client"
TOKENS_PATH = "/apis/oauth.openshift.io/v1/useroauthaccesstokens/"


def token_object_name(token):
    """The name of the OAuthAccessToken object of a ``sha256~`` token (sha256 of its content, base64url)."""
    content = token[len("sha256~"):] if token.startswith("sha256~") else token
    digest = base64.urlsafe_b64encode(hashlib.sha256(content.encode()).digest()).rstrip(b"=").decode()
    return "sha256~" + digest


def private_ca_tls():
    """Serve HTTPS with a certificate for 127.0.0.1 from a fresh private CA: ``(server SSLContext, CA file)``.

    The login tests verify certificates, as the playbooks do by default, against this CA (K8S_AUTH_SSL_CA_CERT).
    """
    folder = Path(tempfile.mkdtemp(prefix="emulator-tls-"))
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "emulator test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    return context, str(folder / "ca.pem")


def _basic(header):
    if not (header or "").startswith("Basic "):
        return None, None
    user, _sep, password = base64.b64decode(header[6:]).decode("utf-8", "replace").partition(":")
    return user, password


@attrs.define(kw_only=True)
class OAuthClusterEmulator(ClusterEmulator):
    """ClusterEmulator behind an OAuth stand-in that issues, checks and revokes bearer tokens."""

    users: dict = attrs.field(factory=lambda: {USERNAME: PASSWORD})
    codes: dict = attrs.field(factory=dict)
    # token -> {"user", "revoked", "number"}; the number names it in the log without showing it
    tokens: dict = attrs.field(factory=dict)
    oauth_log: list = attrs.field(factory=list)
    api_log: list = attrs.field(factory=list)

    async def __call__(self, raw_request):
        path, method = raw_request.path, raw_request.method.upper()
        base = "%s://%s" % (raw_request.scheme, raw_request.host)
        if path == "/.well-known/oauth-authorization-server":
            self.oauth_log.append("discover")
            return aiohttp.web.json_response({"issuer": base, "authorization_endpoint": base + "/oauth/authorize",
                                              "token_endpoint": base + "/oauth/token",
                                              "code_challenge_methods_supported": ["plain", "S256"]})
        if path == "/oauth/authorize":
            return self._authorize(raw_request, base)
        if path == "/oauth/token" and method == "POST":
            return self._token(await raw_request.post(), raw_request.headers)
        if path.startswith(TOKENS_PATH) and method == "DELETE":
            return self._revoke(path[len(TOKENS_PATH):], raw_request.headers.get("Authorization", ""))
        if path == "/_standin/oauth":
            return aiohttp.web.json_response({
                "oauth": self.oauth_log, "api": self.api_log,
                "tokens": [{"number": t["number"], "user": t["user"], "revoked": t["revoked"]} for t in self.tokens.values()]})
        header = raw_request.headers.get("Authorization")
        if header is None and raw_request.headers.get("User-Agent", "").startswith("Python-urllib/"):
            self.api_log.append([method, path, "test"])  # the test's own reads (RunningEmulator.request)
        elif header is None:
            self.api_log.append([method, path, "anonymous"])
            return _status(401, "Unauthorized", "Unauthorized")
        else:
            issued = self.tokens.get(header[len("Bearer "):]) if header.startswith("Bearer ") else None
            if issued is None or issued["revoked"]:
                self.api_log.append([method, path, "refused"])
                return _status(401, "Unauthorized", "Unauthorized")
            self.api_log.append([method, path, "token-%d" % issued["number"]])
        return await super().__call__(raw_request)

    def _authorize(self, raw_request, base):
        query = raw_request.query
        user, password = _basic(raw_request.headers.get("Authorization"))
        if query.get("client_id") != CLIENT or query.get("response_type") != "code":
            self.oauth_log.append("authorize: bad client")
            return _status(400, "BadRequest", "unsupported client or response type")
        if not raw_request.headers.get("X-CSRF-Token"):
            self.oauth_log.append("authorize: no CSRF header")
            return _status(400, "BadRequest", "a challenging client must send X-CSRF-Token")
        if user is None or self.users.get(user) != password:
            self.oauth_log.append("authorize: refused %s" % user)
            return aiohttp.web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="openshift"'})
        code = secrets.token_urlsafe(16)
        self.codes[code] = user
        self.oauth_log.append("authorize: %s" % user)
        location = "%s/oauth/token/implicit?%s" % (base, urllib.parse.urlencode({"code": code, "state": query.get("state", "")}))
        return aiohttp.web.Response(status=302, headers={"Location": location})

    def _token(self, form, headers):
        client, _secret = _basic(headers.get("Authorization"))
        user = self.codes.pop(form.get("code"), None)
        if client != CLIENT or form.get("grant_type") != "authorization_code" or user is None:
            self.oauth_log.append("token: refused")
            return aiohttp.web.json_response({"error": "invalid_grant"}, status=400)
        token = "sha256~" + secrets.token_urlsafe(32)
        self.tokens[token] = {"user": user, "revoked": False, "number": len(self.tokens) + 1}
        self.oauth_log.append("token: %d" % self.tokens[token]["number"])
        return aiohttp.web.json_response({"access_token": token, "token_type": "Bearer", "expires_in": 86400})

    def _revoke(self, name, header):
        token = header[len("Bearer "):] if header.startswith("Bearer ") else ""
        issued = self.tokens.get(token)
        if issued is None or issued["revoked"] or token_object_name(token) != name:
            self.oauth_log.append("revoke: refused")
            return _status(404 if issued else 401, "NotFound" if issued else "Unauthorized", "no such token")
        issued["revoked"] = True
        self.oauth_log.append("revoke: %d" % issued["number"])
        return aiohttp.web.json_response({"kind": "Status", "apiVersion": "v1", "status": "Success"})

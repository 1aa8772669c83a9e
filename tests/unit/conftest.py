"""Shared fixtures for unit tests: a scripted HTTP server on 127.0.0.1 for client error paths, also over TLS with
certificates from private CAs made at run time (``private_ca``)."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class ScriptedServer:
    """Answers each request with the (status, body, delay) registered for its path; records requests."""

    def __init__(self, tls=None):
        """``tls``: ``(certificate file, key file)`` to answer over HTTPS."""
        self.routes = {}
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append({"method": self.command, "path": self.path,
                                        "headers": dict(self.headers),
                                        "json": json.loads(body) if body else None})
                status, payload, delay = server.routes.get(self.path, (404, {"error": {"message": "no route"}}, 0))
                if callable(payload):  # a callable answers with a body, or (status, body) to choose the status too
                    payload = payload(server.requests[-1]["json"])
                    if isinstance(payload, tuple):
                        status, payload = payload
                if delay:
                    threading.Event().wait(delay)
                data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
                data = data.encode() if isinstance(data, str) else data
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _answer
            do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def route(self, path, status=200, body=None, delay=0):
        self.routes[path] = (status, body if body is not None else {}, delay)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted_server():
    server = ScriptedServer()
    yield server
    server.close()


def _name(common_name):
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, issuer, public_key, signing_key, ca):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                        critical=False)
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture
def private_ca(tmp_path):
    """``private_ca(name)``: a new CA named ``name`` and a server certificate for 127.0.0.1 it signed, as files:
    ``{"ca": CA bundle, "tls": (certificate, key)}`` (for ``ScriptedServer(tls=...)``)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def make(name):
        ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca_cert = _certificate(_name(name + " CA"), _name(name + " CA"), ca_key.public_key(), ca_key, True)
        cert = _certificate(_name("127.0.0.1"), ca_cert.subject, key.public_key(), ca_key, False)
        files = {part: tmp_path / ("%s-%s.pem" % (name, part)) for part in ("ca", "cert", "key")}
        files["ca"].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        files["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        files["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
        return {"ca": str(files["ca"]), "tls": (str(files["cert"]), str(files["key"]))}
    return make


@pytest.fixture
def tls_server(private_ca):
    """``tls_server(ca_name)``: a ScriptedServer over HTTPS whose certificate the private CA ``ca_name`` signed;
    returns ``(server, CA bundle path)``."""
    servers = []

    def start(ca_name):
        pki = private_ca(ca_name)
        servers.append(ScriptedServer(tls=pki["tls"]))
        return servers[-1], pki["ca"]
    yield start
    for server in servers:
        server.close()


@pytest.fixture
def behind_two_cas(tls_server):
    """``behind_two_cas(serve)``: a candidate behind a "router" CA and a reference behind a "service" CA, each
    scripted by ``serve(server)``; returns ``(candidate, router CA, reference, service CA)``."""
    def start(serve):
        candidate, router_ca = tls_server("router")
        reference, service_ca = tls_server("service")
        serve(candidate)
        serve(reference)
        return candidate, router_ca, reference, service_ca
    return start


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server on 127.0.0.1 (s3_server.LocalS3), one per test module; each test takes a bucket of its own."""
    from s3_server import LocalS3  # moto and boto3 load only for the tests that use it
    server = LocalS3()
    yield server
    server.stop()

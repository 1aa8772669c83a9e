# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Caikit's model storage on S3, read through an OpenShift AI data connection, fetched to the controller.

- ``connection_settings`` / ``secret_settings``: the S3 settings of a data connection (its ``AWS_*`` values, or the
  Secret itself with base64 data); a key that is missing is an error naming the Secret and the fix.
- ``read_data_connection``: the Secret through kubernetes.core's dynamic client (the caller makes the client).
- ``s3_client``: a boto3 client for the settings (path-style addressing, as MinIO and OpenShift Data Foundation need).
- ``CaikitStorage``: the Caikit model folders (``<prefix>/<model id>/config.yml`` + its artifacts) under a prefix, and
  ``fetch``, which copies one into ``<dest>/<model id>`` keeping Caikit's layout. Idempotent: a file already there
  with the size and ETag of the manifest ``.s3-manifest.json`` (or, without one, the MD5 a single-part ETag is) is
  not downloaded again.
- ``fetch_models``: list, fetch and digest the weights (``weights.weights_digest``) of the models asked for.

Every failure is a ``StorageError`` with a one-line message naming the endpoint, bucket and key and what to do.
The secret key is never part of a message, a result or a ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import posixpath
import tempfile

from ansible_collections.vllm_pooling.migration.plugins.module_utils.constants import (
    DATA_CONNECTION_KEYS, DATA_CONNECTION_OPTIONAL_KEYS)
from ansible_collections.vllm_pooling.migration.plugins.module_utils.weights import (
    CAIKIT_MODULE_KINDS, WeightsError, weights_digest)

try:
    import boto3
    from botocore.config import Config
    from botocore import exceptions as botocore_errors
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - the module reports it with missing_required_lib
    boto3 = Config = botocore_errors = None
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = _exc

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core; guarded for the import sanity test
    yaml = None

MANIFEST = ".s3-manifest.json"
# How a data connection read from the process's environment (caikit_weights' data_connection_env) is named.
ENVIRONMENT_SOURCE = "in the environment"
CONFIG_FILE = "config.yml"
_CHUNK = 1024 * 1024
_CONFIG_LIMIT = 1024 * 1024  # a Caikit config.yml is a few hundred bytes


class StorageError(ValueError):
    """Storage that cannot be read; the message names the endpoint, bucket and key (never the secret) and the fix."""


class S3Settings(object):
    """Where and how to reach the bucket of a data connection. ``repr`` and ``public()`` leave the secret key out."""

    def __init__(self, endpoint, bucket, region, access_key, secret_key, source, ca_path=None, validate_certs=True):
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.access_key = access_key
        self.secret_key = secret_key
        self.source = source
        self.ca_path = ca_path
        self.validate_certs = validate_certs

    def public(self):
        """The settings that may be shown: endpoint, bucket, region and the data connection's name."""
        return {"endpoint": self.endpoint, "bucket": self.bucket, "region": self.region, "data_connection": self.source}

    def __repr__(self):
        return "S3Settings(%s)" % ", ".join("%s=%r" % item for item in sorted(self.public().items()))


def _endpoint_url(value):
    """A data connection's endpoint as a URL: ``minio.example:9000`` means HTTPS, as KServe's storage initializer reads it."""
    value = (value or "").strip().rstrip("/")
    if value and "://" not in value:
        value = "https://" + value
    return value


def parse_storage_uri(uri):
    """``(bucket, prefix)`` of ``s3://bucket/prefix``; other schemes are not S3 storage."""
    uri = (uri or "").strip()
    if not uri.startswith("s3://"):
        scheme = uri.split("://", 1)[0] if "://" in uri else "no scheme"
        raise StorageError("storage URI %r is not on S3 (%s): this module reads s3://<bucket>/<path>; a pvc:// or oci:// "
                           "model is not fetched from S3" % (uri, scheme))
    bucket, prefix = (uri[len("s3://"):].split("/", 1) + [""])[:2]
    if not bucket:
        raise StorageError("storage URI %r names no bucket: write it s3://<bucket>/<path>" % uri)
    return bucket, prefix.strip("/")


def storage_location(storage_uri=None, storage_path=None):
    """``(bucket, prefix)`` of a model storage: the bucket and prefix of ``s3://bucket/prefix``, else None (the data
    connection's bucket) and ``storage_path``."""
    if storage_uri:
        return parse_storage_uri(storage_uri)
    return None, (storage_path or "").strip("/")


def connection_settings(values, source, need_bucket=True, ca_path=None, validate_certs=True):
    """``S3Settings`` from a data connection's plain values (``AWS_ACCESS_KEY_ID``, ...).

    ``source`` names the data connection in messages (``namespace/name`` of its Secret, or ``data_connection``).
    ``need_bucket`` False when a storage URI names the bucket. A key that is missing or empty raises StorageError.
    """
    values = {key: ("" if value is None else str(value)).strip() for key, value in (values or {}).items()}
    wanted = [key for key in DATA_CONNECTION_KEYS if need_bucket or key != "AWS_S3_BUCKET"]
    missing = [key for key in wanted if not values.get(key)]
    if missing:
        if source == ENVIRONMENT_SOURCE:
            fix = ("the environment lacks them: add them to the data connection's Secret that the pod's secretKeyRef "
                   "names (oc edit secret, or edit the data connection in the OpenShift AI dashboard)")
        elif "/" in source:
            namespace, name = source.split("/", 1)
            fix = ("add them to the Secret (oc edit secret %s -n %s), or edit the data connection in the OpenShift AI "
                   "dashboard (Data connections) and fill in every field" % (name, namespace))
        else:
            fix = "give every one of %s in %s" % (", ".join(wanted), source)
        raise StorageError("data connection %s has no %s: %s" % (source, ", ".join(missing), fix))
    return S3Settings(endpoint=_endpoint_url(values["AWS_S3_ENDPOINT"]), bucket=values.get("AWS_S3_BUCKET") or None,
                      region=values.get(DATA_CONNECTION_OPTIONAL_KEYS[0]) or "us-east-1",
                      access_key=values["AWS_ACCESS_KEY_ID"], secret_key=values["AWS_SECRET_ACCESS_KEY"],
                      source=source, ca_path=ca_path, validate_certs=validate_certs)


def secret_values(secret, source):
    """The decoded ``data`` (and ``stringData``) of a Secret as plain strings."""
    secret = secret.to_dict() if hasattr(secret, "to_dict") else (secret or {})
    values = {}
    for key, encoded in (secret.get("data") or {}).items():
        try:
            values[key] = base64.b64decode(encoded or "", validate=True).decode("utf-8")
        except (binascii.Error, ValueError) as exc:
            raise StorageError("data connection Secret %s: the value of %s is not base64 text (%s): set it again with "
                               "oc edit secret or the dashboard" % (source, key, type(exc).__name__)) from exc
    values.update((secret.get("stringData") or {}))
    return values


def secret_settings(secret, source, need_bucket=True, ca_path=None, validate_certs=True):
    """``S3Settings`` of a data-connection Secret as the API returns it (base64 ``data``)."""
    return connection_settings(secret_values(secret, source), source, need_bucket, ca_path, validate_certs)


def split_secret_ref(ref):
    """``(namespace, name)`` of ``NAMESPACE/NAME``."""
    namespace, name = ((ref or "").strip().split("/", 1) + [""])[:2]
    if not namespace or not name or "/" in name:
        raise StorageError("data_connection_secret %r is not NAMESPACE/NAME: name the Secret of the data connection with "
                           "its namespace, for example rag-prod/aws-connection-models" % ref)
    return namespace, name


def read_data_connection(client, ref):
    """The Secret ``NAMESPACE/NAME`` through kubernetes.core's dynamic ``client``, as a dict."""
    namespace, name = split_secret_ref(ref)
    try:
        secret = client.resources.get(api_version="v1", kind="Secret").get(name=name, namespace=namespace)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # NotFound, Forbidden, unreachable
        status = getattr(exc, "status", None)
        if status == 404:
            raise StorageError("no Secret %s in namespace %s: name the data connection's Secret (oc get secrets -n %s "
                               "-l opendatahub.io/dashboard=true), as the InferenceService's storage.key does"
                               % (name, namespace, namespace)) from exc
        if status == 403:
            raise StorageError("the account may not get the Secret %s/%s: grant it get on secrets in %s, or pass the "
                               "values as data_connection" % (namespace, name, namespace)) from exc
        raise StorageError("could not read the Secret %s/%s (%s %s)" % (
            namespace, name, status or "", getattr(exc, "reason", "") or exc)) from exc
    return secret.to_dict() if hasattr(secret, "to_dict") else secret


def s3_client(settings, timeout=30.0):
    """A boto3 S3 client for ``settings``: path-style addressing, no retries beyond one (a wrong endpoint fails fast)."""
    verify = settings.ca_path if (settings.validate_certs and settings.ca_path) else bool(settings.validate_certs)
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"},
                    connect_timeout=timeout, read_timeout=timeout, signature_version="s3v4")
    return boto3.client("s3", endpoint_url=settings.endpoint or None, region_name=settings.region,
                        aws_access_key_id=settings.access_key, aws_secret_access_key=settings.secret_key,
                        verify=verify, config=config)


def _uri(bucket, key):
    return "s3://%s/%s" % (bucket, key)


def explain(exc, settings, bucket, key):
    """A StorageError with a one-line message for a botocore exception of a call on ``s3://bucket/key``."""
    where = "%s at %s" % (_uri(bucket, key), settings.endpoint or "AWS S3")
    source = "data connection %s" % settings.source
    if isinstance(exc, botocore_errors.SSLError):
        return StorageError("TLS to the S3 endpoint %s failed for %s (%s): give the CA bundle that signed its "
                            "certificate as s3_ca_path (on OpenShift the cluster's trusted CA bundle), or "
                            "s3_validate_certs=false for a test endpoint" % (settings.endpoint, where, _short(exc)))
    if isinstance(exc, (botocore_errors.EndpointConnectionError, botocore_errors.ConnectTimeoutError,
                        botocore_errors.ConnectionClosedError, botocore_errors.ReadTimeoutError)):
        return StorageError("cannot reach the S3 endpoint %s for %s (%s): check AWS_S3_ENDPOINT of the %s and that "
                            "the controller can reach it (proxy, VPN, or an oc port-forward to an in-cluster "
                            "endpoint)" % (settings.endpoint or "AWS S3", where, _short(exc), source))
    if isinstance(exc, botocore_errors.ClientError):
        error = exc.response.get("Error") or {}
        code = str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "")
        if code == "NoSuchBucket":
            return StorageError("bucket %s does not exist at %s: check AWS_S3_BUCKET of the %s (or the bucket of "
                                "storage_uri)" % (bucket, settings.endpoint or "AWS S3", source))
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"):
            return StorageError("the S3 endpoint %s rejected the keys of the %s (%s) for %s: set the right "
                                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the data connection"
                                % (settings.endpoint or "AWS S3", source, code, where))
        if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled"):
            return StorageError("access denied to %s with the keys of the %s: give that account s3:ListBucket on "
                                "bucket %s and s3:GetObject on its objects" % (where, source, bucket))
        if code in ("NoSuchKey", "404"):
            return StorageError("%s does not exist (it was listed a moment ago: the folder changed while it was "
                                "fetched); run again" % where)
        return StorageError("S3 error %s on %s: %s" % (code or "?", where, error.get("Message") or _short(exc)))
    if isinstance(exc, botocore_errors.BotoCoreError):
        return StorageError("S3 request for %s failed (%s): check the %s" % (where, _short(exc), source))
    return StorageError("reading %s failed (%s)" % (where, _short(exc)))


def _short(exc):
    text = " ".join(str(exc).split())
    return text if len(text) <= 240 else text[:237] + "..."


def _etag(value):
    return (value or "").strip('"')


def _md5_of(path):
    digest = hashlib.md5()  # nosec - an S3 ETag is an MD5; it checks a download, it is not a security control
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _single_part(etag):
    """Whether an ETag is the MD5 of the object (a single-part upload without SSE-KMS): 32 hex digits."""
    return len(etag) == 32 and all(c in "0123456789abcdef" for c in etag.lower())


def _relative(key, folder_key):
    """The path of ``key`` inside the model folder ``folder_key`` (``.../``), refusing keys that would leave it."""
    relative = key[len(folder_key):]
    parts = relative.split("/")
    if not relative or relative.startswith("/") or any(part in ("", ".", "..") for part in parts[:-1]) \
            or parts[-1] in ("", ".", ".."):
        return None
    return relative


class CaikitStorage(object):
    """The Caikit model folders of one bucket. ``client`` is a boto3 S3 client (or anything with its three calls)."""

    def __init__(self, client, settings, bucket=None):
        self.client = client
        self.settings = settings
        self.bucket = bucket or settings.bucket

    def _call(self, key, method, **kwargs):
        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # botocore's errors, translated
            if botocore_errors is None or not isinstance(exc, (botocore_errors.BotoCoreError,
                                                               botocore_errors.ClientError)):
                raise
            raise explain(exc, self.settings, self.bucket, key) from exc

    def objects(self, prefix):
        """``[{key, size, etag}]`` of every object under ``prefix`` (a folder: ``prefix/``)."""
        folder = (prefix.strip("/") + "/") if prefix.strip("/") else ""
        found, token = [], None
        while True:
            kwargs = {"Prefix": folder}
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call(folder, "list_objects_v2", **kwargs)
            found += [{"key": item["Key"], "size": int(item.get("Size") or 0), "etag": _etag(item.get("ETag"))}
                      for item in page.get("Contents") or [] if not item["Key"].endswith("/")]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return found

    def list_models(self, prefix):
        """``{model id: {"folder": key prefix ending in /, "objects": [...]}}``: every folder directly under ``prefix``
        that holds a ``config.yml`` (the folders the Caikit runtime loads from /mnt/models). A ``prefix`` that is
        itself a model folder is one model, named after its last part."""
        prefix = (prefix or "").strip("/")
        folder = prefix + "/" if prefix else ""
        objects = self.objects(prefix)
        where = _uri(self.bucket, folder)
        if not objects:
            raise StorageError("%s at %s holds no object: check the storage path (the InferenceService's storage.path "
                               "or storageUri) and the bucket %s" % (where, self.settings.endpoint or "AWS S3", self.bucket))
        models = {}
        if any(item["key"] == folder + CONFIG_FILE for item in objects) and prefix:
            models[posixpath.basename(prefix)] = {"folder": folder, "objects": objects}
            return models
        for item in objects:
            parts = item["key"][len(folder):].split("/")
            if len(parts) == 2 and parts[1] == CONFIG_FILE and parts[0] not in ("", ".", ".."):
                models[parts[0]] = {"folder": folder + parts[0] + "/", "objects": []}
        for item in objects:
            name = item["key"][len(folder):].split("/", 1)[0]
            if name in models:
                models[name]["objects"].append(item)
        if not models:
            tops = sorted({item["key"][len(folder):].split("/", 1)[0] for item in objects})
            raise StorageError("no Caikit model folder (a folder holding config.yml) under %s at %s; found %s: point the "
                               "storage path at the folder that holds the model folders (KServe mounts it at "
                               "/mnt/models), or bootstrap the models with caikit_nlp and upload the folders it saves"
                               % (where, self.settings.endpoint or "AWS S3", ", ".join(tops[:8]) +
                                  (" and %d more" % (len(tops) - 8) if len(tops) > 8 else "")))
        return models

    def read_config(self, model_id, model):
        """The parsed ``config.yml`` of a listed model, checked for a module and for objects under its artifacts."""
        key = model["folder"] + CONFIG_FILE
        body = self._call(key, "get_object", Key=key)["Body"]
        try:
            text = body.read(_CONFIG_LIMIT + 1)
        finally:
            body.close()
        where = _uri(self.bucket, key)
        if yaml is None:
            raise StorageError("reading %s needs PyYAML in the controller's Python" % where)
        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise StorageError("%s is not YAML (%s): bootstrap model %s again with caikit_nlp and upload its folder"
                               % (where, _short(exc), model_id)) from exc
        if not isinstance(config, dict) or not config.get("module_class"):
            raise StorageError("%s names no module_class: model %s is not a Caikit model folder made by caikit_nlp"
                               % (where, model_id))
        artifacts = str(config.get("artifacts_path") or "artifacts").strip("/")
        inside = model["folder"] + artifacts + "/"
        if not any(item["key"].startswith(inside) for item in model["objects"]):
            raise StorageError("%s names artifacts_path %s, but %s holds no object: upload the model's Hugging Face "
                               "files (config.json, tokenizer, model.safetensors) there, as caikit_nlp's bootstrap "
                               "saves them" % (where, artifacts, _uri(self.bucket, inside)))
        config["artifacts_path"] = artifacts
        return config

    def fetch(self, model_id, model, dest, check_mode=False):
        """Copy one listed model folder into ``dest/<model id>``; returns what was (or would be) downloaded."""
        config = self.read_config(model_id, model)
        target = os.path.join(dest, model_id)
        manifest_path = os.path.join(target, MANIFEST)
        old = _read_manifest(manifest_path)
        wanted, todo, kept = {}, [], 0
        for item in model["objects"]:
            relative = _relative(item["key"], model["folder"])
            if relative is None or relative == MANIFEST:
                raise StorageError("%s cannot be stored under %s (an empty, '.' or '..' part, or the manifest's name): "
                                   "rename the object" % (_uri(self.bucket, item["key"]), target))
            wanted[relative] = {"size": item["size"], "etag": item["etag"]}
            if _present(os.path.join(target, *relative.split("/")), item, old.get(relative)):
                kept += 1
            else:
                todo.append((relative, item))
        stale = sorted(name for name in old if name not in wanted and
                       os.path.isfile(os.path.join(target, *name.split("/"))))
        size = sum(item["size"] for relative, item in todo)
        if not check_mode:
            for relative, item in todo:
                self._download(item, os.path.join(target, *relative.split("/")))
            for name in stale:
                os.remove(os.path.join(target, *name.split("/")))
            if todo or stale or old != wanted or not os.path.isfile(manifest_path):
                _write_manifest(manifest_path, wanted, self._source(model))
        module = str(config.get("module_class") or "").rsplit(".", 1)[-1]
        return {"model_id": model_id, "path": target, "artifacts": os.path.join(target, config["artifacts_path"]),
                "module_class": config.get("module_class"), "kind": CAIKIT_MODULE_KINDS.get(module),
                "caikit_nlp_version": config.get("caikit_nlp_version"),
                "downloaded": [relative for relative, item in todo], "bytes": size, "unchanged": kept, "removed": stale,
                "changed": bool(todo or stale), "source": self._source(model)}

    def _source(self, model):
        return {"endpoint": self.settings.endpoint or None, "bucket": self.bucket, "prefix": model["folder"],
                "uri": _uri(self.bucket, model["folder"]), "data_connection": self.settings.source}

    def _download(self, item, path):
        """Stream one object to ``path`` (through a temporary file in the same folder), checking size and MD5."""
        folder = os.path.dirname(path)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise StorageError("cannot create %s (%s): choose a dest the controller's user may write"
                               % (folder, exc.strerror or exc)) from exc
        answer = self._call(item["key"], "get_object", Key=item["key"])
        body, digest, written = answer["Body"], hashlib.md5(), 0  # nosec - the ETag check, not security
        handle, temporary = tempfile.mkstemp(prefix=".part-", dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                for block in iter(lambda: body.read(_CHUNK), b""):
                    out.write(block)
                    digest.update(block)
                    written += len(block)
            etag = _etag(answer.get("ETag")) or item["etag"]
            if written != item["size"] or (_single_part(etag) and digest.hexdigest() != etag.lower()):
                raise StorageError("%s arrived damaged (%d of %d bytes, MD5 %s, ETag %s): run again; if it repeats, "
                                   "upload the object again" % (_uri(self.bucket, item["key"]), written, item["size"],
                                                                digest.hexdigest(), etag))
            os.replace(temporary, path)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # a read that breaks off, a full disk
            if os.path.exists(temporary):
                os.remove(temporary)
            if isinstance(exc, StorageError):
                raise
            if botocore_errors is not None and isinstance(exc, botocore_errors.BotoCoreError):
                raise explain(exc, self.settings, self.bucket, item["key"]) from exc
            raise StorageError("fetching %s into %s broke off (%s): run again (what is complete is kept)"
                               % (_uri(self.bucket, item["key"]), folder, _short(exc))) from exc
        finally:
            body.close()


def _present(path, item, recorded):
    """Whether ``path`` already holds the object: size equal and the manifest's ETag equal (or, without a manifest
    entry, its MD5 equal to a single-part ETag)."""
    try:
        if os.path.getsize(path) != item["size"]:
            return False
    except OSError:
        return False
    if recorded:
        return recorded.get("etag") == item["etag"] and recorded.get("size") == item["size"]
    return _single_part(item["etag"]) and _md5_of(path) == item["etag"].lower()


def _read_manifest(path):
    try:
        with open(path, encoding="utf-8") as handle:
            objects = json.load(handle).get("objects")
    except (OSError, ValueError, AttributeError):
        return {}
    return objects if isinstance(objects, dict) else {}


def _write_manifest(path, objects, source):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({"source": source, "objects": objects}, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(temporary, path)


def fetch_models(storage, prefix, dest, models=None, check_mode=False):
    """List the model folders under ``prefix``, fetch those named in ``models`` (all when empty) into ``dest`` and
    digest their weights. Returns ``{"found": [ids], "models": [per model], "changed": bool}``.

    In check mode nothing is written; a model already complete on disk still gets its digest.
    """
    listed = storage.list_models(prefix)
    wanted = list(dict.fromkeys(models or sorted(listed)))
    unknown = [model_id for model_id in wanted if model_id not in listed]
    if unknown:
        raise StorageError("no model folder %s under %s (found %s): name models by their folder, the model id Caikit "
                           "serves" % (", ".join(unknown), _uri(storage.bucket, (prefix or "").strip("/") + "/"),
                                       ", ".join(sorted(listed))))
    results = []
    for model_id in wanted:
        result = storage.fetch(model_id, listed[model_id], dest, check_mode)
        result.update(digest=None, tensors=None, weights_problem=None)
        if check_mode and result["downloaded"]:
            result["weights_problem"] = "not digested in check mode: %d file(s) would be fetched" % len(result["downloaded"])
        else:
            try:
                record = weights_digest(result["path"])
                result.update(digest=record["digest"], tensors=record["tensors"])
            except WeightsError as exc:
                result["weights_problem"] = str(exc)
        results.append(result)
    return {"found": sorted(listed), "models": results, "changed": any(r["changed"] for r in results)}


def inference_service_storage(storage, namespace, read_secret, ca_path=None, validate_certs=True):
    """``(settings, bucket, prefix)`` of an InferenceService's model storage (``kserve.describe_inference_service``'s
    ``storage``): S3 through the data connection its ``storage.key`` names, read with ``read_secret(namespace, name)``
    (a Secret dict). Storage elsewhere, or a ``storageUri`` without a data connection (KServe then takes the keys
    from the predictor's ServiceAccount), raises StorageError saying how to fetch it instead."""
    where = storage.get("where") or "no storage"
    if storage.get("scheme") != "s3":
        raise StorageError("its storage (%s) is not on S3 through a data connection: fetch the model folders another way "
                           "and set the reference's weights_path" % where)
    if not storage.get("data_connection"):
        raise StorageError("its storageUri %s names no data connection (storage.key): KServe reads those keys through the "
                           "predictor's ServiceAccount, which this does not follow; fetch with the module caikit_weights "
                           "and data_connection, then set the reference's weights_path" % storage.get("uri"))
    bucket, prefix = storage_location(storage.get("uri"), storage.get("path"))
    secret = read_secret(namespace, storage["data_connection"])
    settings = secret_settings(secret, "%s/%s" % (namespace, storage["data_connection"]), bucket is None, ca_path,
                               validate_certs)
    return settings, bucket or settings.bucket, prefix


def fetch_discovered(result, read_secret, dest, check_mode=False, ca_path=None, validate_certs=True, timeout=30.0,
                     make_client=None):
    """Fetch, for a ``kserve.discover`` result, the Caikit model folders of every proposed reference from its
    InferenceService's storage into ``dest/<namespace>/<name>/<model id>``.

    Returns ``{"namespace/name": {"models": {model id: fetch result}, "problem": None or why not, "changed": bool}}``
    for ``kserve.add_fetched_weights``. A service whose storage cannot be read gets its problem, not an exception:
    the other services are still fetched. ``make_client(settings)`` makes the S3 client (boto3's by default).
    """
    make_client = make_client or (lambda settings: s3_client(settings, timeout))
    wanted = {}
    for reference in result["proposal"]["references"].values():
        wanted.setdefault(reference.get("discovered_from"), set()).add(reference["model"])
    fetched = {}
    for service in result["services"]:
        ref = "%s/%s" % (service["namespace"], service["name"])
        if ref not in wanted:
            continue
        try:
            settings, bucket, prefix = inference_service_storage(service["storage"], service["namespace"], read_secret,
                                                                 ca_path, validate_certs)
            storage = CaikitStorage(make_client(settings), settings, bucket)
            outcome = fetch_models(storage, prefix, os.path.join(dest, service["namespace"], service["name"]),
                                   sorted(wanted[ref]), check_mode)
            fetched[ref] = {"models": {model["model_id"]: model for model in outcome["models"]}, "problem": None,
                            "changed": outcome["changed"]}
        except StorageError as exc:
            fetched[ref] = {"models": {}, "problem": str(exc), "changed": False}
    return fetched

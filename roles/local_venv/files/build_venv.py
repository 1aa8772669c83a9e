# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Build one cached virtual environment from pinned requirement files, with uv when it can, else pip.

Used by scripts/ensure-venv (before any venv exists, so standard library only) and by the role
local_venv. The caller chooses the venv's path (its name carries the hash of the requirement files);
this script only fills it. ``<venv>/.complete`` says the packages are installed; ``<venv>/.ready``, written
last, says they are also compiled to bytecode, and is what callers look for: a venv without it is unfinished.

Why compile: where PYTHONDONTWRITEBYTECODE is set (as in many CI images and containers) or the venv is not
writable, Python compiles every module from source at every start. vLLM imports torch and transformers in its
API server and again in each spawned engine process: measured on two cores, a MiniLM server took 116 s to
become ready without bytecode and 58 s with it. A venv finished before this step is compiled in place.

uv (from PyPI, pinned to UV_VERSION) is installed once into ``<venvs dir>/uv-<version>``. uv does not
read pip's configuration, so pip's index-url, extra-index-url, find-links (this is how a local
``torch==2.13.0+cpu`` wheel is found) and cert are passed to it through UV_* variables, with pip's
index strategy (the best version over all indexes). If uv cannot be installed or its install fails,
pip builds the venv instead.

Environment: VLLM_MIGRATION_INSTALLER=auto|uv|pip (default auto), VLLM_MIGRATION_UV_VERSION.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import glob
import json
import os
import shutil
import subprocess
import sys
import time

UV_VERSION = "0.13.9"
MARKER = ".complete"  # packages installed
READY = ".ready"  # and compiled to bytecode: the venv is finished
# pip configuration keys and the uv variables that mean the same.
PIP_TO_UV = {
    "index-url": "UV_DEFAULT_INDEX",
    "extra-index-url": "UV_EXTRA_INDEX_URL",
    "find-links": "UV_FIND_LINKS",
    "cert": "SSL_CERT_FILE",
}
SINGLE_VALUED = ("UV_DEFAULT_INDEX", "SSL_CERT_FILE")
SEPARATOR = {"UV_FIND_LINKS": ","}  # uv splits UV_FIND_LINKS on commas, UV_EXTRA_INDEX_URL on spaces
# pip's notes about configured index folders that lack a package: noise, not errors.
PIP_NOISE = ("WARNING: Location ",)


def log(message):
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive lock on <path>.lock: two runs never build the same venv at once."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".lock", "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def parse_pip_config(text):
    """`pip config list` lines (``global.find-links='/opt/wheels'``) -> {key: [values]}.

    Environment variables (listed as ``:env:.key``) override configuration files, as in pip;
    multi-valued settings are whitespace separated."""
    settings = {}
    lines = [line for line in text.splitlines() if not line.startswith(":env:")]
    for line in lines + [line for line in text.splitlines() if line.startswith(":env:")]:
        name, sep, value = line.partition("=")
        if not sep or "." not in name:
            continue
        settings[name.rsplit(".", 1)[1]] = value.strip().strip("'\"").split()
    return settings


def pip_settings(python):
    """pip's effective settings for the interpreter the venv is made from ({} if pip cannot say)."""
    try:
        result = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True,
                                timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return {}
    return parse_pip_config(result.stdout) if result.returncode == 0 else {}


def uv_environment(pip_config, extra_index_url="", environ=None):
    """The environment for `uv pip install` that makes uv find what pip would find.

    Variables the user set (UV_*, SSL_CERT_FILE) win over pip's configuration."""
    environ = dict(os.environ if environ is None else environ)
    for key, variable in PIP_TO_UV.items():
        values = pip_config.get(key, [])
        if variable == "UV_EXTRA_INDEX_URL" and extra_index_url:
            values = values + [extra_index_url]
        if values and not environ.get(variable):
            environ[variable] = values[0] if variable in SINGLE_VALUED else SEPARATOR.get(variable, " ").join(values)
    timeout = pip_config.get("timeout") or pip_config.get("default-timeout")  # file key / PIP_DEFAULT_TIMEOUT
    if timeout and not environ.get("UV_HTTP_TIMEOUT"):
        environ["UV_HTTP_TIMEOUT"] = timeout[0]
    # pip takes the best version over every index; uv's default takes the first index that has the
    # package, which would tie e.g. numpy to PyTorch's index. Our pins make pip's rule safe.
    environ.setdefault("UV_INDEX_STRATEGY", "unsafe-best-match")
    return environ


def run(argv, env=None):
    """Run a command, keep its output off stdout (stdout carries our JSON), drop pip's noise."""
    process = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    for line in process.stdout.splitlines():
        if not line.startswith(PIP_NOISE):
            log(line)
    return process.returncode == 0


def ensure_uv(python, venvs_dir, version):
    """Path of a uv binary of the pinned version, installed from PyPI the first time; None if impossible."""
    home = os.path.join(venvs_dir, "uv-" + version)
    uv = os.path.join(home, "bin", "uv")
    with locked(home):
        if os.path.exists(os.path.join(home, MARKER)):
            return uv
        log("Installing uv %s into %s (once)" % (version, home))
        shutil.rmtree(home, ignore_errors=True)
        if run([python, "-m", "venv", home]) and run([os.path.join(home, "bin", "pip"), "install", "--quiet",
                                                      "uv==" + version]):
            with open(os.path.join(home, MARKER), "w", encoding="utf-8") as handle:
                handle.write("uv==%s\n" % version)
            return uv
        shutil.rmtree(home, ignore_errors=True)
        log("uv %s could not be installed; building with pip instead" % version)
        return None


def install_with_uv(uv, venv, args):
    env = uv_environment(pip_settings(args.python), args.extra_index_url)
    target = ["--python", os.path.join(venv, "bin", "python")]
    ok = run([uv, "pip", "install", "--quiet"] + target + ["-r", args.requirements], env)
    if ok and args.nodeps_requirements:
        ok = run([uv, "pip", "install", "--quiet", "--no-deps"] + target + ["-r", args.nodeps_requirements], env)
    if ok and args.remove:
        ok = run([uv, "pip", "uninstall"] + target + args.remove, env)
    return ok


def install_with_pip(venv, args):
    pip = [os.path.join(venv, "bin", "python"), "-m", "pip"]
    index = ["--extra-index-url", args.extra_index_url] if args.extra_index_url else []
    ok = run(pip + ["install", "--quiet"] + index + ["-r", args.requirements])
    if ok and args.nodeps_requirements:
        ok = run(pip + ["install", "--quiet", "--no-deps"] + index + ["-r", args.nodeps_requirements])
    if ok and args.remove:
        ok = run(pip + ["uninstall", "--yes", "--quiet"] + args.remove)
    return ok


def install(args, venv):
    """Create the venv and install the requirements (uv, else pip); returns the installer's name."""
    choice = os.environ.get("VLLM_MIGRATION_INSTALLER", "auto")
    if choice not in ("auto", "uv", "pip"):
        raise SystemExit("VLLM_MIGRATION_INSTALLER must be auto, uv or pip, not %r" % choice)
    uv = None
    if choice != "pip":
        uv = ensure_uv(args.python, os.path.dirname(venv), os.environ.get("VLLM_MIGRATION_UV_VERSION", UV_VERSION))
        if uv is None and choice == "uv":
            raise SystemExit("VLLM_MIGRATION_INSTALLER=uv but uv could not be installed (see above)")
    installers = [("uv", lambda: install_with_uv(uv, venv, args))] if uv else []
    if choice != "uv":
        installers.append(("pip", lambda: install_with_pip(venv, args)))
    for name, installs in installers:
        # A partial venv from an interrupted or failed build is ours to replace: we hold its lock.
        shutil.rmtree(venv, ignore_errors=True)
        log("Creating virtual environment %s from %s with %s (first run only)" % (venv, args.requirements, name))
        # uv installs into the venv from outside: no pip inside it (ensurepip costs seconds on a busy machine).
        if not run([args.python, "-m", "venv"] + (["--without-pip"] if name == "uv" else []) + [venv]):
            raise SystemExit("%s -m venv %s failed" % (args.python, venv))
        if installs():
            return name
        log("%s could not install %s" % (name, args.requirements))
    shutil.rmtree(venv, ignore_errors=True)
    raise SystemExit("could not build %s from %s (see the messages above)" % (venv, args.requirements))


def compile_bytecode(venv):
    """Compile every module of the venv's site-packages, on all cores. A file that does not compile (test data
    written for another Python, say) is left as source: Python reads it as before."""
    sources = glob.glob(os.path.join(venv, "lib", "python*", "site-packages"))
    log("Compiling %s to bytecode (first run only)" % venv)
    if not run([os.path.join(venv, "bin", "python"), "-m", "compileall", "-q", "-j", "0"] + sources):
        log("some files of %s did not compile to bytecode; Python compiles them when it imports them" % venv)


def build(args):
    """Fill args.venv unless it is finished; returns a summary dict (changed, installer, seconds)."""
    venv = os.path.abspath(args.venv)
    with locked(venv):
        if os.path.exists(os.path.join(venv, READY)):
            return {"changed": False, "venv": venv, "installer": None, "seconds": 0}
        started = time.monotonic()
        installer = None
        if not os.path.exists(os.path.join(venv, MARKER)):
            installer = install(args, venv)
            with open(os.path.join(venv, MARKER), "w", encoding="utf-8") as handle:
                handle.write("%s\ninstaller: %s\n" % (args.requirements, installer))
        compile_bytecode(venv)
        with open(os.path.join(venv, READY), "w", encoding="utf-8") as handle:
            handle.write("bytecode compiled\n")
        return {"changed": True, "venv": venv, "installer": installer, "seconds": round(time.monotonic() - started, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", required=True, help="venv directory (its name carries the requirements' hash)")
    parser.add_argument("--python", default=sys.executable, help="interpreter the venv is made from")
    parser.add_argument("--requirements", required=True, help="requirement file, installed with dependencies")
    parser.add_argument("--nodeps-requirements", default="", help="requirement file installed afterwards with --no-deps")
    parser.add_argument("--remove", nargs="*", default=[], help="packages uninstalled after the install")
    parser.add_argument("--extra-index-url", default="", help="extra package index (PyTorch's CPU wheel index)")
    args = parser.parse_args(argv)
    print(json.dumps(build(args)))


if __name__ == "__main__":
    main()

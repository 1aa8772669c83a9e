# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The collection on the oldest and the newest ansible-core that meta/runtime.yml claims, as a user installs
it: ansible-core alone (no `ansible` package) in a venv of its own (requirements/ansible-core-*.txt, cached by
scripts/ensure-venv), the collections of collections/requirements.yml, then the collection's tarball, all
without Galaxy (unreachable here): each dependency is a tarball made from the copy the PyPI `ansible`
package of the test venv bundles. Then every FQCN playbook passes --syntax-check and
`vllm_pooling.migration.migrate --check` runs on the local platform from an empty folder with a fresh HOME."""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.compat.version import LooseVersion

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BUNDLED = Path(__import__("ansible_collections.kubernetes.core", fromlist=["x"]).__path__[0]).parents[1]
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
RUNTIME = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
REQUIREMENTS = yaml.safe_load((ROOT / "collections" / "requirements.yml").read_text())["collections"]
# (requirements file, Python): the newest ansible-core needs Python 3.12.
VERSIONS = {"oldest": ("requirements/ansible-core-oldest.txt", "3.11"),
            "newest": ("requirements/ansible-core-newest.txt", "3.12")}


def _pinned_core(requirements):
    return re.search(r"^ansible-core==(\S+)$", (ROOT / requirements).read_text(), re.M).group(1)


def _python(version):
    """An interpreter of that version that runs: on PATH, else pyenv's (a pyenv shim of a version that is not
    selected is on PATH but fails)."""
    candidates = [shutil.which("python" + version)] + sorted(glob.glob(os.path.expanduser(
        "~/.pyenv/versions/%s.*/bin/python%s" % (version, version))))
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


def _run(argv, cwd, env, timeout=600):
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    return proc


def _ok(proc):
    assert proc.returncode == 0, "%s failed (rc %d):\n%s\n%s" % (" ".join(map(str, proc.args)), proc.returncode,
                                                                 proc.stdout[-4000:], proc.stderr[-3000:])
    return proc.stdout


def _bundled_tarball(name, out):
    """A Galaxy tarball of the collection the `ansible` package bundles: its files, MANIFEST.json and a
    FILES.json of the files the package really ships (it leaves out a few, such as CI workflows)."""
    namespace, collection = name.split(".")
    source = BUNDLED / namespace / collection
    manifest = json.loads((source / "MANIFEST.json").read_text())
    listing = json.loads((source / "FILES.json").read_text())
    listing["files"] = [entry for entry in listing["files"] if entry["name"] == "." or (source / entry["name"]).exists()]
    files_json = json.dumps(listing).encode()
    manifest["file_manifest_file"]["chksum_sha256"] = hashlib.sha256(files_json).hexdigest()
    version = manifest["collection_info"]["version"]
    tarball = out / ("%s-%s-%s.tar.gz" % (namespace, collection, version))
    with tarfile.open(tarball, "w:gz") as archive:
        for member, data in (("MANIFEST.json", json.dumps(manifest).encode()), ("FILES.json", files_json)):
            info = tarfile.TarInfo(member)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
        for entry in listing["files"]:
            if entry["name"] != ".":
                archive.add(source / entry["name"], arcname=entry["name"], recursive=False)
    return tarball, version


def _satisfies(version, constraint):
    for part in str(constraint).split(","):
        operator, wanted = re.match(r"\s*(>=|<=|==|!=|>|<|)\s*(\S+)", part).groups()
        have, want = LooseVersion(version), LooseVersion(wanted)
        if not {">=": have >= want, "<=": have <= want, ">": have > want, "<": have < want, "!=": have != want,
                "==": have == want, "": have == want}[operator]:
            return False
    return True


def test_the_oldest_venv_pins_the_oldest_ansible_core_runtime_yml_claims():
    low = re.match(r">=\s*(\d+\.\d+)", RUNTIME["requires_ansible"]).group(1)
    assert _pinned_core(VERSIONS["oldest"][0]).startswith(low + "."), (RUNTIME["requires_ansible"], VERSIONS["oldest"])
    high = re.search(r"<\s*(\d+\.\d+)", RUNTIME["requires_ansible"])
    if high:  # a closed range: the newest venv is its last minor version
        newest = _pinned_core(VERSIONS["newest"][0])
        assert LooseVersion(newest) < LooseVersion(high.group(1)), (RUNTIME["requires_ansible"], newest)


@pytest.fixture(scope="module", params=sorted(VERSIONS))
def installed(request, tmp_path_factory):
    requirements, python_version = VERSIONS[request.param]
    python = _python(python_version)
    if python is None:
        pytest.skip("no Python %s for ansible-core %s" % (python_version, _pinned_core(requirements)))
    venv = _ok(_run([ROOT / "scripts" / "ensure-venv", "core-" + request.param, ROOT / requirements], ROOT,
                    dict(os.environ, VLLM_MIGRATION_PYTHON=python))).strip().splitlines()[-1]
    work = tmp_path_factory.mktemp("core-" + request.param)
    home, collections, empty = work / "home", work / "collections", work / "empty"
    for folder in (home, empty):
        folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "VLLM_MIGRATION_")) and k != "PYTHONPATH"}
    env.update(HOME=str(home), PATH="%s/bin:%s" % (venv, env["PATH"]), ANSIBLE_COLLECTIONS_PATH=str(collections),
               ANSIBLE_NOCOLOR="1", VLLM_MIGRATION_CACHE_DIR=str(work / "cache"))
    version = _ok(_run(["ansible", "--version"], empty, env)).splitlines()[0]
    assert _pinned_core(requirements) in version, version
    _ok(_run(["ansible-galaxy", "collection", "install", "--offline", "-r",
              _local_requirements(REQUIREMENTS, work, "requirements.yml"), "-p", collections], empty, env))
    _ok(_run(["ansible-galaxy", "collection", "build", ROOT, "--output-path", work / "build"], empty, env))
    (tarball,) = (work / "build").glob("*.tar.gz")
    _ok(_run(["ansible-galaxy", "collection", "install", "--offline", tarball, "-p", collections], empty, env))
    return {"env": env, "empty": empty, "work": work, "version": request.param, "tarball": tarball}


def _local_requirements(entries, work, name):
    """A requirements file naming, instead of each collection, a tarball of the bundled copy (which must
    satisfy the entry's version range)."""
    (work / "deps").mkdir(exist_ok=True)
    local = []
    for entry in entries:
        tarball, have = _bundled_tarball(entry["name"], work / "deps")
        wanted = entry.get("version", "*")
        assert _satisfies(have, ">=0" if wanted == "*" else wanted), "%s %s does not satisfy %s" % (entry["name"], have, wanted)
        local.append({"name": str(tarball), "type": "file"})
    path = work / name
    path.write_text(yaml.safe_dump({"collections": local}))
    return path


def _fqcn_playbooks():
    return ["%s.%s.%s" % (GALAXY["namespace"], GALAXY["name"], p.stem) for p in sorted((ROOT / "playbooks").glob("*.yml"))]


def test_every_fqcn_playbook_passes_syntax_check(installed):
    _ok(_run(["ansible-playbook", "--syntax-check"] + _fqcn_playbooks(), installed["empty"], installed["env"]))


def test_migrate_runs_in_check_mode(installed):
    work = installed["work"]
    proc = _run(["ansible-playbook", "%s.%s.migrate" % (GALAXY["namespace"], GALAXY["name"]), "--check",
                 "-e", "vllm_migration_state_dir=%s" % (work / "state"), "-e", "vllm_migration_report_dir=%s" % (work / "reports")],
                installed["empty"], installed["env"])
    _ok(proc)
    assert re.search(r"localhost\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0", proc.stdout), proc.stdout[-2000:]


# --- dependencies: galaxy.yml (what `ansible-galaxy collection install` pulls in) and collections/requirements.yml

def _used_collections():
    """Collections whose content the roles, playbooks and plugins name (awx/ is the controller's configuration,
    run with awx.awx from collections/requirements.yml)."""
    used = set()
    for folder in ("roles", "playbooks", "plugins"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".yml", ".yaml", ".py", ".j2") and path.is_file():
                used |= set(re.findall(r"\b(kubernetes\.core|community\.\w+|ansible\.posix|ansible\.netcommon|awx\.awx)\.\w+",
                                       path.read_text()))
    return used


def test_galaxy_yml_depends_on_every_collection_the_content_uses_with_upper_bounds():
    dependencies = GALAXY.get("dependencies") or {}
    assert _used_collections() <= set(dependencies), "used but not in galaxy.yml dependencies: %s" % sorted(
        _used_collections() - set(dependencies))
    for name, constraint in dependencies.items():
        assert re.search(r">=\s*\d", constraint) and re.search(r"<\s*\d", constraint), (
            "%s: give a lower and an upper bound (>=X,<Y), not %r" % (name, constraint))


def test_requirements_yml_has_the_galaxy_yml_dependencies_with_the_same_ranges():
    """AWX's project sync reads collections/requirements.yml; it must not allow what galaxy.yml does not."""
    listed = {entry["name"]: entry.get("version", "*") for entry in REQUIREMENTS}
    for name, constraint in (GALAXY.get("dependencies") or {}).items():
        assert listed.get(name) == constraint, (name, constraint, listed.get(name))


def test_the_tarball_with_only_its_galaxy_dependencies_runs_every_playbook(installed, tmp_path):
    """`ansible-galaxy collection install` brings exactly galaxy.yml's dependencies: they alone must do."""
    if installed["version"] != "newest":
        pytest.skip("once is enough: the syntax check does not depend on the version")
    dependencies = [{"name": name, "version": constraint} for name, constraint in GALAXY["dependencies"].items()]
    requirements = _local_requirements(dependencies, tmp_path, "galaxy-dependencies.yml")
    entries = yaml.safe_load(requirements.read_text())["collections"] + [{"name": str(installed["tarball"]), "type": "file"}]
    requirements.write_text(yaml.safe_dump({"collections": entries}))
    env = dict(installed["env"], ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"))
    _ok(_run(["ansible-galaxy", "collection", "install", "--offline", "-r", requirements, "-p", tmp_path / "collections"],
             installed["empty"], env))
    _ok(_run(["ansible-playbook", "--syntax-check"] + _fqcn_playbooks(), installed["empty"], env))

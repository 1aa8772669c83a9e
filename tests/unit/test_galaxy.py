# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The tarball as Galaxy sees it: galaxy-importer (Galaxy's own import check, from PyPI, in a cached venv made
by scripts/ensure-venv from requirements/galaxy-importer.txt), what the tarball ships, and the version
metadata (version_added, the changelog's release).

The collection has no public repository yet, and galaxy-importer requires galaxy.yml's `repository`: the
real tarball must fail on that alone; a copy with a placeholder URL written into its MANIFEST.json here
(never into galaxy.yml) must then import with no error. galaxy-importer's ansible-lint run is left to
`scripts/test lint` (production profile over the whole repository): it takes minutes and, offline, cannot
resolve the dependencies' modules."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.compat.version import LooseVersion

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
PLACEHOLDER_REPOSITORY = "https://example.invalid/test-only/vllm_pooling/migration"


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("galaxy")
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", str(ROOT), "--output-path", str(out)],
                   check=True, capture_output=True, timeout=300)
    (built,) = out.glob("*.tar.gz")
    return built


@pytest.fixture(scope="module")
def importer():
    proc = subprocess.run([str(ROOT / "scripts" / "ensure-venv"), "galaxy-importer",
                           str(ROOT / "requirements" / "galaxy-importer.txt")], capture_output=True, text=True, timeout=900,
                          check=True)
    return Path(proc.stdout.strip().splitlines()[-1])


def _import(importer, tarball, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH"}
    env.update(HOME=str(tmp_path), PATH="%s/bin:%s" % (importer, env["PATH"]), GALAXY_IMPORTER_RUN_ANSIBLE_LINT="false",
               GALAXY_IMPORTER_TMP_ROOT_DIR=str(tmp_path))
    return subprocess.run([str(importer / "bin" / "python"), "-m", "galaxy_importer.main", str(tarball)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600, check=False)


def _with_repository(tarball, out):
    """A copy of the tarball whose MANIFEST.json names a repository (FILES.json does not cover MANIFEST.json)."""
    copy = out / tarball.name
    with tarfile.open(tarball) as source, tarfile.open(copy, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            if member.name == "MANIFEST.json":
                manifest = json.load(data)
                manifest["collection_info"]["repository"] = PLACEHOLDER_REPOSITORY
                raw = json.dumps(manifest).encode()
                member.size, data = len(raw), io.BytesIO(raw)
            target.addfile(member, data)
    return copy


def test_galaxy_importer_refuses_the_tarball_only_for_the_missing_repository(importer, tarball, tmp_path):
    assert "repository" not in GALAXY, "galaxy.yml has a repository now: drop this test and the placeholder"
    proc = _import(importer, tarball, tmp_path)
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "ERROR" in line]
    assert proc.returncode != 0 and errors and all("'repository' is required" in line for line in errors), errors


def test_galaxy_importer_imports_the_tarball_once_it_has_a_repository(importer, tarball, tmp_path):
    proc = _import(importer, _with_repository(tarball, tmp_path), tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "ERROR" not in output, output[-4000:]
    assert "Importer processing completed successfully" in output


def _shipped(tarball):
    with tarfile.open(tarball) as archive:
        return {member.name for member in archive.getmembers()}


def test_the_tarball_ships_what_users_run_and_not_the_repositorys_tooling(tarball):
    shipped = _shipped(tarball)
    tooling = re.compile(r"^(tests|molecule|benchmarks|scripts|requirements)/|^(Makefile|ansible\.cfg|\.ansible-lint.*|\.gitignore)$")
    assert sorted(name for name in shipped if tooling.search(name)) == []
    roles = sorted(p.parent.parent.name for p in (ROOT / "roles").glob("*/meta/argument_specs.yml"))
    for role in roles:
        assert "roles/%s/README.md" % role in shipped, "Galaxy wants a README per role: roles/%s/README.md" % role
    for needed in ("meta/runtime.yml", "meta/execution-environment.yml", "requirements.txt", "bindep.txt", "LICENSE",
                   "README.md", "collections/requirements.yml", "changelogs/changelog.yaml"):
        assert needed in shipped, needed


def test_no_plugin_was_added_in_a_version_after_the_collections():
    version = LooseVersion(GALAXY["version"])
    late = []
    for path in sorted((ROOT / "plugins").rglob("*")):
        if path.suffix in (".py", ".yml") and path.is_file():
            late += ["%s: %s" % (path.relative_to(ROOT), found) for found in
                     re.findall(r"version_added:\s*['\"]?([\d.]+)", path.read_text()) if LooseVersion(found) > version]
    assert late == [], "version_added later than galaxy.yml's %s: %s" % (GALAXY["version"], late)


def test_the_changelog_has_a_release_for_galaxy_yml_s_version():
    changelog = yaml.safe_load((ROOT / "changelogs" / "changelog.yaml").read_text())
    release = (changelog.get("releases") or {}).get(GALAXY["version"])
    assert release and release["changes"].get("release_summary"), "no release %s in changelogs/changelog.yaml" % GALAXY["version"]

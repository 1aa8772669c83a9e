# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""The collection as users get it: the Galaxy tarball installed into a fresh path, and the execution
environment metadata that ansible-builder reads (no container engine needed)."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
FQCN = "%s.%s" % (GALAXY["namespace"], GALAXY["name"])
TARBALL = "%s-%s-%s.tar.gz" % (GALAXY["namespace"], GALAXY["name"], GALAXY["version"])


def _run(argv, cwd, env=None, timeout=300):
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    command = " ".join(map(str, argv))
    assert proc.returncode == 0, "%s failed (rc %d):\n%s\n%s" % (command, proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the tarball and install it (without Galaxy: kubernetes.core comes with the ansible package)
    into a path of its own; the environment makes ansible see that copy, not the work tree."""
    work = tmp_path_factory.mktemp("packaging")
    (work / "ansible.cfg").write_text("[defaults]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH"}
    env.update(ANSIBLE_CONFIG=str(work / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(work / "collections"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(work / "tmp"), ANSIBLE_HOME=str(work / "home"))
    _run([BIN / "ansible-galaxy", "collection", "build", ROOT, "--output-path", work / "build"], cwd=work, env=env)
    tarball = work / "build" / TARBALL
    assert tarball.is_file(), "ansible-galaxy collection build did not write %s" % TARBALL
    _run([BIN / "ansible-galaxy", "collection", "install", tarball, "--no-deps", "-p", work / "collections"],
         cwd=work, env=env)
    return {"work": work, "tarball": tarball, "env": env,
            "root": work / "collections" / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]}


def _filter_names():
    names = []
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        spec = importlib.util.spec_from_file_location("_filters_" + path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names += list(module.FilterModule().filters())
    return sorted(names)


PLUGINS = {
    "module": sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__"),
    "role": sorted(p.parent.parent.name for p in (ROOT / "roles").glob("*/meta/argument_specs.yml")),
    "filter": _filter_names(),
}


def test_tarball_leaves_out_development_state(installed):
    files = {entry["name"] for entry in json.loads((installed["root"] / "FILES.json").read_text())["files"]}
    assert "LICENSE" in files and "meta/execution-environment.yml" in files and "requirements.txt" in files
    unwanted = re.compile(r"(^|/)(\.venv[^/]*|__pycache__|\.pytest_cache|\.molecule|\.ansible|\.collections|reports|build)(/|$)"
                          r"|\.pyc$|^tests/output/")
    assert sorted(f for f in files if unwanted.search(f)) == []


def test_fqcn_playbooks_pass_syntax_check_from_the_installed_copy(installed):
    playbooks = sorted(p.stem for p in (ROOT / "playbooks").glob("*.yml"))
    assert "migrate" in playbooks
    for name in playbooks:
        out = _run([BIN / "ansible-playbook", "--syntax-check", "%s.%s" % (FQCN, name)], cwd=installed["work"],
                   env=installed["env"])
        assert "playbook: %s" % (installed["root"] / "playbooks" / (name + ".yml")) in out, out


@pytest.mark.parametrize("plugin_type", sorted(PLUGINS))
def test_ansible_doc_renders_every_plugin_of_the_installed_copy(installed, plugin_type):
    names = ["%s.%s" % (FQCN, name) for name in PLUGINS[plugin_type]]
    assert names, "no %s found" % plugin_type
    # The listing names every undocumented plugin at once; the full rendering stops at the first error.
    if plugin_type != "role":
        listed = json.loads(_run([BIN / "ansible-doc", "-t", plugin_type, "--list", "--json", FQCN],
                                 cwd=installed["work"], env=installed["env"]))
        assert sorted(listed) == sorted(names)
        undocumented = sorted(name for name, text in listed.items() if text in ("UNDOCUMENTED", ""))
        assert undocumented == [], "%s plugins without documentation: %s" % (plugin_type, ", ".join(undocumented))
    docs = json.loads(_run([BIN / "ansible-doc", "-t", plugin_type, "--json"] + names, cwd=installed["work"],
                           env=installed["env"]))
    assert sorted(docs) == sorted(names)
    for name, doc in docs.items():
        if plugin_type == "role":
            assert doc["entry_points"]["main"]["short_description"], name
            assert doc["path"].startswith(str(installed["root"])), "%s read from %s, not the installed copy" % (name, doc["path"])
        else:
            assert doc["doc"]["short_description"] and doc["doc"]["description"], name
            assert doc["doc"]["filename"].startswith(str(installed["root"])), \
                "%s read from %s, not the installed copy" % (name, doc["doc"]["filename"])


# --- execution environment -------------------------------------------------------------------------

def _requirement_names(path):
    names = set()
    for line in path.read_text().splitlines():
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if match and not line.lstrip().startswith(("#", "-")):
            names.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return names


def _module_level_imports(tree):
    """Modules a file imports when it is loaded (its body and try/if blocks there, not function bodies,
    which may run under another interpreter, as model_scores.py's scoring half does)."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif isinstance(node, (ast.Try, ast.If)):
            pending += node.body + node.orelse + getattr(node, "finalbody", []) + \
                [statement for handler in getattr(node, "handlers", []) for statement in handler.body]


def _third_party_imports():
    """Top-level names the plugins import that are neither the standard library nor Ansible."""
    found = {}
    for path in (ROOT / "plugins").rglob("*.py"):
        for module in _module_level_imports(ast.parse(path.read_text())):
            top = module.split(".")[0]
            # yaml: PyYAML comes with ansible-core (ansible-builder drops it from a collection's requirements)
            if top not in sys.stdlib_module_names and top not in ("ansible", "ansible_collections", "__future__", "yaml"):
                found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_of_the_plugins_is_declared_for_execution_environments():
    declared = _requirement_names(ROOT / "requirements.txt")
    missing = {module: files for module, files in _third_party_imports().items() if module.lower() not in declared}
    assert missing == {}, "imported by the plugins but missing in requirements.txt: %s" % missing


def test_ansible_builder_introspect_lists_the_collection_needs(installed):
    out = _run([BIN / "ansible-builder", "introspect", "--sanitize", installed["work"] / "collections"],
               cwd=installed["work"], env=installed["env"])
    found = yaml.safe_load(out)
    ours = {kind: [entry.split("#")[0].strip() for entry in found.get(kind) or [] if entry.endswith("# from collection " + FQCN)]
            for kind in ("python", "system")}
    declared = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip()[:1].isalnum()]
    assert {"numpy", "requests", "kubernetes"} <= {re.split(r"[<>=!~ ;\[]", entry)[0] for entry in ours["python"]}, out
    assert ours["python"] == declared, out
    assert "g++ [platform:dpkg local]" in ours["system"], out


def test_execution_environment_definition_is_valid_and_builds_a_context(installed):
    from ansible_builder.ee_schema import validate_schema

    definition = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    validate_schema(definition)
    assert definition["version"] == 3
    pinned = re.search(r"^ansible-core==(\S+)", (ROOT / "requirements" / "controller.txt").read_text(), re.M).group(1)
    assert definition["dependencies"]["ansible_core"]["package_pip"] == "ansible-core==" + pinned
    collections = {c["name"]: c for c in definition["dependencies"]["galaxy"]["collections"]}
    assert "kubernetes.core" in collections and "community.okd" in collections
    ours = [c for c in collections.values() if c.get("type") == "file"]
    assert [Path(c["name"]).name for c in ours] == [TARBALL], "the EE must install the tarball of galaxy.yml's version"
    assert [Path(f["src"]).name for f in definition["additional_build_files"]] == [TARBALL]
    # ansible-builder create: the build context a container engine would build, without the engine.
    context = installed["work"] / "ee"
    (context / "build").mkdir(parents=True)
    shutil.copy(ROOT / "execution-environment.yml", context)
    shutil.copy(installed["tarball"], context / "build")
    _run([BIN / "ansible-builder", "create", "--file", "execution-environment.yml", "--context", "ctx",
          "--output-filename", "Containerfile"], cwd=context, env=installed["env"])
    containerfile = (context / "ctx" / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile and "ansible-core==" + pinned in containerfile
    staged = yaml.safe_load((context / "ctx" / "_build" / "requirements.yml").read_text())
    (file_entry,) = [c for c in staged["collections"] if c.get("type") == "file"]
    assert (context / "ctx" / "_build" / file_entry["name"]).is_file()


def test_project_sync_requirements_name_the_collections_the_roles_use():
    wanted = {c["name"] for c in yaml.safe_load((ROOT / "collections" / "requirements.yml").read_text())["collections"]}
    used = set()
    for path in list((ROOT / "roles").rglob("*.yml")) + list((ROOT / "playbooks").rglob("*.yml")):
        used.update(re.findall(r"^\s*-?\s*((?!%s\.)[a-z_]+\.[a-z_]+)\.[a-z_0-9]+:\s*$" % re.escape(FQCN), path.read_text(), re.M))
    used -= {"ansible.builtin"}
    assert used <= wanted, "collections used by roles/playbooks but not in collections/requirements.yml: %s" % (used - wanted)

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""roles/local_venv/files/build_venv.py: uv given what pip would find, pip as the fallback, bytecode, the marker last."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "local_venv" / "files" / "build_venv.py"
_spec = importlib.util.spec_from_file_location("build_venv", SCRIPT)
build_venv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_venv)

PIP_CONFIG = """\
:env:.find-links='/opt/wheels'
:env:.default-timeout='180'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'
global.find-links='/srv/other-wheels'
"""


def test_pip_configuration_is_read_with_environment_variables_winning():
    settings = build_venv.parse_pip_config(PIP_CONFIG)
    assert settings["find-links"] == ["/opt/wheels"]
    assert settings["extra-index-url"] == ["file:///opt/pypi/simple", "file:///opt/pypi-more/simple"]
    assert settings["cert"] == ["/etc/ssl/certs/ca-certificates.crt"]
    assert build_venv.uv_environment(settings, environ={})["UV_HTTP_TIMEOUT"] == "180"


def test_uv_gets_pips_indexes_find_links_and_the_torch_index():
    env = build_venv.uv_environment({"find-links": ["/opt/wheels", "/srv/wheels"],
                                     "extra-index-url": ["file:///opt/pypi/simple"], "cert": ["/ca.pem"]},
                                    extra_index_url="https://download.example/whl/cpu", environ={})
    assert env["UV_FIND_LINKS"] == "/opt/wheels,/srv/wheels"  # uv splits this one on commas
    assert env["UV_EXTRA_INDEX_URL"] == "file:///opt/pypi/simple https://download.example/whl/cpu"
    assert env["SSL_CERT_FILE"] == "/ca.pem" and "UV_DEFAULT_INDEX" not in env
    assert env["UV_INDEX_STRATEGY"] == "unsafe-best-match"


def test_uv_settings_the_user_made_win_over_pips():
    mine = {"UV_FIND_LINKS": "/mine", "UV_INDEX_STRATEGY": "first-index"}
    env = build_venv.uv_environment({"find-links": ["/opt/wheels"]}, environ=mine)
    assert env["UV_FIND_LINKS"] == "/mine" and env["UV_INDEX_STRATEGY"] == "first-index"


class FakeCommands:
    """Stands in for subprocess: records each command; `failing` names the installers whose install fails."""

    def __init__(self, failing=()):
        self.commands = []
        self.failing = failing

    def __call__(self, argv, env=None):
        self.commands.append(argv)
        if argv[1:3] == ["-m", "venv"]:
            os.makedirs(argv[-1], exist_ok=True)
            return True
        if argv[1:3] == ["-m", "compileall"]:
            return "compileall" not in self.failing
        installer = "uv" if argv[0].endswith("/uv") else "pip"
        return installer not in self.failing


def _args(tmp_path, **extra):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("numpy==2.4.6\n")
    defaults = dict(venv=str(tmp_path / "venvs" / "demo-0123456789ab"), python=sys.executable,
                    requirements=str(requirements), nodeps_requirements="", remove=[], extra_index_url="")
    defaults.update(extra)
    return argparse.Namespace(**defaults)


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(build_venv, "pip_settings", lambda python: {})
    monkeypatch.delenv("VLLM_MIGRATION_INSTALLER", raising=False)

    def use(commands, uv="/cache/venvs/uv-x/bin/uv"):
        monkeypatch.setattr(build_venv, "run", commands)
        monkeypatch.setattr(build_venv, "ensure_uv", lambda python, venvs_dir, version: uv)
        return commands
    return use


def test_uv_builds_the_venv_and_the_marker_comes_last(tmp_path, fake):
    commands = fake(FakeCommands())
    summary = build_venv.build(_args(tmp_path, remove=["torchvision"], extra_index_url="https://idx.example/cpu"))
    assert summary["changed"] and summary["installer"] == "uv"
    venv = tmp_path / "venvs" / "demo-0123456789ab"
    assert (venv / ".complete").read_text().endswith("installer: uv\n") and (venv / ".ready").exists()
    assert [c[:3] for c in commands.commands[1:]] == [["/cache/venvs/uv-x/bin/uv", "pip", "install"],
                                                      ["/cache/venvs/uv-x/bin/uv", "pip", "uninstall"],
                                                      [str(venv / "bin" / "python"), "-m", "compileall"]]
    assert "--without-pip" in commands.commands[0]


def test_pip_builds_a_fresh_venv_when_uv_fails(tmp_path, fake):
    commands = fake(FakeCommands(failing=("uv",)))
    summary = build_venv.build(_args(tmp_path))
    assert summary["installer"] == "pip"
    venvs = [c for c in commands.commands if c[1:3] == ["-m", "venv"]]
    assert len(venvs) == 2 and "--without-pip" not in venvs[1]  # pip needs pip inside the venv
    assert (Path(_args(tmp_path).venv) / ".complete").read_text().endswith("installer: pip\n")


def test_pip_builds_the_venv_where_uv_cannot_be_installed(tmp_path, fake):
    fake(FakeCommands(), uv=None)
    assert build_venv.build(_args(tmp_path))["installer"] == "pip"


def test_a_failed_build_leaves_no_venv_and_says_so(tmp_path, fake):
    fake(FakeCommands(failing=("uv", "pip")))
    with pytest.raises(SystemExit, match="could not build"):
        build_venv.build(_args(tmp_path))
    assert not Path(_args(tmp_path).venv).exists()


def test_installer_uv_refuses_to_fall_back(tmp_path, fake, monkeypatch):
    fake(FakeCommands(), uv=None)
    monkeypatch.setenv("VLLM_MIGRATION_INSTALLER", "uv")
    with pytest.raises(SystemExit, match="uv could not be installed"):
        build_venv.build(_args(tmp_path))


def _installed_venv(tmp_path, *markers):
    """A venv folder with the given markers and a file of its own that must survive."""
    venv = Path(_args(tmp_path).venv)
    venv.mkdir(parents=True)
    for marker in markers:
        (venv / marker).write_text("done\n")
    (venv / "keep").write_text("x")
    return venv


def test_a_finished_venv_is_left_alone(tmp_path, fake):
    commands = fake(FakeCommands())
    venv = _installed_venv(tmp_path, ".complete", ".ready")
    assert build_venv.build(_args(tmp_path))["changed"] is False
    assert commands.commands == [] and (venv / "keep").exists()


def test_a_venv_installed_before_bytecode_is_compiled_in_place_not_rebuilt(tmp_path, fake):
    commands = fake(FakeCommands())
    venv = _installed_venv(tmp_path, ".complete")
    summary = build_venv.build(_args(tmp_path))
    assert summary["changed"] is True and summary["installer"] is None
    assert [c[1:3] for c in commands.commands] == [["-m", "compileall"]]
    assert (venv / "keep").exists() and (venv / ".ready").exists()
    assert build_venv.build(_args(tmp_path))["changed"] is False


def test_files_that_do_not_compile_leave_a_usable_venv(tmp_path, fake):
    fake(FakeCommands(failing=("compileall",)))
    assert build_venv.build(_args(tmp_path))["installer"] == "uv"
    assert (Path(_args(tmp_path).venv) / ".ready").exists()


def test_bytecode_is_written_even_where_python_is_told_not_to(tmp_path, monkeypatch):
    """The real compileall on a venv-shaped folder, with PYTHONDONTWRITEBYTECODE set as in CI images."""
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    site = tmp_path / "lib" / "python3.11" / "site-packages" / "pkg"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text("VALUE = 1\n")
    (site / "broken.py").write_text("print 'python 2'\n")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").symlink_to(sys.executable)
    build_venv.compile_bytecode(str(tmp_path))
    compiled = [path.name for path in (site / "__pycache__").iterdir()]
    assert any(name.startswith("__init__.") and name.endswith(".pyc") for name in compiled)
    assert not any(name.startswith("broken.") for name in compiled)


def test_main_prints_the_summary_as_json(tmp_path, fake, capsys):
    fake(FakeCommands())
    args = _args(tmp_path)
    build_venv.main(["--venv", args.venv, "--requirements", args.requirements, "--remove", "a", "b"])
    assert json.loads(capsys.readouterr().out)["installer"] == "uv"

# -*- coding: utf-8 -*-
# Copyright: vllm_pooling.migration contributors
# SPDX-License-Identifier: Apache-2.0
"""Where each model's weights are on the local platform, and whether they are there.

A catalog entry names its weights by ``weights_path`` (a folder) or ``weights_package`` (a Python package
installed in the server's venv that ships them in its ``model`` folder, as all-MiniLM-L6-v2 does). Weights
are present when the folder has a ``config.json``. In check mode on a fresh machine the venv is only planned:
a package its requirement files list counts as present, at the folder the venv would install it to.
"""

from __future__ import annotations

import glob
import os
import re

from ansible_collections.vllm_pooling.migration.plugins.module_utils.catalog import weights_dir

# the marker build_venv.py writes when a venv is complete
VENV_COMPLETE_MARKER = ".complete"
_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalized(name):
    """A distribution or package name as pip compares them (PEP 503, with ``_`` for the import name)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def venv_built(venv):
    return os.path.exists(os.path.join(venv, VENV_COMPLETE_MARKER))


def installed_package_dirs(venv, names):
    """``{package: <site-packages>/<package>/model}`` for the packages installed in the venv, None for the others."""
    sites = sorted(glob.glob(os.path.join(venv, "lib", "python*", "site-packages")))
    return {name: next((os.path.join(site, name, "model") for site in sites if os.path.isdir(os.path.join(site, name))), None)
            for name in names}


def requirement_names(paths):
    """The normalized names of the packages the requirement files list."""
    listed = set()
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            listed.update(normalized(m.group(1)) for m in map(_REQUIREMENT_NAME.match, handle) if m)
    return listed


def planned_package_dirs(venv, python_version, requirement_files, names):
    """Where the packages would be once the planned venv is built from ``requirement_files`` (None: not listed)."""
    listed = requirement_names(requirement_files)
    site = os.path.join(venv, "lib", "python%s" % python_version, "site-packages")
    return {name: os.path.join(site, name, "model") if normalized(name) in listed else None for name in names}


def locate_weights(models, package_dirs, promised=()):
    """``{weights: {key: folder or None}, present: [entries], missing: [entries]}``; a folder in ``promised``
    counts as present (check mode: the planned venv would install it)."""
    weights = {entry["key"]: weights_dir(entry, package_dirs) for entry in models}
    promised = set(promised)

    def there(entry):
        folder = weights[entry["key"]]
        return bool(folder) and (folder in promised or os.path.isfile(os.path.join(folder, "config.json")))
    return {"weights": weights, "present": [e for e in models if there(e)], "missing": [e for e in models if not there(e)]}

"""The repository stands alone: no tracked file points a reader at a document that is not in it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Design notes kept outside the repository, and paths that leave it.
OUTSIDE = re.compile(r"DESIGN\.md|\.\./shared\b|\.\./\.\./shared\b")
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def tracked_files():
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


def text_of(path):
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
        return ""


def test_no_file_cites_a_document_outside_the_repository():
    this = Path(__file__).resolve()
    found = ["%s:%d" % (path.relative_to(ROOT), number)
             for path in tracked_files() if path.resolve() != this
             for number, line in enumerate(text_of(path).splitlines(), 1) if OUTSIDE.search(line)]
    assert found == [], "these lines cite a document that is not in the repository: %s" % found


def test_every_relative_link_of_the_docs_resolves_inside_the_repository():
    broken = []
    for path in tracked_files():
        if path.suffix != ".md":
            continue
        for target in MARKDOWN_LINK.findall(text_of(path)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # a URL, not a file of ours
            resolved = (path.parent / target).resolve()
            if not resolved.exists() or ROOT not in resolved.parents and resolved != ROOT:
                broken.append("%s -> %s" % (path.relative_to(ROOT), target))
    assert broken == [], "links to files that are not in the repository: %s" % broken

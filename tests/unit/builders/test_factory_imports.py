"""A factory's fingerprint covers the project modules it imports, transitively, and no others."""

from __future__ import annotations

from pathlib import Path

from tritonops.builders.imports import import_closure


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _names(root: Path, files: list[Path]) -> set[str]:
    return {f.relative_to(root.resolve()).as_posix() for f in files}


def test_closure_follows_absolute_relative_and_submodule_imports(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "models/__init__.py": "",
            "models/clf.py": (
                "import numpy\nfrom . import features\nfrom .util.io import load\n"
                "def make():\n    from models import late\n    return late.X\n"
            ),
            "models/features.py": "import common.scale\n",
            "models/util/__init__.py": "",
            "models/util/io.py": "def load(): ...\n",
            "models/late.py": "X = 1\n",
            "models/unrelated.py": "# nobody imports me\n",
            "models/scale/model.py": "# a python model's file\n",
            "common/scale.py": "K = 2\n",
        },
    )
    closure = _names(tmp_path, import_closure(tmp_path, "models.clf"))
    assert closure == {
        "models/__init__.py",
        "models/clf.py",
        "models/features.py",
        "models/util/__init__.py",
        "models/util/io.py",
        "models/late.py",
        "common/scale.py",
    }


def test_closure_of_a_namespace_package_module_and_cycles(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "models/digits.py": "from models import helper\n",
            "models/helper.py": "from models import digits\n",  # a cycle ends
            "models/other.py": "",
        },
    )
    closure = _names(tmp_path, import_closure(tmp_path, "models.digits"))
    assert closure == {"models/digits.py", "models/helper.py"}


def test_unparseable_module_is_still_fingerprinted(tmp_path: Path) -> None:
    _write(tmp_path, {"broken.py": "def (:\n"})
    assert _names(tmp_path, import_closure(tmp_path, "broken")) == {"broken.py"}


def test_relative_import_above_the_root_is_ignored(tmp_path: Path) -> None:
    _write(tmp_path, {"top.py": "from .. import x\n"})
    assert _names(tmp_path, import_closure(tmp_path, "top")) == {"top.py"}

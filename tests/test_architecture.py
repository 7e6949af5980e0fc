"""The import layers and the test rules are checked, not only written down.

* ``[tool.importlinter]`` in pyproject.toml (layers, the numpy-only core, no cycles inside any
  package): ``lint-imports`` must pass on the package of this checkout;
* every ``*/commands.py`` is registered with the ``dancegen`` command;
* no test skips on a missing Python package (those are dependencies in pyproject.toml: a missing
  one must fail loudly); skips name a missing system package (chromium) or ../shared only.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import REPO


def test_import_layers_hold():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout and "BROKEN" not in r.stdout


def test_every_commands_module_is_registered():
    from dancegen.cli import COMMAND_MODULES

    found = {f"dancegen.{p.parent.name}.commands" for p in (REPO / "dancegen").glob("*/commands.py")}
    assert found <= set(COMMAND_MODULES), sorted(found - set(COMMAND_MODULES))


def test_no_test_skips_on_an_import_error():
    pattern = re.compile(r"importorskip|except\s+\(?\s*(ImportError|ModuleNotFoundError)")
    offenders = [f"{p.name}:{i}" for p in sorted((REPO / "tests").glob("*.py")) if p.name != "test_architecture.py"
                 for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not offenders, offenders

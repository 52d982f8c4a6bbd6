"""The `litmus` WebDAV compliance suite against the live /webdav/ (RFC 4918 class 1 and 2)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TEST_PASSWORD

SUITES = "basic copymove props locks http"


def test_litmus_passes_without_failures_or_warnings(dav_server: str, tmp_path: Path) -> None:
    litmus = shutil.which("litmus")
    if litmus is None:
        pytest.fail("litmus is missing: install it with `apt-get install litmus`.", pytrace=False)
    env = {**os.environ, "TESTS": SUITES}
    result = subprocess.run(
        [litmus, f"{dav_server}/webdav/home/", "alice@example.com", TEST_PASSWORD],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
        cwd=tmp_path,  # litmus writes debug.log and child.log where it runs
    )
    output = result.stdout + result.stderr
    summaries = re.findall(
        r"<- summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed\. ([\d.]+)%"
        r"(?:\n-> (\d+) warnings? (?:was|were) issued\.)?",
        output,
    )
    assert [name for name, *_ in summaries] == SUITES.split(), output
    for name, run, passed, failed, _percent, warnings in summaries:
        assert failed == "0", f"{name}: {failed} failed\n{output}"
        assert not warnings, f"{name}: {warnings} warnings\n{output}"
        assert int(passed) == int(run), output
    assert result.returncode == 0, output

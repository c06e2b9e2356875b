"""The browser tests are never skipped silently: without Chromium, every one is skipped and the
run ends with one line saying how to enable them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_without_chromium_the_browser_tests_skip_with_one_line_saying_how_to_enable_them(
    tmp_path,
):
    env = {k: v for k, v in os.environ.items() if k != "E2E_SCREENSHOTS"}
    env["CHROMIUM"] = "/nonexistent/chromium"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/e2e",
            "-k",
            "stale_form",
            "-p",
            "no:cacheprovider",
            "--basetemp",
            str(tmp_path / "run"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 skipped" in output and "passed" not in output, output
    said = [line for line in output.splitlines() if "apt-get install chromium" in line]
    assert said == [
        "browser tests skipped: Chromium not found at /nonexistent/chromium; install it with "
        "`apt-get install chromium` (or set CHROMIUM=/path/to/chromium)"
    ], output

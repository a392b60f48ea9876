"""The dependency audit's fallback feed: pip-audit reads its answers, and a feed that cannot
answer fails the audit instead of passing it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from audit_dependencies import ProjectFeed, osv_entries, serving

ADVISORY = {
    "id": "PYSEC-2099-1",
    "aliases": ["CVE-2099-0001"],
    "details": "a made-up flaw",
    "fixed_in": ["9.9.9"],
    "withdrawn": None,
}


PIP_AUDIT_ALONE = [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "--format"]
PIP_AUDIT_ALONE += ["json", "--progress-spinner", "off", "--vulnerability-service", "osv"]


class CannedFeed(ProjectFeed):
    def __init__(self, answers: dict[str, list[dict[str, Any]] | None]) -> None:
        super().__init__()
        self.answers = answers

    def vulnerabilities(self, name: str, version: str) -> list[dict[str, Any]] | None:
        if name not in self.answers:
            raise OSError("PyPI unreachable")
        advisories = self.answers[name]
        return None if advisories is None else osv_entries(name, advisories)


def _audit(tmp_path: Path, feed: ProjectFeed, requirement: str) -> tuple[int, str]:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(requirement + "\n")
    with serving(feed) as url:
        done = subprocess.run(
            [*PIP_AUDIT_ALONE, "--requirement", str(requirements), "--osv-url", url],
            capture_output=True,
            text=True,
            check=False,
        )
    return done.returncode, done.stdout


def test_pip_audit_reports_what_the_feed_knows(tmp_path: Path) -> None:
    code, out = _audit(tmp_path, CannedFeed({"six": [ADVISORY]}), "six==1.16.0")
    assert code == 1
    (dependency,) = json.loads(out)["dependencies"]
    (vuln,) = dependency["vulns"]
    assert (vuln["id"], vuln["fix_versions"], vuln["aliases"]) == (
        "PYSEC-2099-1",
        ["9.9.9"],
        ["CVE-2099-0001"],
    )


def test_a_clean_package_passes(tmp_path: Path) -> None:
    code, out = _audit(tmp_path, CannedFeed({"six": []}), "six==1.16.0")
    assert code == 0
    assert json.loads(out)["dependencies"][0]["vulns"] == []


def test_an_unreachable_pypi_or_an_unknown_package_fails_the_audit(tmp_path: Path) -> None:
    assert _audit(tmp_path, CannedFeed({}), "six==1.16.0")[0] != 0
    assert _audit(tmp_path, CannedFeed({"six": None}), "six==1.16.0")[0] != 0

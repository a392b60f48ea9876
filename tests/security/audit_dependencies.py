"""Audit the installed dependencies for known vulnerabilities with pip-audit.

pip-audit asks PyPI's per-release JSON API (`/pypi/NAME/VERSION/json`) by default. Where only
PyPI's package index and project pages are reachable (as on the project's build machines, where
that API and osv.dev are not), it asks a small local OSV-compatible service instead, which answers
from PyPI's project JSON (`/pypi/NAME/json`): the advisories that affect the newest release.
For a package at its newest release that is the whole answer; for one held back to an older
release (a pin of another dependency) advisories fixed since are not listed, so those packages are
named at the end as partly audited. An unreachable PyPI, or a package PyPI does not know, fails
the audit: nothing is skipped silently.

Run: python tests/security/audit_dependencies.py  (`make audit`, part of `make test`)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PYPI = "https://pypi.org/pypi"
PIP_AUDIT = [sys.executable, "-m", "pip_audit", "--local", "--skip-editable"]
PIP_AUDIT += ["--progress-spinner", "off", "--format", "json"]
OWN_PROJECT = "tilsyn"  # installed editable from this checkout: nothing to look up


def fetch_json(url: str) -> dict[str, Any] | None:
    """The JSON at `url`, or None when PyPI answers 404."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            body: dict[str, Any] = json.load(response)
            return body
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def per_release_api_reachable() -> bool:
    return fetch_json(f"{PYPI}/pip/24.0/json") is not None


def osv_entries(name: str, advisories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """PyPI's advisory records in the OSV schema that pip-audit reads."""
    entries = []
    for advisory in advisories:
        events: list[dict[str, str]] = [{"introduced": "0"}]
        events += [{"fixed": version} for version in advisory.get("fixed_in") or []]
        entry: dict[str, Any] = {
            "id": advisory["id"],
            "aliases": advisory.get("aliases") or [],
            "details": advisory.get("details") or advisory.get("summary") or "",
            "affected": [
                {
                    "package": {"name": name, "ecosystem": "PyPI"},
                    "ranges": [{"type": "ECOSYSTEM", "events": events}],
                }
            ],
        }
        if advisory.get("withdrawn"):
            entry["withdrawn"] = advisory["withdrawn"]
        entries.append(entry)
    return entries


class ProjectFeed:
    """Answers OSV queries from PyPI's project JSON; remembers what it could only partly audit."""

    def __init__(self) -> None:
        self.partly_audited: dict[str, tuple[str, str]] = {}  # name -> (installed, newest)
        self._lock = threading.Lock()

    def vulnerabilities(self, name: str, version: str) -> list[dict[str, Any]] | None:
        project = fetch_json(f"{PYPI}/{name}/json")
        if project is None:
            return None
        newest = str(project["info"]["version"])
        if version != newest:
            with self._lock:
                self.partly_audited[name] = (version, newest)
        return osv_entries(name, project.get("vulnerabilities") or [])


@contextmanager
def serving(feed: ProjectFeed) -> Iterator[str]:
    """The feed as an OSV query API on a free local port; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            name, version = query["package"]["name"], query["version"]
            try:
                vulns = feed.vulnerabilities(name, version)
            except OSError as error:  # PyPI unreachable: the audit must fail, not pass
                self.send_error(502, f"PyPI unreachable: {error}")
                return
            if vulns is None:
                self.send_error(404, f"{name} is not on PyPI")
                return
            body = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
        finally:
            server.shutdown()


def run_pip_audit(*service: str) -> list[str]:
    """Problems found: vulnerable packages, and packages pip-audit could not look up."""
    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "audit.json"
        subprocess.run([*PIP_AUDIT, *service, "--output", str(report)], check=False)
        if not report.exists():
            return ["pip-audit did not finish (see its output above)"]
        dependencies = json.loads(report.read_text())["dependencies"]
    problems = []
    for dependency in dependencies:
        name, version = dependency["name"], dependency.get("version", "?")
        if "skip_reason" in dependency and name != OWN_PROJECT:
            problems.append(f"NOT AUDITED: {name}: {dependency['skip_reason']}")
        for vuln in dependency.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", [])) or "none yet"
            problems.append(f"VULNERABLE: {name} {version}: {vuln['id']} (fixed in {fixes})")
    print(f"pip-audit looked up {len(dependencies) - 1} installed distributions")
    return problems


def main() -> int:
    try:
        full_api = per_release_api_reachable()
    except OSError as error:
        print(f"pip-audit: PyPI is unreachable ({error}); the dependencies were NOT audited")
        return 1
    if full_api:
        print("pip-audit: PyPI's per-release vulnerability data")
        problems = run_pip_audit()
    else:
        print("pip-audit: PyPI's per-release API is unreachable here; using its project JSON")
        feed = ProjectFeed()
        with serving(feed) as url:
            problems = run_pip_audit("--vulnerability-service", "osv", "--osv-url", url)
        for name, (installed, newest) in sorted(feed.partly_audited.items()):
            print(
                f"PARTLY AUDITED: {name} {installed} (newest {newest}): checked against the"
                " advisories that affect the newest release only"
            )
    for problem in problems:
        print(problem)
    print("no known vulnerabilities" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())

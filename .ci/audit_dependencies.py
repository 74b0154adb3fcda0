"""`make audit`: pip-audit over both lock files; fails on a known vulnerability, and says so plainly when
the vulnerability data could not be reached (then nothing was audited, and the step does not fail).

pip-audit asks PyPI's JSON API (`/pypi/<name>/<version>/json`) about each pinned package. A package
it cannot look up is listed as "skipped" and the run still ends "No known vulnerabilities found",
which would read as a clean audit; this wrapper counts what was really audited.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ["requirements.lock", "requirements-dev.lock"]


def audit(lock: str) -> tuple[list[dict], list[dict], str]:
    """(audited dependencies, skipped ones, pip-audit's error output) for one lock file."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        finished = subprocess.run(
            [
                str(Path(sys.executable).parent / "pip-audit"),
                "--requirement",
                lock,
                "--require-hashes",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--output",
                report.name,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        text = Path(report.name).read_text(encoding="utf-8")
    if not text.strip():
        return [], [], finished.stderr.strip() or finished.stdout.strip()
    dependencies = json.loads(text).get("dependencies", [])
    audited = [dependency for dependency in dependencies if "skip_reason" not in dependency]
    skipped = [dependency for dependency in dependencies if "skip_reason" in dependency]
    return audited, skipped, ""


def main() -> int:
    vulnerable = []
    unreached = False
    for lock in LOCKS:
        audited, skipped, error = audit(lock)
        if error or not audited:
            unreached = True
            print(
                f"WARNING: {lock}: NOT AUDITED: pip-audit could not reach its vulnerability data", flush=True
            )
            print(f"  ({error or skipped[0]['skip_reason'] if (error or skipped) else 'no dependencies'})")
            continue
        print(f"{lock}: {len(audited)} packages audited, {len(skipped)} could not be looked up")
        for dependency in skipped:
            print(
                f"  not audited: {dependency['name']} {dependency.get('version', '')}: {dependency['skip_reason']}"
            )
        for dependency in audited:
            for vulnerability in dependency.get("vulns", []):
                fixes = ", ".join(vulnerability.get("fix_versions", [])) or "no fixed release yet"
                vulnerable.append(
                    f"{dependency['name']} {dependency['version']}: {vulnerability['id']} (fixed in {fixes})"
                )
    if vulnerable:
        print("Known vulnerabilities:")
        for line in vulnerable:
            print(f"  {line}")
        return 1
    if unreached:
        print(
            "WARNING: the dependency audit was skipped, not passed: this machine cannot reach PyPI's per-release "
            "JSON API (or OSV). Run `make audit` where it can."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

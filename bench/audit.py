"""`marker-tool audit` against the real Debian archive, and against the naive way.

Not run in CI: it reads hundreds of MB from http://deb.debian.org/debian. Per suite x
architecture (bullseye, bookworm, trixie, sid; main; amd64, arm64), all in this run:

- cold: a fresh cache under build/bench-audit/, `marker-tool audit MIRROR --suite S
  --arch A --component main --format json`: wall time, peak RSS, index bytes read,
  candidates found, bytes downloaded (against the goal: <= 1.1x the candidates' size);
- warm: the same command again on that cache (goal: <= 10 s; cold goal: <= 120 s;
  memory goal: <= 256 MB);
- the naive way, for one suite x architecture (`--naive SUITE/ARCH`, default
  bookworm/amd64): download every `python3*`/`pypy*` package its Packages lists and
  `dpkg-deb -c` each, timed and counted the same way.

Then the table of what each suite ships (source, version, verdict, the marker's digest).
sid and forky's Release files may be past their Valid-Until on this mirror: the
benchmark passes --allow-expired for them and says so.

    .venv/bin/python bench/audit.py [--suite S]... [--arch A]... [--naive bookworm/amd64]
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import marker_tool

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "bench-audit"
MIRROR = "http://deb.debian.org/debian"
EXPIRED_OK = ("sid", "unstable", "forky", "testing")


def audit_command(suite: str, arch: str, cache: Path) -> list[str]:
    cmd = [*marker_tool(), "audit", MIRROR, "--suite", suite, "--arch", arch]
    cmd += ["--component", "main", "--format", "json", "--quiet", "--cache", str(cache)]
    if suite in EXPIRED_OK:
        cmd.append("--allow-expired")
    return cmd


def measure(suite: str, arch: str) -> dict[str, object]:
    cache = WORK / f"cache-{suite}-{arch}"
    shutil.rmtree(cache, ignore_errors=True)
    cold, cold_rss, out, _ = run_isolated(audit_command(suite, arch, cache))
    doc = json.loads(out)
    warm, warm_rss, out2, _ = run_isolated(audit_command(suite, arch, cache))
    warm_doc = json.loads(out2)
    return {
        "suite": suite,
        "arch": arch,
        "cold": cold,
        "warm": warm,
        "cold_rss_mib": cold_rss / 1024,
        "warm_rss_mib": warm_rss / 1024,
        "stats": doc["stats"],
        "warm_stats": warm_doc["stats"],
        "systems": doc["systems"],
        "notes": [n for s in doc["suites"] for n in s["notes"]],
    }


def run_isolated(cmd: list[str]) -> tuple[float, int, str, str]:
    """One run in a process of its own, so its peak RSS is its own (not the largest so far)."""
    code = (
        "import json, resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - start\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(json.dumps([wall, rss, p.returncode, p.stdout, p.stderr]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True
    )
    wall, rss, status, out, err = json.loads(done.stdout)
    if status not in (0, 1):
        raise SystemExit(f"{' '.join(cmd[:6])} ... exited {status}:\n{err}")
    return wall, rss, out, err


def naive(suite: str, arch: str, connections: int) -> dict[str, object]:
    """Every python3*/pypy* package of the suite downloaded and listed with dpkg-deb -c."""
    start = time.perf_counter()
    url = f"{MIRROR}/dists/{suite}/main/binary-{arch}/Packages.xz"
    with urllib.request.urlopen(url, timeout=60) as response:
        index = lzma.decompress(response.read()).decode("utf-8", "replace")
    wanted = []
    for stanza in index.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in stanza.splitlines() if ": " in line and line[0] != " "
        )
        name = fields.get("Package", "")
        if name.startswith(("python3", "pypy")):
            wanted.append((fields["Filename"], int(fields["Size"])))
    total = sum(size for _, size in wanted)
    listed = 0
    with tempfile.TemporaryDirectory(dir=WORK) as work:

        def one(item: tuple[str, int]) -> int:
            filename, _ = item
            target = Path(work, filename.rpartition("/")[2])
            with urllib.request.urlopen(f"{MIRROR}/{filename}", timeout=120) as r:
                target.write_bytes(r.read())
            lines = subprocess.run(
                ["dpkg-deb", "-c", str(target)], capture_output=True, text=True, check=False
            ).stdout.count("\n")
            target.unlink()
            return lines

        with ThreadPoolExecutor(max_workers=connections) as pool:
            listed = sum(pool.map(one, wanted))
    return {
        "suite": suite,
        "arch": arch,
        "packages": len(wanted),
        "bytes": total,
        "members_listed": listed,
        "wall": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", action="append", dest="suites")
    parser.add_argument("--arch", action="append", dest="archs")
    parser.add_argument("--naive", default="bookworm/amd64", help="SUITE/ARCH, or `none`")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    suites = args.suites or ["bullseye", "bookworm", "trixie", "sid"]
    archs = args.archs or ["amd64", "arm64"]
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"marker-tool audit against {MIRROR}, main, on {os.cpu_count()} cores")
    rows = []
    for suite in suites:
        for arch in archs:
            try:
                row = measure(suite, arch)
            except SystemExit as failed:
                print(f"{suite}/{arch}: FAILED: {failed}")
                continue
            rows.append(row)
            s = row["stats"]
            assert isinstance(s, dict)
            ratio = s["package_bytes"] / s["candidate_bytes"] if s["candidate_bytes"] else 0.0
            print(
                f"{suite}/{arch}: cold {row['cold']:.1f} s (goal <= 120), warm "
                f"{row['warm']:.1f} s (goal <= 10), peak RSS {row['cold_rss_mib']:.0f} MiB "
                f"(goal <= 256); indexes {s['index_bytes'] / 1e6:.1f} MB; "
                f"{s['candidates']} candidates, {s['candidate_bytes'] / 1e6:.1f} MB; "
                f"downloaded {s['package_bytes'] / 1e6:.1f} MB = {ratio:.2f}x (goal <= 1.1)"
            )
            for note in row["notes"]:  # type: ignore[attr-defined]
                print(f"  note: {note}")
    print("\nwhat each suite ships (main):")
    for row in rows:
        for system in row["systems"]:  # type: ignore[attr-defined]
            marker = next((m for m in system["markers"] if not m["diverted_by"]), None)
            said = f"marker {marker['sha256'][:12]}" if marker and marker["sha256"] else "none"
            print(
                f"  {system['suite']}/{system['arch']}: {system['source']} {system['version']} "
                f"{system['verdict']} {said} ({len(system['packages'])} packages)"
            )
    result: dict[str, object] = {"audit": rows}
    if args.naive != "none":
        suite, _, arch = args.naive.partition("/")
        figures = naive(suite, arch, 4)
        result["naive"] = figures
        ours = next((r for r in rows if r["suite"] == suite and r["arch"] == arch), None)
        size, wall = float(figures["bytes"]), float(figures["wall"])  # type: ignore[arg-type]
        print(
            f"\nnaive {suite}/{arch}: {figures['packages']} python3*/pypy* packages, "
            f"{size / 1e6:.0f} MB downloaded and listed in {wall:.0f} s"
            + (
                f" (audit cold: {ours['cold']:.0f} s, "
                f"{ours['stats']['package_bytes'] / 1e6:.1f} MB)"  # type: ignore[index]
                if ours
                else ""
            )
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()

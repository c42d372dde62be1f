"""Hostile inputs through `marker-tool check`, each beside a good .deb: seconds and peak memory.

    .venv/bin/python bench/hostile.py              # every input of tests/fuzz/hostile.py
    .venv/bin/python bench/hostile.py --bombs      # and a 4 GiB zero bomb of each codec
    .venv/bin/python bench/hostile.py many-layers  # some inputs only

Each input runs as `marker-tool check -j1 --format json INPUT GOOD.deb` in its own
process (a marker file as `preview --tool uv --width 80`); the figures are its
wall seconds, CPU seconds (user + system: what a quiet machine's wall time would
be, for one process on one core) and peak resident memory (`ru_maxrss`). The
bar: every input ends within 5 s of CPU and 256 MB, the good .deb beside it
PASSED, and no traceback; the load average is printed beside the figures. The
bombs (4 GiB of zeros in a .deb's data member, built once under build/bombs/)
must end within 5 s too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzz import hostile  # noqa: E402
from tests.packages import ar_archive, member, tar_bytes  # noqa: E402

SECONDS = 5.0
PEAK_MB = 256
GiB = 1024 * 1024 * 1024
BOMBS = ROOT / "build" / "bombs"
CODECS = ("gzip", "bzip2", "xz", "lzma", "zstd")


@dataclass(frozen=True)
class Figure:
    name: str
    size: int
    seconds: float
    cpu: float
    peak_mb: float
    status: int
    codes: str
    good: str
    traceback: bool

    @property
    def ok(self) -> bool:
        return (
            self.cpu <= SECONDS
            and self.peak_mb <= PEAK_MB
            and (self.good.startswith("PASSED") or self.good == "-")
            and not self.traceback
        )

    def line(self) -> str:
        verdict = "ok" if self.ok else "OVER"
        return (
            f"{self.name:26} {self.size / 1024:>9.1f} KB {self.seconds:>6.2f} s "
            f"{self.cpu:>6.2f} s cpu {self.peak_mb:>6.1f} MB  exit {self.status}  "
            f"good {self.good:7} "
            f"{self.codes[:40]:40} {verdict}"
        )


#: Runs a command and reports its rusage: a small process of its own, since a child's
#: `ru_maxrss` counts the memory of the process it was forked from (this one, which
#: holds the inputs it built).
RUNNER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
cpu = usage.ru_utime + usage.ru_stime
sys.stderr.write(f"\\nRUSAGE {usage.ru_maxrss} {cpu} {os.waitstatus_to_exitcode(status)}\\n")
"""


def run(command: list[str]) -> tuple[float, float, float, int, str, str]:
    """Wall seconds, CPU seconds, peak MB, exit status, stdout and stderr of one run."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", RUNNER, *command], stdout=out, stderr=err, cwd=ROOT, check=False
        )
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace")
        errors, _, usage = err.read().decode("utf-8", "replace").rpartition("\nRUSAGE ")
    peak, cpu, status = usage.split()
    return seconds, float(cpu), int(peak) / 1024, int(status), text, errors


def _tool() -> list[str]:
    script = Path(sys.executable).parent / "marker-tool"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "marker_tool"]


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if path.parent.name.endswith(".d"):
        path = path.parent
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def measure(name: str, path: Path, good: Path) -> Figure:
    if path.name == "EXTERNALLY-MANAGED":
        command = [*_tool(), "preview", "--tool", "uv", "--width", "80", str(path)]
    else:
        command = [*_tool(), "check", "-j1", "--format", "json", str(path), str(good)]
    seconds, cpu, peak, status, out, err = run(command)
    codes, verdict = "-", "-"
    if "check" in command:
        try:
            packages = json.loads(out)["packages"]
        except (ValueError, KeyError):
            packages = []
            codes = (err.strip().splitlines() or ["no JSON"])[-1]
        for package in packages:
            if package["source"] == str(good):
                verdict = package["verdict"]
            else:
                found = sorted({f["code"] for f in package.get("findings", [])})
                codes = ",".join(found) if codes == "-" else codes
    return Figure(name, _size(path), seconds, cpu, peak, status, codes, verdict, "Traceback" in err)


def _good_deb(folder: Path) -> Path:
    """A real Debian stdlib package when build/debs has one (`PASSED with warnings`
    alone: its marker cites a README another package ships), else the hand-made one."""
    real = sorted((ROOT / "build" / "debs").glob("**/libpython3.1*-stdlib_*.deb"))
    if real:
        return real[-1]
    path = folder / "good.deb"
    path.write_bytes(hostile.good_deb())
    return path


def bomb(codec: str) -> Path:
    """A .deb whose data member is 4 GiB of zeros compressed with `codec` (built once)."""
    BOMBS.mkdir(parents=True, exist_ok=True)
    path = BOMBS / f"bomb-{codec}.deb"
    if path.exists():
        return path
    suffix = {"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "lzma": ".lzma", "zstd": ".zst"}
    command = {
        "gzip": ["gzip", "-1", "-c"],
        "bzip2": ["bzip2", "-1", "-c"],
        "xz": ["xz", "-0", "-T2", "-c"],
        "lzma": ["xz", "--format=lzma", "-0", "-c"],
        "zstd": ["zstd", "-1", "-T2", "-c", "-q"],
    }[codec]
    with tempfile.TemporaryFile() as packed:
        zeros = subprocess.Popen(["head", "-c", str(4 * GiB), "/dev/zero"], stdout=subprocess.PIPE)
        subprocess.run(command, stdin=zeros.stdout, stdout=packed, check=True)
        zeros.wait()
        packed.seek(0)
        data = packed.read()
    deb = ar_archive(
        [
            ("debian-binary", b"2.0\n"),
            ("control.tar", tar_bytes([member("./control", b"Package: b\n")])),
            (f"data.tar{suffix[codec]}", data),
        ]
    )
    path.write_bytes(deb)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="inputs of tests/fuzz/hostile.py (default: all)")
    parser.add_argument("--bombs", action="store_true", help="also a 4 GiB bomb of each codec")
    args = parser.parse_args(argv)
    names = args.names or list(hostile.INPUTS)
    figures = []
    with tempfile.TemporaryDirectory(prefix="marker-tool-hostile-") as scratch:
        folder = Path(scratch)
        good = _good_deb(folder)
        load = os.getloadavg()[0]
        print(f"beside: {good.name}  (bar: {SECONDS} s of CPU, {PEAK_MB} MB; load {load:.1f})")
        for name in names:
            figure = measure(name, hostile.given(name, folder), good)
            figures.append(figure)
            print(figure.line(), flush=True)
        if args.bombs:
            for codec in CODECS:
                figure = measure(f"4 GiB bomb, {codec}", bomb(codec), good)
                figures.append(figure)
                print(figure.line(), flush=True)
    over = [f.name for f in figures if not f.ok]
    print(f"{len(figures) - len(over)} of {len(figures)} within the bar", end="")
    print(f"; over: {', '.join(over)}" if over else "")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

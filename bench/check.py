"""`marker-tool check` against the shell pipeline a packaging CI would otherwise run.

Input: Debian's real bookworm libpython3.11-stdlib (tests/fetch-debian-packages),
the same package repacked with `dpkg-deb -Zzstd`, and rpms of the same tree
(under usr/lib64) with xz and zstd payloads, all built once under build/bench.
Each set is N copies (hard links under other names: the work per package is the
same, the disk cache is warm for both sides alike).

And a real mix: the 300+ packages of tests/fetch-debian-packages --bench (the
dependency closure of a developer's bookworm system) plus every binary package
of bookworm's python3.11 source build, against the shell pipelines a user
would write and against the decompression floor: every data member
decompressed by `xz -dc`/`zstd -dc`/`gzip -dc` over all cores.

Printed, all measured in this run:
- wall time of `marker-tool check` (default --jobs) over N packages against a
  bash loop of `dpkg-deb --fsys-tarfile PKG | tar -xO ./usr/lib/python3.11/EXTERNALLY-MANAGED`
  (`rpm2cpio PKG | cpio -i --to-stdout ./usr/lib64/...` for rpms), as a ratio;
- peak RSS of check over the sets and over a package with a 500 MB member
  (with the md5sums, and with none: every header is read either way);
- check's time per package for 100 and 1,000 packages (linear growth).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import bench_env, marker_tool

ROOT = Path(__file__).resolve().parent.parent
DEBS = ROOT / "build" / "debs"
WORK = ROOT / "build" / "bench"
MARKER = "usr/lib/python3.11/EXTERNALLY-MANAGED"


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run of `cmd`; exit status 0 or 1 accepted."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(
            f"{cmd[:3]} ... exited {code}: {proc.stderr.read() if proc.stderr else ''}"
        )
    return wall, usage.ru_maxrss


def best(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, int]:
    results = [run(cmd, env) for _ in range(runs)]
    return min(w for w, _ in results), max(r for _, r in results)


def real_deb() -> Path:
    found = sorted(DEBS.glob("python3.11/libpython3.11-stdlib_*.deb"))
    if not found:
        raise SystemExit("no libpython3.11-stdlib in build/debs: run tests/fetch-debian-packages")
    return found[-1]


def build_inputs() -> dict[str, Path]:
    """One package of each kind, built once under build/bench."""
    WORK.mkdir(parents=True, exist_ok=True)
    deb = real_deb()
    out = {"deb-xz": deb}
    tree = WORK / "tree"
    if not tree.is_dir():
        subprocess.run(["dpkg-deb", "-R", str(deb), str(tree)], check=True)
    zstd = WORK / "stdlib-zstd.deb"
    if not zstd.is_file():
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "-Zzstd", "-b", str(tree), str(zstd)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    out["deb-zstd"] = zstd
    for payload, io in (("xz", "w6.xzdio"), ("zstd", "w19.zstdio")):
        rpm = WORK / f"stdlib-{payload}.rpm"
        if not rpm.is_file():
            build_rpm(tree, rpm, io)
        out[f"rpm-{payload}"] = rpm
    big = WORK / "big.deb"
    if not big.is_file():
        build_big(tree, big)
    out["big"] = big
    bare = WORK / "big-no-md5sums.deb"
    if not bare.is_file():
        build_big(tree, bare, md5sums=False)
    out["big-full-scan"] = bare
    return out


def build_rpm(tree: Path, dest: Path, payload: str) -> None:
    top = WORK / "rpmtop"
    shutil.rmtree(top, ignore_errors=True)
    files = sorted(
        "/" + str(p.relative_to(tree)).replace("usr/lib/python3.11", "usr/lib64/python3.11", 1)
        for p in tree.rglob("*")
        if not p.is_dir() and "DEBIAN" not in p.parts
    )
    (top / "SPECS").mkdir(parents=True)
    spec = top / "SPECS" / "stdlib.spec"
    spec.write_text(
        "Name: python3.11-libs\nVersion: 3.11.2\nRelease: 1\nSummary: bench\nLicense: PSF\n"
        "%description\nbench\n%install\n"
        f"mkdir -p %{{buildroot}}/usr/lib64 && cp -a {tree}/usr/. %{{buildroot}}/usr/\n"
        "mv %{buildroot}/usr/lib/python3.11 %{buildroot}/usr/lib64/\n"
        "%files\n" + "\n".join(f'"{f}"' for f in files) + "\n"
    )
    subprocess.run(
        [
            "rpmbuild",
            "-bb",
            "--quiet",
            "--define",
            f"_topdir {top}",
            "--define",
            f"_binary_payload {payload}",
            "--define",
            "__os_install_post %{nil}",
            "--define",
            "_build_id_links none",
            str(spec),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.move(next((top / "RPMS").rglob("*.rpm")), dest)
    shutil.rmtree(top)


def build_big(tree: Path, dest: Path, *, md5sums: bool = True) -> None:
    """The stdlib tree plus a 500 MB member (zeros, compressed with zstd)."""
    big = WORK / "bigtree"
    shutil.rmtree(big, ignore_errors=True)
    shutil.copytree(tree, big, symlinks=True)
    blob = big / "usr" / "share" / "big" / "blob"
    blob.parent.mkdir(parents=True)
    with blob.open("wb") as handle:
        for _ in range(500):
            handle.write(bytes(1024 * 1024))
    if md5sums:
        digest = subprocess.run(["md5sum", str(blob)], capture_output=True, text=True, check=True)
        with (big / "DEBIAN" / "md5sums").open("a") as handle:
            handle.write(f"{digest.stdout.split()[0]}  usr/share/big/blob\n")
    else:
        (big / "DEBIAN" / "md5sums").unlink()
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zzstd", "-b", str(big), str(dest)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(big)


def copies(package: Path, count: int, where: Path) -> list[str]:
    where.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = where / f"{n:04d}-{package.name}"
        if not path.exists():
            os.link(package, path)
        paths.append(str(path))
    return paths


def pipeline(kind: str, paths: list[str]) -> list[str]:
    if kind.startswith("deb"):
        step = f'dpkg-deb --fsys-tarfile "$p" | tar -xO ./{MARKER}'
    else:
        step = (
            f'rpm2cpio "$p" | cpio -i --quiet --to-stdout ./{MARKER.replace("/lib/", "/lib64/", 1)}'
        )
    return ["bash", "-c", f'for p in "$@"; do {step} >/dev/null; done', "pipeline", *paths]


def mix() -> list[str]:
    """The real mix: 300+ bookworm packages and the python3.11 build's 16."""
    found = sorted(str(p) for p in (DEBS / "mix").glob("*.deb"))
    found += sorted(str(p) for p in (DEBS / "python3.11").glob("*.deb"))
    if len(found) < 316:
        raise SystemExit("no mix in build/debs: run tests/fetch-debian-packages --bench")
    return found


def data_members(debs: list[str]) -> list[str]:
    """Each package's compressed data member, extracted once (for the floor)."""
    where = WORK / "members"
    where.mkdir(parents=True, exist_ok=True)
    members = []
    for deb in debs:
        names = subprocess.run(["ar", "t", deb], capture_output=True, text=True, check=True)
        [name] = [n for n in names.stdout.split() if n.startswith("data.tar")]
        out = where / (Path(deb).name + "." + name)
        if not out.exists():
            data = subprocess.run(["ar", "p", deb, name], capture_output=True, check=True).stdout
            out.write_bytes(data)
        members.append(str(out))
    return members


def floor(members: list[str]) -> list[str]:
    """Decompress every member in C, one process per core: the floor of any exact reader."""
    tools = {".xz": "xz -dc", ".zst": "zstd -qdc", ".gz": "gzip -dc", ".tar": "cat"}
    script = (
        'for m in "$@"; do case "$m" in '
        + " ".join(f'*{suffix}) {tool} "$m" >/dev/null;;' for suffix, tool in tools.items())
        + " esac; done"
    )
    cores = os.cpu_count() or 1
    share = [members[n::cores] for n in range(cores)]
    jobs = " & ".join(
        "bash -c " + _quote(script) + " floor " + " ".join(_quote(m) for m in part)
        for part in share
    )
    return ["bash", "-c", jobs + " & wait"]


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def real_mix(env: dict[str, str], runs: int) -> None:
    debs = mix()
    members = data_members(debs)
    cores = os.cpu_count() or 1
    check = [*marker_tool(), "check"]
    listing = " ".join(_quote(d) for d in debs)
    commands = {
        "check (default jobs)": [*check, *debs],
        "check --jobs 1": [*check, "--jobs", "1", *debs],
        f"xargs -P{cores} dpkg-deb -c | grep": [
            "bash",
            "-c",
            f"ls {listing} | xargs -P{cores} -n1 dpkg-deb -c | grep EXTERNALLY-MANAGED",
        ],
        "for loop of dpkg-deb -c | grep": [
            "bash",
            "-c",
            f"for p in {listing}; do dpkg-deb -c $p | grep EXTERNALLY-MANAGED; done",
        ],
        f"decompression floor ({cores} cores)": floor(members),
    }
    times = {}
    print(f"\nreal mix: {len(debs)} packages, best of {runs} runs")
    for name, cmd in commands.items():
        took, rss = best(cmd, env, runs)
        times[name] = took
        print(f"  {name:<34} {took:>7.2f}s  RSS {rss / 1024:>6.1f}MB")
    ours = times["check (default jobs)"]
    pipe = times[f"xargs -P{cores} dpkg-deb -c | grep"] / ours
    loop = times["for loop of dpkg-deb -c | grep"] / ours
    over = ours / times[f"decompression floor ({cores} cores)"]
    print(f"  check vs xargs -P{cores} pipeline: {pipe:.2f}x faster (goal >= 1.0)")
    print(f"  check vs for loop: {loop:.2f}x faster (goal >= 1.6)")
    print(f"  check vs decompression floor: {over:.2f}x the floor (goal <= 1.3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", type=int, default=20, help="packages per set")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (best is kept)")
    parser.add_argument("--mix-only", action="store_true", help="only the real mix")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as pycache:
        env = bench_env(pycache)
        real_mix(env, args.runs)
        if args.mix_only:
            return
        inputs = build_inputs()
        check = [*marker_tool(), "check"]
        print(
            f"{args.packages} packages per set; best of {args.runs} runs; jobs = {os.cpu_count()}"
        )
        print(f"{'set':<14} {'pipeline':>10} {'check':>9} {'ratio':>7} {'check RSS':>10}")
        print("(each set: --packages copies, then the rpm sets again with 200)")
        peak = 0
        sets = [(kind, args.packages) for kind in ("deb-xz", "deb-zstd", "rpm-xz", "rpm-zstd")]
        sets += [("rpm-xz", 200), ("rpm-zstd", 200)]  # the start-up cost spread wider
        for kind, count in sets:
            paths = copies(inputs[kind], count, WORK / "copies" / kind)
            theirs, _ = best(pipeline(kind, paths), env, args.runs)
            ours, rss = best([*check, *paths], env, args.runs)
            peak = max(peak, rss)
            label = f"{kind} x{count}"
            print(
                f"{label:<14} {theirs * 1000:>8.0f}ms {ours * 1000:>7.0f}ms"
                f" {theirs / ours:>6.1f}x {rss / 1024:>8.1f}MB"
            )
        for kind in ("big", "big-full-scan"):
            took, rss = best([*check, str(inputs[kind])], env, 1)
            peak = max(peak, rss)
            print(
                f"{kind:<14} 500 MB member: check {took * 1000:.0f}ms, peak RSS {rss / 1024:.1f}MB"
            )
        print(f"peak RSS over every run: {peak / 1024:.1f}MB (goal: below 64MB)")
        per = {}
        for count in (100, 1000):
            paths = copies(inputs["deb-zstd"], count, WORK / "copies" / "scale")
            took, rss = best([*check, *paths], env, 1)
            per[count] = took / count
            print(
                f"{count:>5} packages: check {took:.2f}s, {per[count] * 1000:.2f}ms each,"
                f" RSS {rss / 1024:.1f}MB"
            )
        print(f"per-package cost, 1000 vs 100: {per[1000] / per[100]:.2f}x (1.0 = linear)")


if __name__ == "__main__":
    main()

"""`audit` without external programs: repositories written here byte by byte.

The packages are real .deb archives (ar, control.tar, data.tar) made with the standard
library, the indexes are what apt-ftparchive writes (Packages, Contents-<arch>, Release
with SHA256), unsigned (`--no-verify`): the signed and apt-ftparchive-made ones are in
test_audit_real.py. Hostile indexes and mirrors get a clear error, exit 2.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool.audit import report
from marker_tool.audit.candidates import Scan, plan_systems
from marker_tool.audit.context import Options
from marker_tool.audit.fetch import Cache, Expected, Mirror, MirrorError, Stats, fetch
from marker_tool.audit.model import Binary
from marker_tool.audit.run import audit
from marker_tool.cli import cli
from tests.packages import ar_archive, member, tar_bytes

ROOT = Path(__file__).resolve().parent.parent
MARKER = b"[externally-managed]\nError = Use apt to install Python packages.\n"


def deb(
    name: str,
    files: dict[str, bytes],
    *,
    version: str = "3.12.1-1",
    arch: str = "amd64",
    source: str | None = "python3.12",
    preinst: str | None = None,
) -> bytes:
    control = f"Package: {name}\nVersion: {version}\nArchitecture: {arch}\n"
    if source:
        control += f"Source: {source}\n"
    control += "Maintainer: Test <t@example.org>\nDescription: test\n"
    sums = "".join(f"{hashlib.md5(d).hexdigest()}  {p}\n" for p, d in files.items())
    control_members = [member("./control", control.encode()), member("./md5sums", sums.encode())]
    if preinst:
        control_members.append(member("./preinst", preinst.encode(), mode=0o755))
    data = [member(f"./{p}", d, uname="root", gname="root") for p, d in files.items()]
    return ar_archive(
        [
            ("debian-binary", b"2.0\n"),
            ("control.tar", tar_bytes(control_members)),
            ("data.tar", tar_bytes(data)),
        ]
    )


def stdlib(version: str = "3.12", marker: bytes | None = MARKER) -> dict[str, dict[str, bytes]]:
    """Debian's split: os.py in -minimal, the rest and the marker in -stdlib."""
    lib = f"usr/lib/python{version}"
    rest = {f"{lib}/argparse.py": b"# argparse\n"}
    if marker is not None:
        rest[f"{lib}/EXTERNALLY-MANAGED"] = marker
    return {
        f"libpython{version}-minimal": {f"{lib}/os.py": b"import abc\n"},
        f"libpython{version}-stdlib": rest,
    }


def write_repo(
    root: Path,
    suite: str,
    packages: dict[str, Sequence[tuple[str, bytes]]],
    *,
    valid_until: str | None = None,
    tamper: bool = False,
) -> Path:
    """An apt repository: arch -> (file name, .deb bytes), with Packages, Contents and Release."""
    dists = root / "dists" / suite
    listed: list[str] = []
    for arch, debs in packages.items():
        stanzas, contents = [], []
        for filename, data in debs:
            pool = root / "pool" / suite / filename
            pool.parent.mkdir(parents=True, exist_ok=True)
            pool.write_bytes(data)
            fields = _control_of(data)
            stanzas.append(
                "".join(f"{k}: {v}\n" for k, v in fields.items())
                + f"Filename: pool/{suite}/{filename}\nSize: {len(data)}\n"
                f"SHA256: {hashlib.sha256(data).hexdigest()}\n"
            )
            for path in _paths_of(data):
                contents.append(f"{path:<60} python/{fields['Package']}\n")
        folder = dists / "main" / f"binary-{arch}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "Packages").write_text("\n".join(stanzas))
        (dists / "main" / f"Contents-{arch}.gz").write_bytes(
            gzip.compress("".join(sorted(contents)).encode(), mtime=0)
        )
        listed += [f"main/binary-{arch}/Packages", f"main/Contents-{arch}.gz"]
    lines = [
        f"{hashlib.sha256((dists / p).read_bytes()).hexdigest()} {(dists / p).stat().st_size} {p}"
        for p in listed
    ]
    release = (
        f"Origin: Test\nSuite: {suite}\nCodename: {suite}\n"
        + (f"Valid-Until: {valid_until}\n" if valid_until else "")
        + f"Architectures: {' '.join(packages)}\nComponents: main\nSHA256:\n"
        + "".join(f" {line}\n" for line in lines)
    )
    (dists / "Release").write_text(release)
    if tamper:  # the index changes after the Release was written
        with open(dists / "main" / f"binary-{next(iter(packages))}" / "Packages", "a") as f:
            f.write("\n")
    return root


def _control_of(data: bytes) -> dict[str, str]:
    control = _member(data, "control.tar")
    with tarfile.open(fileobj=io.BytesIO(control)) as tar:
        text = tar.extractfile("./control").read().decode()  # type: ignore[union-attr]
    return dict(line.split(": ", 1) for line in text.splitlines())


def _paths_of(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(_member(data, "data.tar"))) as tar:
        return [m.name.removeprefix("./") for m in tar.getmembers() if m.isfile()]


def _member(data: bytes, name: str) -> bytes:
    at = 8
    while at < len(data):
        header = data[at : at + 60]
        size = int(header[48:58])
        if header[:16].strip().decode() == name:
            return data[at + 60 : at + 60 + size]
        at += 60 + size + size % 2
    raise KeyError(name)


def split_stdlib_debs(version: str = "3.12", **kwargs: object) -> list[tuple[str, bytes]]:
    return [
        (f"{name}.deb", deb(name, files, source=f"python{version}", **kwargs))  # type: ignore[arg-type]
        for name, files in stdlib(version, **kwargs.pop("marker_kw", {})).items()  # type: ignore[arg-type]
    ]


def run_audit(root: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["audit", str(root), "--no-verify", "--cache", str(tmp_path / "cache"), *args]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


# -- candidates, from file lists alone ---------------------------------------------------------


def binary(name: str, source: str = "python3.12", arch: str = "amd64", v: str = "1") -> Binary:
    return Binary(name, v, arch, source, v, f"pool/{name}.deb", 10, "0" * 64)


def test_a_split_stdlib_is_one_system_and_other_packages_are_no_candidates() -> None:
    scan = Scan()
    scan.feed("usr/lib/python3.12/os.py", ["libpython3.12-minimal"])
    scan.feed("usr/lib/python3.12/argparse.py", ["libpython3.12-stdlib"])
    scan.feed("usr/lib/python3.12/EXTERNALLY-MANAGED", ["libpython3.12-stdlib"])
    scan.feed("usr/lib/python3.12/idlelib/idle.py", ["idle-python3.12"])
    scan.feed("usr/lib/python3/dist-packages/six.py", ["python3-six"])
    scan.feed("etc/python3.12/sitecustomize.py", ["libpython3.12-minimal"])
    assert scan.names == {"libpython3.12-minimal", "libpython3.12-stdlib"}
    found = {n: [binary(n)] for n in scan.names}
    (plan,) = plan_systems("sid", "amd64", scan, found)
    assert [p.name for p in plan.packages] == ["libpython3.12-minimal", "libpython3.12-stdlib"]
    assert plan.label == "sid/amd64: python3.12 1"


def test_a_branding_package_joins_the_system_whose_marker_it_replaces() -> None:
    scan = Scan()
    scan.feed("usr/lib/python3.12/os.py", ["libpython3.12-minimal"])
    scan.feed("usr/lib/python3.12/EXTERNALLY-MANAGED", ["acme-branding", "libpython3.12-stdlib"])
    scan.feed("usr/lib/python3.11/EXTERNALLY-MANAGED", ["stale-branding"])
    found = {n: [binary(n)] for n in scan.names}
    found["acme-branding"] = [binary("acme-branding", source="acme", arch="all")]
    found["stale-branding"] = [binary("stale-branding", source="stale", arch="all")]
    plans = {p.source: p for p in plan_systems("sid", "amd64", scan, found)}
    assert [p.name for p in plans["python3.12"].packages] == [
        "acme-branding",
        "libpython3.12-minimal",
        "libpython3.12-stdlib",
    ]
    # A marker for a Python the suite does not ship is a system of its own (check: EM602).
    assert [p.name for p in plans["stale"].packages] == ["stale-branding"]


def test_a_pypy_stdlib_is_a_candidate() -> None:
    scan = Scan()
    scan.feed("usr/lib/pypy3.11/os.py", ["pypy3-lib"])
    assert scan.stdlibs == {"pypy3-lib": {"usr/lib/pypy3.11"}}

    # PyPy 3.7 (bullseye): modules in lib-python/3 and the extensions naming 3.7 are in two
    # packages of the build, both needed to tell its stdlib (lib-python/3.7); a subpackage's
    # module or another extension is neither.
    older = Scan()
    older.feed("usr/lib/pypy3/lib-python/3/os.py", ["pypy3-lib"])
    older.feed("usr/lib/pypy3/lib_pypy/_curses_cffi.pypy37-pp73-x86_64-linux-gnu.so", ["pypy3"])
    older.feed("usr/lib/pypy3/lib-python/3/json/__init__.py", ["pypy3-lib-testsuite"])
    older.feed("usr/lib/pypy3/lib_pypy/cffi/api.py", ["python3-cffi"])
    home = {"usr/lib/pypy3/lib-python/3"}
    assert older.stdlibs == {"pypy3-lib": home, "pypy3": home}


def test_rpm_file_lists_are_absolute_and_read_the_same() -> None:
    scan = Scan()
    scan.feed("/usr/lib64/python3.13t/os.py", ["abc123"])
    assert scan.stdlibs == {"abc123": {"usr/lib64/python3.13t"}}


# -- a whole audit of a local repository ----------------------------------------------------


def test_audit_of_a_local_repository_gives_check_verdicts(tmp_path: Path) -> None:
    broken = [(f"{n}.deb", deb(n, f, source="python3.13", version="3.13.1-1"))
              for n, f in stdlib("3.13", marker=None).items()]  # fmt: skip
    good = [(f"{n}.deb", deb(n, f)) for n, f in stdlib("3.12").items()]
    other = [("six.deb", deb("python3-six", {"usr/lib/python3/dist-packages/six.py": b""},
                              arch="all", source="six"))]  # fmt: skip
    root = write_repo(tmp_path / "repo", "sid", {"amd64": good + broken + other})
    code, out = run_audit(root, tmp_path, "--suite", "sid")
    assert code == 1, out
    assert "sid/amd64: libpython3.13-minimal_3.13.1-1_amd64 usr/lib/python3.13: EM601" in out
    assert (
        "sid/amd64: libpython3.12-stdlib_3.12.1-1_amd64 (pool/sid/libpython3.12-stdlib.deb): "
        "PASSED\n" in out
    )
    assert "python3-six" not in out  # never a candidate, never fetched
    assert "its Release signature was not checked (--no-verify)" in out
    result = audit(
        str(root),
        options=Options(suites=("sid",), verify=False),
        cache_dir=tmp_path / "cache",
    )
    assert [(c.plan.source, c.verdict, c.fresh) for c in result.systems] == [
        ("python3.12", "PASSED", False),
        ("python3.13", "FAILED", False),
    ]  # the second run: every verdict from the cache
    assert result.stats.packages_fetched == 0
    assert result.stats.packages_cached == 4
    assert result.stats.index_bytes < 2000  # the Release file, no index read again


def test_the_json_document_follows_its_schema_and_the_schema_file_is_current(
    tmp_path: Path,
) -> None:
    import jsonschema

    schema = report.json_schema()
    committed = json.loads((ROOT / "docs" / "schema" / "audit.schema.json").read_text())
    assert committed == schema, (
        "regenerate: python -m marker_tool.audit.report > docs/schema/audit.schema.json"
    )
    root = write_repo(
        tmp_path / "repo", "sid", {"amd64": [(f"{n}.deb", deb(n, f)) for n, f in stdlib().items()]}
    )
    code, out = run_audit(root, tmp_path, "--suite", "sid", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, schema)
    (system,) = doc["systems"]
    (marker,) = system["markers"]
    assert marker["text"] == MARKER.decode()
    assert marker["previews"][0]["pip"]["text"] == "Use apt to install Python packages."
    doc["systems"][0]["verdict"] = "fine"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)


@pytest.mark.parametrize("fmt", ["github", "junit", "codequality", "sarif"])
def test_the_ci_formats_are_checks_with_suite_and_arch(tmp_path: Path, fmt: str) -> None:
    broken = [(f"{n}.deb", deb(n, f)) for n, f in stdlib(marker=None).items()]
    root = write_repo(tmp_path / "repo", "sid", {"amd64": broken})
    code, out = run_audit(root, tmp_path, "--suite", "sid", "--format", fmt)
    assert code == 1
    assert "EM601" in out
    if fmt == "github":
        assert "::error file=pool/sid/libpython3.12-minimal.deb," in out
    if fmt == "junit":
        assert 'name="sid/amd64: libpython3.12-minimal_3.12.1-1_amd64"' in out


def test_two_runs_compared(tmp_path: Path) -> None:
    base = write_repo(
        tmp_path / "base",
        "stable",
        {"amd64": [(f"{n}.deb", deb(n, f)) for n, f in stdlib().items()]},
    )
    changed = {**stdlib()}
    changed["libpython3.12-stdlib"]["usr/lib/python3.12/EXTERNALLY-MANAGED"] = (
        b"[externally-managed]\nError = Acme.\n"
    )
    derived = write_repo(
        tmp_path / "derived",
        "acme",
        {"amd64": [(f"{n}.deb", deb(n, f, version="3.12.1-1acme1")) for n, f in changed.items()]},
    )
    code, out = run_audit(base, tmp_path, "--suite", "stable", "--format", "json")
    (tmp_path / "base.json").write_text(out)
    html = tmp_path / "report.html"
    code, out = run_audit(
        derived,
        tmp_path,
        "--suite",
        "acme",
        "--compare",
        str(tmp_path / "base.json"),
        "--html",
        str(html),
    )
    assert code == 0, out
    assert "compared with" in out
    assert "acme/amd64 python3.12: version, marker (3.12.1-1 PASSED -> 3.12.1-1acme1 PASSED)" in out
    page = html.read_text()
    assert "+Error = Acme." in page
    assert "-Error = Use apt to install Python packages." in page


def test_the_html_page_escapes_what_the_mirror_says(tmp_path: Path) -> None:
    hostile = b"[externally-managed]\nError = <script>alert(1)</script>\n"
    debs = [(f"{n}.deb", deb(n, f)) for n, f in stdlib(marker=hostile).items()]
    root = write_repo(tmp_path / "repo", "sid", {"amd64": debs})
    html = tmp_path / "r.html"
    run_audit(root, tmp_path, "--suite", "sid", "--html", str(html))
    page = html.read_text()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http://" not in page.replace("http://www.w3.org", "")  # no external asset


# -- hostile indexes and mirrors: a clear error, exit 2 --------------------------------------


def test_an_index_that_does_not_match_its_release_hash_is_refused(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", "sid", {"amd64": split_stdlib_debs()}, tamper=True)
    code, out = run_audit(root, tmp_path, "--suite", "sid")
    assert code == 2
    assert "dists/sid/main/binary-amd64/Packages: longer than the" in out


def test_an_expired_release_needs_allow_expired(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path / "repo", "sid", {"amd64": split_stdlib_debs()},
        valid_until="Fri, 06 Nov 2026 08:08:01 UTC",
    )  # fmt: skip
    code, out = run_audit(root, tmp_path, "--suite", "sid")
    assert code == 2
    assert "expired on Fri, 06 Nov 2026 08:08:01 UTC (Valid-Until)" in out
    assert "--allow-expired" in out
    code, out = run_audit(root, tmp_path, "--suite", "sid", "--allow-expired")
    assert code == 0
    assert "sid: note: its Release file expired on" in out


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--suite", "sdi"], "did you mean `sid`?"),
        (["--suite", "sid", "--arch", "amd46"], "no architecture `amd46` here"),
        (["--suite", "sid", "--component", "mian"], "did you mean `main`?"),
    ],
)
def test_a_wrong_name_is_a_usage_error(tmp_path: Path, args: list[str], said: str) -> None:
    root = write_repo(tmp_path / "repo", "sid", {"amd64": split_stdlib_debs()})
    code, out = run_audit(root, tmp_path, *args)
    assert code == 2
    assert said in out
    assert "Traceback" not in out


def test_not_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run_audit(tmp_path, tmp_path, "--suite", "sid")
    assert code == 2
    assert "neither an apt repository (dists/) nor an rpm-md one" in out
    code, out = run_audit(tmp_path / "nowhere", tmp_path)
    assert code == 2
    assert "no such repository folder" in out


def test_a_packages_stanza_naming_a_path_outside_the_repository_is_refused(
    tmp_path: Path,
) -> None:
    root = write_repo(tmp_path / "repo", "sid", {"amd64": split_stdlib_debs()})
    packages = root / "dists/sid/main/binary-amd64/Packages"
    packages.write_text(packages.read_text().replace("Filename: pool/", "Filename: ../../etc/"))
    _rewrite_release(root / "dists/sid")
    code, out = run_audit(root, tmp_path, "--suite", "sid")
    assert code == 1
    assert "a path outside the repository" in out


def test_a_contents_line_past_the_cap_is_refused(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", "sid", {"amd64": split_stdlib_debs()})
    contents = root / "dists/sid/main/Contents-amd64.gz"
    contents.write_bytes(gzip.compress(b"x" * (2 * 1024 * 1024) + b" python/a\n"))
    _rewrite_release(root / "dists/sid")
    code, out = run_audit(root, tmp_path, "--suite", "sid")
    assert code == 2
    assert "line 1 is longer than 1048576 bytes (a hostile index?)" in out


def test_a_corrupt_index_is_an_error_naming_it(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", "sid", {"amd64": split_stdlib_debs()})
    contents = root / "dists/sid/main/Contents-amd64.gz"
    contents.write_bytes(contents.read_bytes()[:-12])
    _rewrite_release(root / "dists/sid")
    code, out = run_audit(root, tmp_path, "--suite", "sid")
    assert code == 2
    assert "Contents-amd64.gz: the compressed payload ends early (truncated?)" in out


def _rewrite_release(dists: Path) -> None:
    """The Release's SHA256 lines made to match the indexes again (a consistent liar)."""
    text = (dists / "Release").read_text()
    head, _, listed = text.partition("SHA256:\n")
    lines = []
    for line in listed.splitlines():
        path = line.split()[2]
        data = (dists / path).read_bytes()
        lines.append(f" {hashlib.sha256(data).hexdigest()} {len(data)} {path}\n")
    (dists / "Release").write_text(head + "SHA256:\n" + "".join(lines))


def test_a_download_never_reads_past_its_size_and_is_kept_only_when_its_hash_matches(
    tmp_path: Path,
) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "f").write_bytes(b"x" * 100)
    mirror, cache, stats = Mirror(str(tmp_path / "m")), Cache(tmp_path / "c"), Stats()
    good = Expected(100, hashlib.sha256(b"x" * 100).hexdigest())
    with pytest.raises(MirrorError, match="longer than the 50 bytes"):
        fetch(mirror, cache, "f", Expected(50, good.sha256), stats, kind="package")
    with pytest.raises(MirrorError, match="its sha256 is not the one its index gives"):
        fetch(mirror, cache, "f", Expected(100, "0" * 64), stats, kind="package")
    assert not cache.has(Expected(100, "0" * 64))
    # A cut download is resumed from where it stopped.
    cache.partial(good.sha256).write_bytes(b"x" * 40)
    path = fetch(mirror, cache, "f", good, stats, kind="package")
    assert path.read_bytes() == b"x" * 100
    assert stats.package_bytes == 50 + 100 + 60  # the two refused, then the resumed part
    with pytest.raises(MirrorError, match="outside the repository"):
        fetch(mirror, cache, "../m/f", good, stats, kind="package")


def test_the_release_date_check() -> None:
    from marker_tool.audit.apt import _expired

    fields = {"valid-until": "Fri, 06 Nov 2026 08:08:01 UTC"}
    before = datetime(2026, 11, 1, tzinfo=UTC)
    after = datetime(2026, 12, 1, tzinfo=UTC)
    assert _expired(fields, "R", False, before) is False
    assert _expired(fields, "R", True, after) is True
    with pytest.raises(MirrorError, match="expired"):
        _expired(fields, "R", False, after)
    with pytest.raises(MirrorError, match="is not a date"):
        _expired({"valid-until": "soon"}, "R", False, after)


def test_an_untrusted_index_of_one_architecture_leaves_the_others_audited(
    tmp_path: Path,
) -> None:
    root = write_repo(
        tmp_path / "repo", "sid", {"amd64": split_stdlib_debs(), "arm64": split_stdlib_debs("3.13")}
    )
    contents = root / "dists/sid/main/Contents-arm64.gz"
    contents.write_bytes(contents.read_bytes() + b"more")
    code, out = run_audit(root, tmp_path, "--suite", "sid", "--format", "json")
    assert code == 2
    doc = json.loads(out[: out.rindex("}") + 1])
    assert [s["arch"] for s in doc["systems"]] == ["amd64"]
    (error,) = doc["suites"][0]["errors"]
    assert error.startswith("arm64 not audited: ")
    assert "Contents-arm64.gz: " in error
    assert "error: sid: arm64 not audited: " in out

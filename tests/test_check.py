"""`check` on real packages: dpkg-deb and rpmbuild builds, mutated copies, hostile archives."""

from __future__ import annotations

import gzip
import hashlib
import json
import lzma
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tool.check import Expectation, check
from marker_tool.cli import cli
from marker_tool.model import PythonVersion
from marker_tool.sources.base import Limits
from marker_tool.sources.deb import read_deb
from marker_tool.sources.detect import read
from marker_tool.sources.rpm import read_rpm
from tests.packages import (
    DEB_COMPRESSIONS,
    MARKER,
    File,
    Link,
    Tree,
    ar_archive,
    build_deb,
    build_rpm,
    docker_save,
    hand_deb,
    image_layers,
    member,
    oci_layout,
    stdlib_tree,
    tar_bytes,
    tar_segment,
    tool,
)

PY312 = PythonVersion(3, 12)


def codes(path: Path, **options: object) -> list[str]:
    [report] = check([path], **options)  # type: ignore[arg-type]
    return report.codes()


# -- good packages in every format -----------------------------------------------------


@pytest.mark.parametrize("compression", DEB_COMPRESSIONS)
@pytest.mark.real  # dpkg-deb builds the packages
def test_deb_in_every_compression_passes(tmp_path: Path, compression: str) -> None:
    deb = build_deb(stdlib_tree(), tmp_path / "p.deb", compression=compression)
    [report] = check([deb])
    assert report.verdict == "PASSED", report
    assert report.label == "libpython3.12-stdlib_3.12.1-1_amd64"
    assert [s.text for s in report.shown] == ["Use the package manager to install Python packages."]


@pytest.mark.parametrize("payload", ["gzip", "xz", "zstd", "bzip2"])
@pytest.mark.real  # rpmbuild builds the packages
def test_rpm_in_every_payload_passes(tmp_path: Path, payload: str) -> None:
    rpm = build_rpm(stdlib_tree("usr/lib64/python3.12"), tmp_path / "p.rpm", payload=payload)
    [report] = check([rpm])
    assert report.verdict == "PASSED", report
    assert report.label == "python3-libs_3.12.1-1_x86_64"
    assert report.format == "rpm"


@pytest.mark.real  # dpkg-deb builds the packages
def test_every_header_of_a_deb_is_read_even_past_its_listed_markers(tmp_path: Path) -> None:
    tree = stdlib_tree()
    tree.update({f"usr/share/big/{n}.bin": File(bytes(100_000)) for n in range(20)})
    deb = build_deb(tree, tmp_path / "p.deb")
    package = read_deb(str(deb))
    assert "usr/share/big/19.bin" in package.entries


@pytest.mark.real  # dpkg-deb builds the packages
def test_free_threaded_stdlib_needs_its_own_marker(tmp_path: Path) -> None:
    tree = {**stdlib_tree(), **stdlib_tree("usr/lib/python3.13t", marker=None)}
    deb = build_deb(tree, tmp_path / "p.deb")
    assert codes(deb) == ["EM601"]
    tree = {**stdlib_tree(), **stdlib_tree("usr/lib/python3.13t")}
    assert codes(build_deb(tree, tmp_path / "q.deb")) == []


@pytest.mark.parametrize("builder", ["deb", "rpm"])
@pytest.mark.real  # dpkg-deb and rpmbuild build the packages
def test_gentoo_symlinked_marker_is_resolved_inside_the_package(
    tmp_path: Path, builder: str
) -> None:
    lib = "usr/lib" if builder == "deb" else "usr/lib64"
    tree = stdlib_tree(f"{lib}/python3.12", marker=None)
    tree[f"{lib}/python3.12/EXTERNALLY-MANAGED"] = Link("../../share/python-marker/3.12")
    tree["usr/share/python-marker/3.12"] = File(MARKER)
    pkg = tmp_path / f"p.{builder}"
    (build_deb if builder == "deb" else build_rpm)(tree, pkg)
    [report] = check([pkg])
    assert report.verdict == "PASSED", report
    assert report.shown[0].text is not None


def test_homebrew_framework_and_usr_local_layouts_are_found(tmp_path: Path) -> None:
    stdlib = (
        "opt/homebrew/Cellar/python@3.12/3.12.1/Frameworks/Python.framework"
        "/Versions/3.12/lib/python3.12"
    )
    root = tmp_path / "root"
    for where, item in stdlib_tree(stdlib).items():
        (root / where).parent.mkdir(parents=True, exist_ok=True)
        assert isinstance(item, File)
        (root / where).write_bytes(item.data)
    (root / stdlib / "EXTERNALLY-MANAGED").chmod(0o644)
    [report] = check([root])
    assert [s.path for s in report.shown] == [f"{stdlib}/EXTERNALLY-MANAGED"]


# -- mutated copies, each failing with its code ---------------------------------------------


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        ("marker removed", ["EM601"]),
        ("corrupted", ["EM101"]),
        ("duplicated key", ["EM205"]),
        ("mode 0600", ["EM502"]),
        ("mode 0664", ["EM504"]),
        ("owned by a user", ["EM505"]),
        ("non-stdlib package", ["EM602"]),
        ("stale marker", ["EM601", "EM602"]),
        ("md5sums disagree", ["EM605"]),
    ],
)
@pytest.mark.parametrize("compression", ["xz", "zstd"])
@pytest.mark.real  # dpkg-deb builds the packages
def test_mutated_deb_fails_with_its_code(
    tmp_path: Path, mutation: str, expected: list[str], compression: str
) -> None:
    marker = "usr/lib/python3.12/EXTERNALLY-MANAGED"
    tree = stdlib_tree()
    md5sums = None
    if mutation == "marker removed":
        del tree[marker]
    elif mutation == "corrupted":
        tree[marker] = File(b"[externally-managed]\nError = caf\xe9\n")
    elif mutation == "duplicated key":
        tree[marker] = File(MARKER + b"Error = again\n")
    elif mutation == "mode 0600":
        tree[marker] = File(MARKER, mode=0o600)
    elif mutation == "mode 0664":
        tree[marker] = File(MARKER, mode=0o664)
    elif mutation == "owned by a user":
        tree[marker] = File(MARKER, owner=(1000, 1000))
    elif mutation == "non-stdlib package":
        tree = {marker: File(MARKER)}
    elif mutation == "stale marker":
        tree = {**stdlib_tree("usr/lib/python3.13", marker=None), marker: File(MARKER)}
    elif mutation == "md5sums disagree":
        md5sums = {marker: hashlib.md5(b"another text").hexdigest()}
        md5sums.update({f"usr/lib/python3.12/{n}": "0" * 32 for n in ("os.py", "argparse.py")})
    deb = build_deb(tree, tmp_path / "p.deb", compression=compression, md5sums=md5sums)
    [report] = check([deb], strict=True)  # EM504 (group-writable) is a warning
    assert not report.passed
    assert sorted(report.codes()) == sorted(expected), report


@pytest.mark.real  # dpkg-deb builds the packages
def test_md5sums_disagreeing_is_a_digest_mismatch(tmp_path: Path) -> None:
    tree = stdlib_tree()
    md5sums = {"usr/lib/python3.12/EXTERNALLY-MANAGED": "0" * 32}
    deb = build_deb(tree, tmp_path / "p.deb", md5sums=md5sums)
    assert read_deb(str(deb)).markers
    [report] = check([deb])
    assert report.codes() == ["EM605"], report


def test_traversal_and_absolute_members_are_refused(tmp_path: Path) -> None:
    deb = tmp_path / "evil.deb"
    deb.write_bytes(
        hand_deb(
            [
                member("./usr/lib/python3.12/os.py", b"x"),
                member("./usr/lib/python3.12/EXTERNALLY-MANAGED", MARKER),
                member("../../etc/EXTERNALLY-MANAGED", MARKER),
                member("/etc/passwd", b"root"),
            ]
        )
    )
    report = check([deb])[0]
    assert report.codes().count("EM604") == 2
    assert not report.passed


def test_symlink_loop_and_escape_are_findings(tmp_path: Path) -> None:
    deb = tmp_path / "links.deb"
    link = tarfile.SYMTYPE
    deb.write_bytes(
        hand_deb(
            [
                member("./usr/lib/python3.12/os.py", b"x"),
                member("./usr/lib/python3.13/os.py", b"x"),
                member("./usr/lib/python3.12/EXTERNALLY-MANAGED", type=link, linkname="loop"),
                member("./usr/lib/python3.12/loop", type=link, linkname="EXTERNALLY-MANAGED"),
                member(
                    "./usr/lib/python3.13/EXTERNALLY-MANAGED",
                    type=link,
                    linkname="../../../../etc/shadow",
                ),
            ]
        )
    )
    [report] = check([deb])
    assert report.codes() == ["EM501", "EM501"]
    assert "loop" in report.markers[0].findings[0].message
    # `..` stops at the root, as the kernel's does: /etc/shadow, which the package lacks
    assert "dangling" in report.markers[1].findings[0].message


def test_hard_link_to_a_marker_carries_its_bytes(tmp_path: Path) -> None:
    deb = tmp_path / "hard.deb"
    deb.write_bytes(
        hand_deb(
            [
                member("./usr/share/marker", MARKER),
                member("./usr/lib/python3.12/os.py", b"x"),
                member(
                    "./usr/lib/python3.12/EXTERNALLY-MANAGED",
                    type=tarfile.LNKTYPE,
                    linkname="./usr/share/marker",
                ),
            ]
        )
    )
    [report] = check([deb])
    assert report.passed, report
    assert report.shown[0].outcome == "message"


# -- hostile and broken input: a clear per-package failure, the run goes on ------------------


CONTROL_TAR = tar_bytes([member("./control", b"Package: hostile\nVersion: 1\nArchitecture: all\n")])


def hostile(tmp_path: Path) -> dict[str, Path]:
    good = build_deb(stdlib_tree(), tmp_path / "good.deb")
    raw = good.read_bytes()
    cases = {
        "truncated": raw[: len(raw) // 2],
        "wrong magic": b"!<arch>\n" + b"\xff" * 200,
        "unknown compression": ar_archive(
            [
                ("debian-binary", b"2.0\n"),
                ("control.tar", CONTROL_TAR),
                ("data.tar.lz4", b"\x04\x22\x4d\x18" + bytes(100)),
            ]
        ),
        "bomb": ar_archive(
            [
                ("debian-binary", b"2.0\n"),
                ("control.tar", CONTROL_TAR),
                (
                    "data.tar.xz",
                    lzma.compress(tar_bytes([member("./zeros", bytes(64 * 1024 * 1024))])),
                ),
            ]
        ),
        "absurd ar size": b"!<arch>\n"
        + b"data.tar        0           0     0     100644  9999999999`\n",
        "negative tar size": hand_deb([member("./x", b"")]).replace(
            b"00000000000\x00", b"-0000000001\x00", 1
        ),
        "corrupt xz": raw[:-200] + bytes(200),
        "many members": hand_deb([member(f"./f{n}") for n in range(3000)]),
        "rpm with absurd header": b"\xed\xab\xee\xdb"
        + bytes(92)
        + b"\x8e\xad\xe8\x01"
        + bytes(4)
        + (0xFFFFFF).to_bytes(4, "big")
        + (0xFFFFFFF).to_bytes(4, "big"),
        "rpm truncated": b"\xed\xab\xee\xdb" + bytes(50),
        "apk not gzip": b"\x1f\x8b" + b"\x00" * 50,
    }
    paths = {}
    for name, data in cases.items():
        path = tmp_path / (name.replace(" ", "-") + ".pkg")
        path.write_bytes(data)
        paths[name] = path
    paths["good"] = good
    return paths


@pytest.mark.real  # dpkg-deb builds the packages
def test_hostile_archives_fail_one_by_one_and_the_run_goes_on(tmp_path: Path) -> None:
    paths = hostile(tmp_path)
    limits = Limits(decompressed=16 * 1024 * 1024, members=2000)
    reports = check(list(paths.values()), limits=limits)
    by_source = {Path(r.source).name: r for r in reports}
    for name, path in paths.items():
        report = by_source[path.name]
        if name == "good":
            assert report.passed
            continue
        assert report.codes() == ["EM600"], (name, report)
        assert "please report" not in report.findings[0].message, (name, report)


@pytest.mark.real  # dpkg-deb builds the packages
def test_hostile_archives_through_the_cli_exit_1_without_traceback(tmp_path: Path) -> None:
    paths = hostile(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["check", "--max-decompressed", "16", "--max-members", "2000", *map(str, paths.values())],
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "decompresses to more than the limit" in result.output
    assert "more than 2000 members" in result.output


def test_special_files_are_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.deb"
    import os

    os.mkfifo(fifo)
    [report] = check(
        [
            fifo,
        ]
    )
    assert report.codes() == ["EM600"]
    assert "FIFO" in report.findings[0].message


@pytest.mark.real  # dpkg-deb builds the packages
def test_a_marker_larger_than_any_marker_is_not_read(tmp_path: Path) -> None:
    tree = stdlib_tree()
    tree["usr/lib/python3.12/EXTERNALLY-MANAGED"] = File(
        b"[externally-managed]\n" + b"#" * 2_000_000
    )
    [report] = check([build_deb(tree, tmp_path / "p.deb")])
    assert report.codes() == ["EM107"]


# -- what the text promises; what the build should have shipped -----------------------------


@pytest.mark.real  # dpkg-deb builds the packages
def test_cited_path_in_another_package_names_it_and_the_missing_dependency(
    tmp_path: Path,
) -> None:
    text = MARKER + b"  See /usr/share/doc/python3.12/README.venv for more.\n"
    stdlib = build_deb(stdlib_tree(marker=text), tmp_path / "stdlib.deb", depends="libc6")
    docs = build_deb(
        {"usr/share/doc/python3.12/README.venv": File(b"venv\n")},
        tmp_path / "docs.deb",
        name="python3.12",
    )
    first, _ = check([stdlib, docs])
    [finding] = [f for f in first.findings if f.code == "EM606"]
    assert "`python3.12_3.12.1-1_amd64`" in finding.message
    assert "does not depend on it" in finding.message
    depending = build_deb(stdlib_tree(marker=text), tmp_path / "dep.deb", depends="python3.12")
    first, _ = check([depending, docs])
    assert "EM606" not in first.codes()
    alone = check([stdlib])[0]
    assert "which is not in" in next(f.message for f in alone.findings)


@pytest.mark.real  # dpkg-deb builds the packages
def test_expect_text_and_config_catch_a_stale_marker(tmp_path: Path) -> None:
    from marker_tool.config import load_preset
    from marker_tool.ini import serialize
    from marker_tool.render import render_markers

    debian = load_preset("debian", pythons=[PY312])
    rendered = serialize(render_markers(debian).markers[0]).encode()
    good = build_deb(stdlib_tree(marker=rendered), tmp_path / "good.deb")
    stale = build_deb(
        stdlib_tree(marker=rendered.replace(b"venv", b"virtualenv", 1)), tmp_path / "stale.deb"
    )

    def codes(*debs: Path, expect: Expectation) -> list[list[str]]:
        reports = check(debs, expect=expect)  # the text cites README.venv: EM606 aside
        return [[c for c in r.codes() if c != "EM606"] for r in reports]

    for expect in (debian, rendered):
        assert codes(good, expect=expect) == [[]]
        assert codes(stale, expect=expect) == [["EM607"]]
    # Given together, they are one build whose two packages ship the same file.
    assert codes(good, stale, expect=debian) == [["EM608"], ["EM607"]]
    expected = tmp_path / "expected"
    expected.write_bytes(rendered)
    result = CliRunner().invoke(cli, ["check", "--expect-text", str(expected), str(stale)])
    assert result.exit_code == 1
    assert "EM607" in result.output


@pytest.mark.real  # dpkg-deb builds the packages
def test_require_python_makes_a_missing_marker_fail_anywhere(tmp_path: Path) -> None:
    deb = build_deb({"usr/share/doc/x/README": File(b"x")}, tmp_path / "p.deb", name="x")
    assert codes(deb) == ["EM610"]  # nothing checked is no pass
    assert codes(deb, allow_no_python=True) == []
    assert codes(deb, require_python=[PY312]) == ["EM601"]


@pytest.mark.real  # dpkg-deb builds the packages
def test_a_split_stdlib_checked_together_passes(tmp_path: Path) -> None:
    minimal = build_deb(
        {"usr/lib/python3.12/os.py": File(b"x")}, tmp_path / "min.deb", name="libpython3.12-minimal"
    )
    stdlib = build_deb(
        {
            "usr/lib/python3.12/argparse.py": File(b"x"),
            "usr/lib/python3.12/EXTERNALLY-MANAGED": File(MARKER),
        },
        tmp_path / "std.deb",
    )
    assert [r.codes() for r in check([minimal, stdlib])] == [[], []]
    assert codes(minimal) == ["EM601"]


# -- output formats ----------------------------------------------------------------------


@pytest.mark.real  # dpkg-deb builds the packages
def test_output_formats(tmp_path: Path) -> None:
    good = build_deb(stdlib_tree(), tmp_path / "good.deb")
    bad = build_deb(stdlib_tree("usr/lib/python3.13", marker=None), tmp_path / "bad.deb")
    runner = CliRunner()
    text = runner.invoke(cli, ["check", str(good), str(bad)])
    assert text.exit_code == 1
    assert f"libpython3.12-stdlib_3.12.1-1_amd64 ({good}): PASSED" in text.output
    assert "libpython3.12-stdlib_3.12.1-1_amd64 usr/lib/python3.13: EM601 error" in text.output
    assert text.output.endswith("2 checked: 1 passed, 0 passed with warnings, 1 failed\n")
    document = json.loads(runner.invoke(cli, ["check", "--format", "json", str(bad)]).output)
    assert document["version"] == 1
    assert set(document["packages"][0]) == {
        "source",
        "label",
        "format",
        "verdict",
        "system",
        "waived",
        "notes",
        "findings",
        "markers",
        "stdlibs",
    }
    assert set(document["packages"][0]["findings"][0]) == {
        "code",
        "severity",
        "path",
        "line",
        "message",
    }
    junit = runner.invoke(cli, ["check", "--format", "junit", str(good), str(bad)]).output
    from xml.etree import ElementTree as ET

    suite = ET.fromstring(junit.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "2"
    assert suite.get("failures") == "1"
    assert [case.find("failure") is not None for case in suite] == [False, True]
    quality = json.loads(runner.invoke(cli, ["check", "--format", "codequality", str(bad)]).output)
    assert quality[0]["check_name"] == "EM601"
    assert quality[0]["severity"] == "major"
    assert len(quality[0]["fingerprint"]) == 64
    github = runner.invoke(cli, ["check", "--format", "github", str(bad)])
    assert github.output.startswith(f"::error file={bad},title=EM601 usr/lib/python3.13::")
    assert github.exit_code == 1


def test_system_codes_are_rules_of_the_one_registry_with_an_explanation() -> None:
    from marker_tool.check.registry import get_rule
    from marker_tool.check.rules import SYSTEM_RULES

    assert [r.code for r in SYSTEM_RULES] == [f"EM6{n:02}" for n in range(len(SYSTEM_RULES))]
    for rule in SYSTEM_RULES:
        assert get_rule(rule.code) is rule
        assert get_rule(rule.name) is rule
        assert rule.severity.value in ("error", "warning")
        assert len(rule.explanation.splitlines()) > 1, rule.code
    result = CliRunner().invoke(cli, ["validate", "--explain", "EM601"])
    assert result.exit_code == 0
    assert result.output.startswith("EM601 missing-marker (error)")


@pytest.mark.real  # dpkg-deb builds the packages
def test_validate_and_preview_point_a_package_at_check(tmp_path: Path) -> None:
    deb = build_deb(stdlib_tree(), tmp_path / "p.deb")
    for command in ("validate", "preview"):
        result = CliRunner().invoke(cli, [command, str(deb)])
        assert result.exit_code == 2, result.output
        assert f"marker-tool check {deb}" in result.output


@pytest.mark.real  # dpkg-deb builds the packages
def test_jobs_give_the_same_reports_in_the_same_order(tmp_path: Path) -> None:
    debs = [
        build_deb(stdlib_tree(marker=None if n % 3 else MARKER), tmp_path / f"{n}.deb")
        for n in range(9)
    ]
    assert check(debs, jobs=1) == check(debs, jobs=4)


# -- the readers agree with dpkg-deb -c and rpm -qlp --dump ------------------------------------


def listing_tree() -> dict[str, File | Link]:
    tree: dict[str, File | Link] = dict(stdlib_tree())  # type: ignore[arg-type]
    tree["usr/lib/python3.12/config.py"] = File(b"#!/bin/sh\n", mode=0o755)
    tree["usr/lib/python3.12/alias.py"] = Link("os.py")
    tree["usr/share/doc/p/README"] = File(b"doc\n" * 100)
    return tree


@pytest.mark.parametrize("compression", DEB_COMPRESSIONS)
@pytest.mark.real  # dpkg-deb builds the packages
def test_deb_reader_agrees_with_dpkg_deb(tmp_path: Path, compression: str) -> None:
    deb = build_deb(listing_tree(), tmp_path / "p.deb", compression=compression)  # type: ignore[arg-type]
    listing = subprocess.run(
        [tool("dpkg-deb"), "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    theirs = {}
    for line in listing.splitlines():
        perms, owner, size, _, _, name, *rest = line.split()
        where = name.removeprefix("./").rstrip("/")
        if where:
            theirs[where] = (perms, owner, int(size), rest[1] if rest else None)
    ours = {
        e.path: (
            _perms(e.kind, e.mode),
            "/".join(e.owner),
            e.size if e.kind == "file" else 0,
            e.link,
        )
        for e in read_deb(str(deb)).entries.values()
    }
    assert ours == theirs


def _perms(kind: str, mode: int) -> str:
    import stat

    kinds = {"file": stat.S_IFREG, "directory": stat.S_IFDIR, "symlink": stat.S_IFLNK}
    return stat.filemode(kinds[kind] | mode)


@pytest.mark.parametrize("payload", ["gzip", "xz", "zstd"])
@pytest.mark.real  # rpmbuild builds the packages, rpm reads them
def test_rpm_reader_agrees_with_rpm_dump(tmp_path: Path, payload: str) -> None:
    rpm = build_rpm(listing_tree(), tmp_path / "p.rpm", payload=payload)  # type: ignore[arg-type]
    dump = subprocess.run(
        [tool("rpm"), "-qlp", "--dump", str(rpm)], capture_output=True, text=True, check=True
    ).stdout
    theirs = {}
    for line in dump.splitlines():
        name, size, _, _digest, mode, user, group, _, _, _, link = line.split()
        theirs[name.lstrip("/")] = (
            int(size),
            int(mode, 8),
            f"{user}/{group}",
            link if link != "X" else None,
        )
    package = read_rpm(str(rpm))
    ours = {
        e.path: (e.size, _type_bits(e.kind) | e.mode, "/".join(e.owner), e.link)
        for e in package.entries.values()
    }
    assert ours == theirs
    assert package.file_list is not None
    assert (
        package.file_list["usr/lib/python3.12/EXTERNALLY-MANAGED"]
        == hashlib.sha256(MARKER).hexdigest()
    )


def _type_bits(kind: str) -> int:
    import stat

    return {"file": stat.S_IFREG, "directory": stat.S_IFDIR, "symlink": stat.S_IFLNK}[kind]


# -- Arch, Alpine, images, trees -------------------------------------------------------


@pytest.mark.real  # tar and zstd build the package
def test_arch_package_uses_its_mtree(tmp_path: Path) -> None:
    tar = tool("tar")
    tool("zstd")
    root = tmp_path / "root"
    from tests.packages import lay_out

    tree = stdlib_tree()
    tree.update({f"usr/share/big/{n}.bin": File(bytes(50_000)) for n in range(10)})
    lay_out(tree, root)
    (root / ".PKGINFO").write_text(
        "pkgname = python\npkgver = 3.12.1-1\narch = x86_64\ndepend = glibc\n"
    )
    mtree = "#mtree\n/set type=file uid=0 gid=0 mode=644\n" + "".join(
        f"./{where} size={len(item.data)} sha256digest={hashlib.sha256(item.data).hexdigest()}\n"
        for where, item in sorted(tree.items())
        if isinstance(item, File)
    )
    (root / ".MTREE").write_bytes(gzip.compress(mtree.encode()))
    names = [".PKGINFO", ".MTREE", *sorted(tree)]
    pkg = tmp_path / "python-3.12.1-1-x86_64.pkg.tar.zst"
    subprocess.run(
        f"{tar} --owner=0 --group=0 --no-recursion -C {root} -cf - {' '.join(names)}"
        f" | zstd -q -o {pkg}",
        shell=True,
        check=True,
    )
    [package] = read(str(pkg)) or []
    assert package.format == "arch"
    assert package.name == "python"
    assert package.depends == ("glibc",)
    [report] = check([pkg])
    assert report.verdict == "PASSED", report


def test_alpine_apk_is_three_gzip_streams(tmp_path: Path) -> None:
    signature = tar_segment([member(".SIGN.RSA.alpine.rsa.pub", b"sig")])
    control = tar_segment(
        [member(".PKGINFO", b"pkgname = python3\npkgver = 3.12.1-r0\narch = x86_64\n")]
    )
    data = tar_bytes(
        [
            member("usr/lib/python3.12/os.py", b"x"),
            member("usr/lib/python3.12/EXTERNALLY-MANAGED", MARKER),
        ]
    )
    apk = tmp_path / "python3-3.12.1-r0.apk"
    apk.write_bytes(gzip.compress(signature) + gzip.compress(control) + gzip.compress(data))
    [package] = read(str(apk)) or []
    assert (package.format, package.name, package.version) == ("apk", "python3", "3.12.1-r0")
    assert ".PKGINFO" not in package.entries
    [report] = check([apk])
    assert report.verdict == "PASSED", report


@pytest.mark.parametrize("make", [docker_save, oci_layout])
def test_image_whose_last_layer_deletes_the_marker_is_caught(tmp_path: Path, make: object) -> None:
    layers = image_layers()
    [kept] = check([make(tmp_path / "a", layers[:1])])  # type: ignore[operator]
    assert kept.verdict == "PASSED", kept
    [deleted] = check([make(tmp_path / "b", layers)])  # type: ignore[operator]
    assert deleted.codes() == ["EM601"]


def test_opaque_directory_hides_everything_below(tmp_path: Path) -> None:
    layers = [*image_layers()[:1], tar_bytes([member("usr/lib/python3.12/.wh..wh..opq")])]
    [report] = check([docker_save(tmp_path, layers)])
    assert report.codes() == ["EM610"]  # no stdlib left, no marker left: nothing checked
    assert report.shown == ()


def test_staging_tree_with_a_wrong_mode(tmp_path: Path) -> None:
    from tests.packages import lay_out

    tree = stdlib_tree()
    tree["usr/lib/python3.12/EXTERNALLY-MANAGED"] = File(MARKER, mode=0o664)
    lay_out(tree, tmp_path / "destdir")
    [report] = check([tmp_path / "destdir"])
    assert report.codes() == ["EM504"]


# -- without backports.zstd or debian-inspector (Debian's own package of marker-tool) --------


@pytest.mark.real  # dpkg-deb builds the packages
def test_zstd_falls_back_to_python3_zstandard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import zstandard  # noqa: F401 -- a test dependency: absent, this fails rather than skips

    from marker_tool.sources import compression

    deb = build_deb(stdlib_tree(), tmp_path / "p.deb", compression="zstd")
    monkeypatch.setattr(compression, "_zstd_module", lambda: None)
    [report] = check([deb])
    assert report.verdict == "PASSED", report


@pytest.mark.real  # dpkg-deb builds the packages
def test_without_any_zstd_module_the_run_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from marker_tool.sources import compression

    deb = build_deb(stdlib_tree(), tmp_path / "p.deb", compression="zstd")
    monkeypatch.setattr(compression, "_zstd_module", lambda: None)
    monkeypatch.setitem(sys.modules, "zstandard", None)
    result = CliRunner().invoke(cli, ["check", str(deb)])
    assert result.exit_code == 2, result.output
    assert "apt install python3-zstandard" in result.output
    assert "Traceback" not in result.output


@pytest.mark.real  # dpkg-deb builds the packages
def test_a_deb_is_read_with_either_control_reader_and_without_both_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    deb = build_deb(stdlib_tree(), tmp_path / "p.deb")
    monkeypatch.setitem(sys.modules, "debian_inspector", None)
    monkeypatch.setitem(sys.modules, "debian_inspector.debcon", None)
    result = CliRunner().invoke(cli, ["check", str(deb)])  # python-debian, as in Debian
    assert result.exit_code == 0, result.output
    assert f"libpython3.12-stdlib_3.12.1-1_amd64 ({deb}): PASSED" in result.output
    monkeypatch.setitem(sys.modules, "debian", None)
    monkeypatch.setitem(sys.modules, "debian.deb822", None)
    result = CliRunner().invoke(cli, ["check", str(deb)])
    assert result.exit_code == 2, result.output
    assert "apt install python3-debian" in result.output
    assert "pip install debian-inspector" in result.output


def test_a_staging_tree_owned_by_the_build_user_is_no_finding(tmp_path: Path) -> None:
    from tests.packages import lay_out
    from tests.realprograms import missing

    if os.geteuid() != 0:
        missing("root, to give the tree to another user (lchown)")
    tree = tmp_path / "debian" / "libpython3.12-stdlib"
    lay_out(stdlib_tree(), tree)
    for path in [tree, *tree.rglob("*")]:
        os.lchown(path, 1000, 1000)  # a non-root build: dpkg-deb writes root:root later
    [report] = check([tree])
    assert report.verdict == "PASSED", report
    os.lchown(tree / "usr", 0, 0)  # owned by root elsewhere: not a build's staging tree
    [report] = check([tree])
    assert report.codes() == ["EM505"], report


@pytest.mark.real  # dpkg-deb builds the packages
def test_every_output_format_is_shared_by_validate_and_check(tmp_path: Path) -> None:
    from marker_tool.output import FORMAT_NAMES

    bad = build_deb(stdlib_tree("usr/lib/python3.13", marker=None), tmp_path / "bad.deb")
    marker = tmp_path / "EXTERNALLY-MANAGED"
    marker.write_bytes(b"[externally-managed]\nerror = x\n")
    runner = CliRunner()
    for fmt in FORMAT_NAMES:
        for command, path in (("check", bad), ("validate", marker)):
            result = runner.invoke(cli, [command, "--format", fmt, str(path)])
            assert result.exit_code == 1, (command, fmt, result.output)
            assert result.output.strip(), (command, fmt)
    sarif = json.loads(runner.invoke(cli, ["check", "--format", "sarif", str(bad)]).output)
    assert sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    [result] = run["results"]
    assert result["ruleId"] == "EM601"
    assert rules[result["ruleIndex"]] == "EM601"
    assert result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(bad)
    sarif = json.loads(runner.invoke(cli, ["validate", "--format", "sarif", str(marker)]).output)
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "EM208"  # `error`: pip reads no `Error`
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 2}


@pytest.mark.real  # dpkg-deb builds the packages
def test_waivers_are_listed_with_their_reason_and_do_not_count(tmp_path: Path) -> None:
    text = MARKER + b"  See /usr/share/doc/python3.12/README.venv for more.\n"
    deb = build_deb(stdlib_tree(marker=text), tmp_path / "stdlib.deb")
    assert check([deb])[0].codes() == ["EM606"]
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--strict", str(deb)])
    assert result.exit_code == 1, result.output
    result = runner.invoke(cli, ["check", "--strict", "--ignore", "EM606", str(deb)])
    assert result.exit_code == 0, result.output
    assert "EM606 waived the text cites" in result.output
    assert "(reason: --ignore)" in result.output
    overrides = tmp_path / "overrides"
    overrides.write_text(
        "# README.venv ships in python3.12.\n"
        "libpython3.12-stdlib: EM606 usr/lib/python3.12/EXTERNALLY-MANAGED\n"
        "\n"
        "other-package: EM601\n"
    )
    result = runner.invoke(cli, ["check", "--strict", "--overrides", str(overrides), str(deb)])
    assert result.exit_code == 0, result.output
    assert "(reason: README.venv ships in python3.12.)" in result.output
    document = json.loads(
        runner.invoke(
            cli, ["check", "--format", "json", "--overrides", str(overrides), str(deb)]
        ).output
    )
    [package] = document["packages"]
    assert package["findings"] == []
    assert [w["code"] for w in package["waived"]] == ["EM606"]
    # Another package's or another path's waiver does not apply.
    overrides.write_text("python3.12: EM606\nEM606 usr/lib/python3.13/*\n")
    result = runner.invoke(cli, ["check", "--strict", "--overrides", str(overrides), str(deb)])
    assert result.exit_code == 1, result.output
    assert "waived" not in result.output


@pytest.mark.real  # dpkg-deb builds the packages
def test_a_waiver_of_an_unknown_code_is_an_error_naming_its_line(tmp_path: Path) -> None:
    deb = build_deb(stdlib_tree(), tmp_path / "p.deb")
    overrides = tmp_path / "overrides"
    overrides.write_text("# fine\nEM606\nlibpython3.12-stdlib: EM6O6\n")
    result = CliRunner().invoke(cli, ["check", "--overrides", str(overrides), str(deb)])
    assert result.exit_code == 2, result.output
    assert f"{overrides}:3:" in result.output
    assert "did you mean" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["check", "--ignore", "EM699", str(deb)])
    assert result.exit_code == 2, result.output
    assert "unknown rule `EM699`" in result.output


# -- what the real systems taught: PyPy, Multi-Arch, dpkg's member rules, runtimes --------


@pytest.mark.real  # dpkg-deb builds the packages
def test_pypys_stdlib_dir_is_one_and_its_marker_is_read(tmp_path: Path) -> None:
    pypy: Tree = {
        "usr/lib/pypy3.11/os.py": File(b"x"),
        "usr/lib/pypy3.11/site.py": File(b"x"),
        "usr/lib/pypy3.11/EXTERNALLY-MANAGED": File(MARKER),
    }
    [report] = check([build_deb(pypy, tmp_path / "pypy3-lib.deb", name="pypy3-lib")])
    assert report.codes() == [], report  # no EM603: pip reads it there
    assert [str(s.python) for s in report.stdlibs] == ["pypy3.11"]
    del pypy["usr/lib/pypy3.11/EXTERNALLY-MANAGED"]
    [report] = check([build_deb(pypy, tmp_path / "bare.deb", name="pypy3-lib")])
    assert report.codes() == ["EM601"]
    assert "Python pypy3.11" in report.findings[0].message


@pytest.mark.real  # dpkg-deb builds the packages
def test_pypy_37s_stdlib_is_where_its_pip_reads_the_marker(tmp_path: Path) -> None:
    """PyPy 3.7 (Debian bullseye's pypy3 7.3.5, as the oracle found it): modules in
    `usr/lib/pypy3/lib-python/3`, extensions named `*.pypy37-pp73-*.so`, and its sysconfig's
    stdlib, where pip reads the marker, `usr/lib/pypy3/lib-python/3.7`, a dir no package
    ships. Without the extensions (pypy3-lib alone) the version is unknown: no stdlib."""
    lib: Tree = {"usr/lib/pypy3/lib-python/3/os.py": File(b"x")}
    pypy: Tree = {
        "usr/lib/pypy3/lib_pypy/_curses_cffi.pypy37-pp73-x86_64-linux-gnu.so": File(b"\x7fELF")
    }
    libdeb = build_deb(lib, tmp_path / "pypy3-lib.deb", name="pypy3-lib")
    pypydeb = build_deb(pypy, tmp_path / "pypy3.deb", name="pypy3")
    reports = check([libdeb, pypydeb])
    assert [c for r in reports for c in r.codes()] == ["EM601"], reports
    assert [(s.path, str(s.python)) for r in reports for s in r.stdlibs] == [
        ("usr/lib/pypy3/lib-python/3.7", "pypy3.7")
    ]
    marked = build_deb(
        {**lib, "usr/lib/pypy3/lib-python/3.7/EXTERNALLY-MANAGED": File(MARKER)},
        tmp_path / "marked.deb",
        name="pypy3-lib",
    )
    assert [c for r in check([marked, pypydeb]) for c in r.codes()] == []
    assert [r.codes() for r in check([libdeb], allow_no_python=True)] == [[]]


@pytest.mark.real  # dpkg-deb builds the packages
def test_a_marker_in_no_stdlib_dir_is_misplaced(tmp_path: Path) -> None:
    tree = {**stdlib_tree(), "usr/share/python/EXTERNALLY-MANAGED": File(MARKER)}
    [report] = check([build_deb(tree, tmp_path / "p.deb")])
    assert report.codes() == ["EM603"]


@pytest.mark.real  # dpkg-deb builds the packages
def test_multi_arch_same_instances_share_one_marker(tmp_path: Path) -> None:
    same = {"Multi-Arch": "same"}

    def instance(arch: str, marker: bytes = MARKER, version: str = "3.12.1-1") -> Path:
        tree = stdlib_tree(marker=marker)
        dest = tmp_path / f"libpython3.12-stdlib_{version}_{arch}.deb"
        return build_deb(tree, dest, arch=arch, fields=same, version=version)

    together = [instance(arch) for arch in ("amd64", "arm64", "i386")]
    assert [r.codes() for r in check(together)] == [[], [], []]
    # Another content, or another version, is what dpkg refuses of M-A: same instances.
    other = instance("arm64", MARKER.replace(b"package manager", b"system's tools"))
    reports = check([together[0], other])
    assert reports[0].codes() == ["EM608"]
    assert "different content" in reports[0].findings[0].message
    older = instance("i386", version="3.12.0-1")
    assert check([together[0], older])[0].codes() == ["EM608"]


@pytest.mark.real  # dpkg-deb builds the packages
def test_a_branding_package_that_outlived_its_python_is_named(tmp_path: Path) -> None:
    divert = (
        "#!/bin/sh\nset -e\ndpkg-divert --package acme-branding --rename "
        "--add /usr/lib/python3.11/EXTERNALLY-MANAGED\n"
    )
    branding = build_deb(
        {"usr/lib/python3.11/EXTERNALLY-MANAGED": File(MARKER)},
        tmp_path / "acme-branding.deb",
        name="acme-branding",
        arch="all",
        scripts={"preinst": divert},
    )
    [alone] = check([branding])
    assert alone.codes() == []  # the stdlib it brands is not in this run
    stdlib = build_deb(stdlib_tree("usr/lib/python3.13"), tmp_path / "libpython3.13.deb")
    reports = check([stdlib, branding])
    assert [r.codes() for r in reports] == [[], ["EM611"]]
    assert "ships 3.13" in reports[1].findings[0].message


def test_whiteouts_beneath_a_symlinked_stdlib_dir_are_a_disagreement(tmp_path: Path) -> None:
    base = tar_bytes(
        [
            member("usr/lib/python3.12/os.py", b"x"),
            member("opt/py/os.py", b"x"),
            member("opt/py/EXTERNALLY-MANAGED", MARKER),
        ]
    )
    link = tarfile.TarInfo("usr/lib/python3.12")
    link.type, link.linkname = tarfile.SYMTYPE, "/opt/py"
    # The stdlib dir replaced by a link, and a whiteout beneath it, as umoci repacks them.
    upper = tar_bytes([(link, None), member("usr/lib/python3.12/.wh.EXTERNALLY-MANAGED")])
    image = docker_save(tmp_path, [base, upper])
    [report] = check([image])
    # umoci and containerd go through the link: the marker at /opt/py is gone.
    assert report.codes() == ["EM601", "EM609"], report
    assert "beneath a symlink" in report.findings[1].message
    [report] = check([image], require_python=[PY312])
    assert "EM601" in report.codes()

"""The values an audit passes along: binary packages as indexes list them, the systems to check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary package as its repository's index lists it."""

    name: str
    version: str
    #: `amd64`, `all`, `x86_64`, `noarch` ...
    arch: str
    #: The source package it was built from, and that build's version.
    source: str
    source_version: str
    #: Its path inside the repository (`pool/main/p/python3.11/...deb`).
    filename: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "arch": self.arch,
            "source": self.source,
            "source_version": self.source_version,
            "filename": self.filename,
            "size": self.size,
            "sha256": self.sha256,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Binary:
        return cls(**{k: data[k] for k in cls.__slots__})


@dataclass(frozen=True, slots=True)
class Plan:
    """One system to check: the candidates of one suite, source build and architecture."""

    suite: str
    source: str
    version: str
    arch: str
    packages: tuple[Binary, ...]

    @property
    def label(self) -> str:
        return f"{self.suite}/{self.arch}: {self.source} {self.version}"

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "source": self.source,
            "version": self.version,
            "arch": self.arch,
            "packages": [p.to_json() for p in self.packages],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls(
            data["suite"],
            data["source"],
            data["version"],
            data["arch"],
            tuple(Binary.from_json(p) for p in data["packages"]),
        )


@dataclass(frozen=True, slots=True)
class IndexUsed:
    """An index file a suite's audit read (or found in the cache), as its Release lists it."""

    path: str
    size: int
    sha256: str


@dataclass(slots=True)
class Suite:
    """One suite (or rpm-md repository) of the mirror, and the systems found in it."""

    name: str
    #: `apt` or `rpm-md`.
    kind: str
    codename: str | None = None
    #: The Release file's `Date` and `Valid-Until`, as it gives them.
    date: str | None = None
    valid_until: str | None = None
    #: Past its Valid-Until, and audited anyway (`--allow-expired`).
    expired: bool = False
    #: The keyring its signature was checked with; None: not checked (said in `notes`).
    verified_with: str | None = None
    components: tuple[str, ...] = ()
    architectures: tuple[str, ...] = ()
    indexes: list[IndexUsed] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)
    #: What a user should know about this suite's audit (an unchecked signature ...).
    notes: list[str] = field(default_factory=list)
    #: Indexes that could not be trusted (the architectures they cover are not audited).
    errors: list[str] = field(default_factory=list)

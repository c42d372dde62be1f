"""Debian's formats: the one module that imports debian_inspector.

debian-inspector reads deb822 paragraphs (a built package's control file,
and later debian/control of a source tree). It is imported only here and only
when a control paragraph is read: it costs 120-220 ms to import, and
Debian's own packages of marker-tool may lack it.
"""

from __future__ import annotations

from marker_tool.errors import MissingModule


def control_fields(text: str) -> dict[str, str]:
    """The fields of a control paragraph, lower-case names -> values (continuations joined)."""
    try:
        from debian_inspector import debcon
    except ImportError:
        raise MissingModule(
            "reading a .deb's control paragraph needs the `debian-inspector` module, "
            "which is not installed",
            hint="pip install debian-inspector (it is not packaged in Debian)",
        ) from None
    fields = debcon.get_paragraph_data(text)
    return {str(k).lower(): " ".join(str(v).split()) for k, v in fields.items()}


def relation_names(*fields: str) -> tuple[str, ...]:
    """Package names in relationship fields (`Depends`), alternatives included.

    `libc6 (>= 2.36), python3.11-minimal | python3-foo:any` -> `libc6`,
    `python3.11-minimal`, `python3-foo`. Versions, architecture qualifiers
    and build profiles are dropped: the question asked is only "does it
    depend on that package at all".
    """
    names = []
    for text in fields:
        for alternative in text.replace("|", ",").split(","):
            name = alternative.strip().split(" ", 1)[0].split("(", 1)[0].split(":", 1)[0]
            if name:
                names.append(name)
    return tuple(dict.fromkeys(names))

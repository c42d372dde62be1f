"""SOURCE_DATE_EPOCH: the one reading of the reproducible-builds timestamp.

Install gives markers this mtime and the i18n workflow dates catalogs with
it. The value must be ASCII digits only (`٣٣`, `1_000`, `+5`, `-1` are
refused), at most `MAX_EPOCH` (the last second of year 9999, which every
file system marker-tool writes to can store and `datetime` can show).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from marker_tool.errors import InputError

#: 9999-12-31T23:59:59Z.
MAX_EPOCH = 253_402_300_799


def source_date_epoch(environ: Mapping[str, str] = os.environ) -> int | None:
    """SOURCE_DATE_EPOCH as an int, None when unset or empty; InputError when malformed."""
    value = environ.get("SOURCE_DATE_EPOCH", "")
    if not value.strip():
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        raise InputError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds in ASCII digits, not `{value}`",
            key="SOURCE_DATE_EPOCH",
            hint="e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
        )
    epoch = int(text)
    if epoch > MAX_EPOCH:
        raise InputError(
            f"SOURCE_DATE_EPOCH `{value}` is after the year 9999 (at most {MAX_EPOCH})",
            key="SOURCE_DATE_EPOCH",
            hint="it counts seconds, not milliseconds",
        )
    return epoch

"""Every rule with a code, in one registry: a marker's (`marker_tool.rules`) and a system's.

`--list-rules`, `--explain`, `--ignore`, overrides files, docs/rules.md, the
man page, SARIF's rule table and the JSON Schemas' code list all read
`REGISTRY`; a rule is looked up by code or name with `get_rule`.
"""

from __future__ import annotations

from typing import Any

from marker_tool.check.rules import SYSTEM_RULES
from marker_tool.errors import MarkerToolError, did_you_mean
from marker_tool.rules import RULES, Rule

#: Every rule: the marker rules `validate` runs, then the system rules of `check`.
REGISTRY: tuple[Rule[Any, Any], ...] = RULES + SYSTEM_RULES


def get_rule(code_or_name: str) -> Rule[Any, Any]:
    """The rule with this code (`EM101`, any case) or name (`not-utf8`)."""
    wanted = code_or_name.strip()
    for rule in REGISTRY:
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            return rule
    choices = [r.code for r in REGISTRY] + [r.name for r in REGISTRY]
    raise MarkerToolError(
        f"unknown rule `{code_or_name}`",
        hint=did_you_mean(wanted.upper(), choices)
        or did_you_mean(wanted.lower(), choices)
        or "`marker-tool validate --list-rules` lists them",
    )

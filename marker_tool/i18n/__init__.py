"""Translations of the marker message with gettext catalogs.

- `catalogs`: .po files read with Babel and checked, and the gettext object a
  render asks for translations (it knows nothing of rendering);
- `sections`: which locales a marker ships, from which catalog or inline
  text, and how a rendered translation becomes an `Error-<locale>` message;
- `workflow`: the translators' commands (extract, init, update, stats,
  coverage), which may use `marker_tool.render`;
- `localedata`: regenerates `marker_tool/_locale_data.py` from Babel's CLDR data.

`marker_tool.render` orchestrates: it asks `sections` for the plan and
`catalogs` for translations, and renders each message itself.
"""

"""`audit`: the markers of a whole distribution archive, from its indexes.

`marker_tool.audit.run.audit` is the library call; `report` writes what it
found (JSON, the CI formats, text) and `html` the self-contained page.
"""

"""marker-tool: PEP 668 EXTERNALLY-MANAGED markers, made, checked and installed.

The library is usable without the command line; `marker_tool.cli` is a thin
layer over the modules here. Importing this package imports nothing heavy.
"""

__version__ = "0.1.0"

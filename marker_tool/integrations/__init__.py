"""How marker-tool fits into distributions' own tools (Debian first)."""

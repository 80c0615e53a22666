"""Tables of pipeline (none yet)."""

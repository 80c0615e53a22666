"""Tables of meetings (none yet)."""

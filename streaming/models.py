"""Tables of the streaming package (live state, Q&A, recordings)."""

"""Tables of the booths package (booths, projects, documents, chat, leads)."""

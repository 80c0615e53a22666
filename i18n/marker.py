"""``N_`` marks a string for extraction into the catalog without translating it yet; the
string is translated where it is shown (a template, an error page)."""


def N_(text: str) -> str:  # noqa: N802 - the conventional gettext name
    return text

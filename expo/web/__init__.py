"""The HTTP side of the expo core: routing with declared roles, sessions and CSRF, locale
and time-zone negotiation, templates, security headers, logs and metrics, and the core's
pages (lobby, accounts, organizer tools, health)."""

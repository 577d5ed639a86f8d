"""calsync: keeps a learning platform's events in people's Google Calendars."""

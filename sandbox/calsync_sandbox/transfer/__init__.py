"""Admin SDK Data Transfer: applications, transfers, and what the Calendar part moves."""

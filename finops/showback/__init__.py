"""Showback: team members and scoped access, team channels, weekly digests and monthly statements."""

"""The warehouse: connections to PostgreSQL, the versioned schema, and loading cost rows."""

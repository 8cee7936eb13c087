"""Local services for development, the demo and the tests (embedded PostgreSQL, KMS, simulator)."""

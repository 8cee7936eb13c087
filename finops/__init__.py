"""FinOps for AI on Apache Airflow: collect each team's OpenAI costs into PostgreSQL."""

__version__ = "0.1.0"

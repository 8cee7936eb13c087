"""The FinOps page inside the Airflow UI: a FastAPI app mounted by the plugin in ``plugins/``."""

"""The FinOps app's routers: the page, teams, Admin keys and project IDs (one router per file)."""

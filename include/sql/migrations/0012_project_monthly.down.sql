-- Derived from spend_project_daily: dropping it loses nothing collected.
DROP TABLE IF EXISTS finops.spend_project_monthly;

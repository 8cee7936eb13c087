-- Rows of cost_data and of each rollup table (spend_daily is a view of cost_data: as many rows).
SELECT (SELECT count(*) FROM finops.cost_data), (SELECT count(*) FROM finops.spend_project_daily),
       (SELECT count(*) FROM finops.spend_project_monthly), (SELECT count(*) FROM finops.spend_model_daily);

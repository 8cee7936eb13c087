SELECT (SELECT count(*) FROM finops.cost_data), (SELECT count(*) FROM finops.spend_daily),
       (SELECT count(*) FROM finops.spend_project_daily), (SELECT count(*) FROM finops.spend_model_daily);

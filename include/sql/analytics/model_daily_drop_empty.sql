-- Groups left with no cost row after a window's change are removed (the rollup holds no zero rows).
DELETE FROM finops.spend_model_daily
WHERE provider = %(provider)s AND usage_date >= %(window_start)s AND usage_date < %(window_end)s AND rows = 0;

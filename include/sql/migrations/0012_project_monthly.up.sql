-- Monthly spend per provider, team, project and currency: the overview's teams and projects over a period
-- read a month's row instead of its ~30 daily rows (a month of 1,000 teams is 3,000 rows instead of 90,000).
-- Kept by the loader's refresh like spend_model_daily (each window's change added), equal to cost_data.
CREATE TABLE finops.spend_project_monthly (
    provider   finops.provider NOT NULL,
    team_id    text NOT NULL,
    month      date NOT NULL,  -- the first day of the month
    project_id text NOT NULL,
    currency   text NOT NULL,
    amount     numeric NOT NULL,
    rows       integer NOT NULL,
    PRIMARY KEY (provider, team_id, month, project_id, currency),
    CONSTRAINT spend_project_monthly_first_day CHECK (extract(day FROM month) = 1)
);
CREATE INDEX spend_project_monthly_month ON finops.spend_project_monthly (month);

INSERT INTO finops.spend_project_monthly (provider, team_id, month, project_id, currency, amount, rows)
SELECT provider, team_id, date_trunc('month', usage_date)::date, project_id, currency, sum(amount), sum(rows)
FROM finops.spend_project_daily
GROUP BY 1, 2, 3, 4, 5;

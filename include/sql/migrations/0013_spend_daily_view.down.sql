-- spend_daily back as a table (migration 0006's), filled from cost_data and the parsed line items.
DROP VIEW finops.spend_daily;

CREATE TABLE finops.spend_daily (
    provider     finops.provider NOT NULL,
    team_id      text NOT NULL,
    usage_date   date NOT NULL,
    project_id   text NOT NULL,
    model        text,
    model_family text,
    token_kind   text,
    tier         text NOT NULL,
    cost_kind    text NOT NULL,
    currency     text NOT NULL,
    amount       numeric NOT NULL,
    rows         integer NOT NULL
);

INSERT INTO finops.spend_daily (provider, team_id, usage_date, project_id, model, model_family, token_kind, tier,
                                cost_kind, currency, amount, rows)
SELECT c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
       d.cost_kind, c.currency, sum(c.amount), count(*)
FROM finops.cost_data AS c
JOIN finops.line_items AS d ON d.provider = c.provider AND d.line_item = c.line_item
GROUP BY c.provider, c.team_id, c.usage_date, c.project_id, d.model, d.model_family, d.token_kind, d.tier,
         d.cost_kind, c.currency
ORDER BY c.usage_date;

CREATE UNIQUE INDEX spend_daily_grain ON finops.spend_daily
    (provider, team_id, usage_date, project_id, model, model_family, token_kind, tier, cost_kind, currency)
    NULLS NOT DISTINCT;
CREATE INDEX spend_daily_usage_date ON finops.spend_daily (usage_date);
CREATE INDEX spend_daily_team ON finops.spend_daily (team_id, usage_date);

-- Month-to-date sums of the usage panels' rollup (docs/usage.md, docs/performance.md section 7): per provider, team,
-- day, model and token kind, the sums of finops.usage_model_daily from the first of the month through that day and
-- the parts page_segments.sql splits them into, so a period that starts on the first of a month reads one row per
-- (team, model, token kind) instead of summing every day's. Derived data, kept with usage_model_daily by
-- include/sql/analytics/usage_model_mtd_refresh.sql; the migration fills it (finops/warehouse/migrations).
CREATE TABLE finops.usage_model_mtd (
    provider            finops.provider NOT NULL,
    team_id             text NOT NULL REFERENCES finops.teams (team_id) ON DELETE CASCADE,
    usage_date          date NOT NULL,
    model               text,
    token_kind          text,
    cost                numeric,           -- NULL: no cost yet this month (tokens only)
    tokens              bigint NOT NULL,
    requests            bigint,
    matched_cost        numeric,           -- cost of team-days that have tokens of the group
    matched_tokens      bigint NOT NULL,   -- those tokens
    cost_without_usage  numeric,           -- cost of team-days without tokens
    tokens_without_cost bigint NOT NULL    -- tokens of team-days without cost
);
CREATE UNIQUE INDEX usage_model_mtd_grain ON finops.usage_model_mtd
    (provider, team_id, usage_date, model, token_kind) NULLS NOT DISTINCT;
COMMENT ON TABLE finops.usage_model_mtd IS
    'Month-to-date sums of finops.usage_model_daily per (provider, team, day, model, token kind), with a row on every '
    'day from a group''s first one to its team''s last day with rows in the month; derived, recomputed with it.';
-- The overview reads every team's rows of one day (a month's last day with rows) through this, a team page its own.
CREATE INDEX usage_model_mtd_day ON finops.usage_model_mtd (provider, usage_date, team_id);

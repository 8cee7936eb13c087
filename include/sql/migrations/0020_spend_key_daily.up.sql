-- Spend per API key, daily and monthly (docs/analytics.md, docs/attribution.md): the top keys, owners and
-- unattributed panel of the overview and team page reads a row per key and month instead of every cost row of the
-- period (with per-key rows, 20 keys a project, a month of 1,000 teams is millions of cost rows). Kept equal to
-- cost_data like spend_project_daily and spend_project_monthly: each load's change applied by the loader's batch
-- (finops.analytics.rollups), recomputed by a repair, a rebuild, a re-parse's claimed loads.
--
-- A group is (provider, team, day, project, API key, allocated, kind of cost, currency): api_key_id NULL is spend
-- with no key (NULLs equal in the unique key); cost_kind is '' for spend with a key (summed over its line items)
-- and for the 'unassigned' project, and the line items' kind of cost (line_items.cost_kind) for spend with no key
-- elsewhere, because the reason shown for it (Playground or not reported per key) depends on it. Like
-- spend_model_daily it depends on the parsed line items: a re-parse recomputes the days of the items it changed.
CREATE TABLE finops.spend_key_daily (
    provider   finops.provider NOT NULL,
    team_id    text NOT NULL,
    usage_date date NOT NULL,
    project_id text NOT NULL,
    api_key_id text,
    allocated  boolean NOT NULL,
    cost_kind  text NOT NULL,
    currency   text NOT NULL,
    amount     numeric NOT NULL,
    rows       integer NOT NULL,
    CONSTRAINT spend_key_daily_group UNIQUE NULLS NOT DISTINCT
        (team_id, usage_date, provider, project_id, api_key_id, allocated, cost_kind, currency)
);
CREATE INDEX spend_key_daily_day ON finops.spend_key_daily (usage_date);

CREATE TABLE finops.spend_key_monthly (
    provider   finops.provider NOT NULL,
    team_id    text NOT NULL,
    month      date NOT NULL,  -- the first day of the month
    project_id text NOT NULL,
    api_key_id text,
    allocated  boolean NOT NULL,
    cost_kind  text NOT NULL,
    currency   text NOT NULL,
    amount     numeric NOT NULL,
    rows       integer NOT NULL,
    CONSTRAINT spend_key_monthly_group UNIQUE NULLS NOT DISTINCT
        (month, team_id, provider, project_id, api_key_id, allocated, cost_kind, currency),
    CONSTRAINT spend_key_monthly_first_day CHECK (extract(day FROM month) = 1)
);

-- Filled from cost_data by the migration with include/sql/attribution/rollup_rebuild.sql, as a rebuild does.

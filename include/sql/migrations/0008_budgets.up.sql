-- Budgets: each row is one change, valid from the first day of its month until a later change of the
-- same scope (team, provider or all providers, project or all projects). Rows are never updated
-- except to mark them cancelled (a removal also cancels changes scheduled for later months), so
-- the history stays. A row with no amount is a removal: no budget from its month on.
CREATE TABLE finops.budgets (
    budget_id    bigserial PRIMARY KEY,
    team_id      text NOT NULL REFERENCES finops.teams (team_id),
    provider     finops.provider,
    project_id   text,
    valid_from   date NOT NULL CONSTRAINT budgets_valid_from_month_start CHECK (extract(day FROM valid_from) = 1),
    amount       numeric CONSTRAINT budgets_amount_positive CHECK (amount > 0 AND amount < 1e12),
    currency     text NOT NULL DEFAULT 'usd' CONSTRAINT budgets_currency_format CHECK (currency ~ '^[a-z]{3}$'),
    thresholds   integer[] NOT NULL DEFAULT '{50,80,100}' CONSTRAINT budgets_thresholds_range CHECK (
        cardinality(thresholds) BETWEEN 1 AND 10 AND 1 <= ALL (thresholds) AND 1000 >= ALL (thresholds)
    ),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    cancelled_at timestamptz,
    cancelled_by text,
    -- A project budget names its provider: project ids are per provider.
    CONSTRAINT budgets_project_has_provider CHECK (project_id IS NULL OR provider IS NOT NULL)
);
CREATE INDEX budgets_scope ON finops.budgets (team_id, provider, project_id, valid_from);

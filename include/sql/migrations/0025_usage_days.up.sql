-- One row per team, provider and day of usage loaded: how many rows the day holds and a digest of them as the
-- loader wrote them (finops.usage.load.UsageLoad). A collection run re-fetches its look-back days; a day whose usage
-- comes back with the same digest is not deleted and copied again (replacing rows with the same keys cost 2-3x a
-- fresh insert: docs/performance.md, section 2, issue 25). The rows of such a day keep the run that wrote them.
CREATE TABLE finops.usage_days (
    provider          finops.provider NOT NULL,
    team_id           text NOT NULL,
    usage_date        date NOT NULL,
    rows              integer NOT NULL CHECK (rows >= 0),
    digest            bytea NOT NULL,
    collection_run_id bigint,
    PRIMARY KEY (provider, team_id, usage_date)
);

COMMENT ON TABLE finops.usage_days IS
    'The usage loaded per team, provider and day (row count, digest), so an unchanged day is not rewritten. '
    'Any other change of usage_data forgets the days it touches (trigger usage_data_forgets_days).';

-- Anything else that changes usage_data (a manual fix, a restore, a purge) forgets the days it touched, so the next
-- collection rewrites them from the API. The loader writes its days' rows first, then their digests.
CREATE FUNCTION finops.usage_days_forget() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM finops.usage_days;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM finops.usage_days d
        USING (SELECT DISTINCT provider, team_id, usage_date FROM old_rows) o
        WHERE d.provider = o.provider AND d.team_id = o.team_id AND d.usage_date = o.usage_date;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        DELETE FROM finops.usage_days d
        USING (SELECT DISTINCT provider, team_id, usage_date FROM new_rows) n
        WHERE d.provider = n.provider AND d.team_id = n.team_id AND d.usage_date = n.usage_date;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER usage_data_forgets_days_on_insert AFTER INSERT ON finops.usage_data
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finops.usage_days_forget();
CREATE TRIGGER usage_data_forgets_days_on_update AFTER UPDATE ON finops.usage_data
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION finops.usage_days_forget();
CREATE TRIGGER usage_data_forgets_days_on_delete AFTER DELETE ON finops.usage_data
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION finops.usage_days_forget();
CREATE TRIGGER usage_data_forgets_days_on_truncate AFTER TRUNCATE ON finops.usage_data
    FOR EACH STATEMENT EXECUTE FUNCTION finops.usage_days_forget();

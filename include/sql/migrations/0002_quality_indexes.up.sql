-- Data-quality checks look up the successful collection runs whose window overlaps the validated
-- window (completeness, reconciliation); a GiST index on the window range keeps that lookup
-- proportional to the window instead of to the history of runs.
CREATE INDEX collection_runs_success_window ON finops.collection_runs
    USING gist (daterange(window_start, window_end))
    WHERE status = 'success';

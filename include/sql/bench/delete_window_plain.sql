-- The loader's delete without the rollups' sums, for the bench's "loader alone" pass: the same rows deleted,
-- nothing returned (a data-modifying WITH runs whether or not the query reads it).
WITH gone AS (
    DELETE FROM finops.cost_data
    WHERE provider = %(provider)s AND team_id = %(team_id)s
      AND usage_date >= %(window_start)s AND usage_date < %(window_end)s
)
SELECT NULL WHERE false;

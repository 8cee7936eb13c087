-- The overview's stacked chart: daily spend of the biggest groups in [start, end) and of all others
-- together (rank NULL). The key, table and team filter come from fixed lists in finops/analytics/overview.py.
-- Groups are matched on coalesce(series, E'\x01') so the join hashes (a null model is a group too).
WITH daily AS (
    SELECT {key} AS series, usage_date, sum(amount) AS amount
    FROM {table}
    WHERE usage_date >= %(start)s AND usage_date < %(end)s AND currency = %(currency)s
      AND (%(provider)s::text IS NULL OR provider = %(provider)s)
      {team_filter}
    GROUP BY 1, 2
), top AS (
    SELECT series, row_number() OVER (ORDER BY sum(amount) DESC, series NULLS LAST) AS rank
    FROM daily
    GROUP BY series
    ORDER BY rank
    LIMIT %(series)s
)
SELECT t.rank, CASE WHEN t.rank IS NULL THEN NULL ELSE d.series END AS series, d.usage_date, sum(d.amount)
FROM daily AS d
LEFT JOIN top AS t ON coalesce(t.series::text, E'\x01') = coalesce(d.series::text, E'\x01')
GROUP BY 1, 2, 3
ORDER BY 1 NULLS LAST, 3;

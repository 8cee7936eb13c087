-- The overview's stacked chart: daily spend of the biggest groups in [start, end) and of all others
-- together (rank NULL). The key, table and team filter come from fixed lists in finops/analytics/overview.py.
WITH scoped AS (
    SELECT {key} AS series, usage_date, amount
    FROM {table}
    WHERE usage_date >= %(start)s AND usage_date < %(end)s AND currency = %(currency)s
      AND (%(provider)s::text IS NULL OR provider = %(provider)s)
      {team_filter}
), top AS (
    SELECT series, row_number() OVER (ORDER BY sum(amount) DESC, series NULLS LAST) AS rank
    FROM scoped
    GROUP BY series
    ORDER BY rank
    LIMIT %(series)s
)
SELECT t.rank, CASE WHEN t.rank IS NULL THEN NULL ELSE s.series END AS series, s.usage_date, sum(s.amount)
FROM scoped AS s
LEFT JOIN top AS t ON t.series IS NOT DISTINCT FROM s.series
GROUP BY 1, 2, 3
ORDER BY 1 NULLS LAST, 3;

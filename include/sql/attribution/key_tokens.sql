-- One API key's tokens per model in [start, end) from finops.usage_data (its unit costs, when usage exists).
SELECT model, sum(input_tokens + cache_read_tokens + cache_write_tokens + output_tokens) AS tokens,
       sum(requests) AS requests
FROM finops.usage_data
WHERE provider = %(provider)s AND team_id = %(team_id)s AND api_key_id = %(api_key_id)s
  AND usage_date >= %(start)s AND usage_date < %(end)s AND model IS NOT NULL
GROUP BY 1
ORDER BY 1;

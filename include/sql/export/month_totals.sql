-- Per provider and billing currency, the cost rows of one billing month: the truth the exported
-- BilledCost must equal, and the widest decimals (the Parquet writer's scale and precision).
-- quantity_max is x 1000: ConsumedQuantity of a `1000_tokens` row is the quantity x 1000.
SELECT c.provider::text AS provider,
       upper(c.currency) AS currency,
       count(*) AS rows,
       sum(c.amount) AS amount_total,
       max(scale(c.amount)) AS amount_scale,
       max(abs(c.amount)) AS amount_max,
       coalesce(max(scale(c.quantity)), 0) AS quantity_scale,
       coalesce(max(abs(c.quantity)) * 1000, 0) AS quantity_max
FROM finops.cost_data c
WHERE c.usage_date >= %(month_start)s AND c.usage_date < %(month_end)s
  AND (%(provider)s::text IS NULL OR c.provider = %(provider)s::text)
GROUP BY c.provider, upper(c.currency)
ORDER BY 1, 2

SELECT delivery_id
FROM finops.team_deliveries
WHERE delivered_at IS NULL AND (%(team_ids)s::text[] IS NULL OR team_id = ANY (%(team_ids)s::text[]))
ORDER BY delivery_id
LIMIT %(limit)s;

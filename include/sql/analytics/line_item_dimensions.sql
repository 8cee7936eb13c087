-- The parsed dimensions of some line items of a provider (a batch's changes are grouped by them; the missing
-- ones are parsed and stored first).
SELECT line_item, model, model_family, token_kind, tier, cost_kind
FROM finops.line_items
WHERE provider = %(provider)s AND line_item = ANY (%(line_items)s::text[]);

-- Every parsed line item with its stored dimensions (re-parse compares them with the parser's answer).
SELECT provider, line_item, model, model_family, token_kind, tier, context, cost_kind, qualifier, recognized,
       parser_version
FROM finops.line_items
ORDER BY provider, line_item;

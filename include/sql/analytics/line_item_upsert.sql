INSERT INTO finops.line_items (provider, line_item, model, model_family, token_kind, tier, context, cost_kind,
                               qualifier, recognized, parser_version, parsed_at)
VALUES (%(provider)s, %(line_item)s, %(model)s, %(model_family)s, %(token_kind)s, %(tier)s, %(context)s,
        %(cost_kind)s, %(qualifier)s, %(recognized)s, %(parser_version)s, now())
ON CONFLICT (provider, line_item) DO UPDATE
SET model = EXCLUDED.model, model_family = EXCLUDED.model_family, token_kind = EXCLUDED.token_kind,
    tier = EXCLUDED.tier, context = EXCLUDED.context, cost_kind = EXCLUDED.cost_kind,
    qualifier = EXCLUDED.qualifier, recognized = EXCLUDED.recognized, parser_version = EXCLUDED.parser_version,
    parsed_at = EXCLUDED.parsed_at;

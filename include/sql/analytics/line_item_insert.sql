-- A line item seen for the first time by a load. DO NOTHING: a row another load committed meanwhile is
-- left alone and not locked (the upsert, line_item_upsert.sql, is for re-parsing).
INSERT INTO finops.line_items (provider, line_item, model, model_family, token_kind, tier, context, cost_kind,
                               qualifier, recognized, parser_version, parsed_at)
VALUES (%(provider)s, %(line_item)s, %(model)s, %(model_family)s, %(token_kind)s, %(tier)s, %(context)s,
        %(cost_kind)s, %(qualifier)s, %(recognized)s, %(parser_version)s, now())
ON CONFLICT (provider, line_item) DO NOTHING;

-- Serialises the recomputes of finops.usage_model_daily of one team and provider (a load's own transaction, the
-- batches applying its loads, a repair): taken for a batch's teams in sorted order, after the rollups' lock, so two
-- recomputes of a team never interleave (the later one reads what the earlier wrote) and never deadlock. Not the
-- load's team lock (collection/lock_team.sql): a batch would then wait for a team's next load, which waits for it.
SELECT pg_advisory_xact_lock(hashtext('finops.usage_model_daily:' || w.provider), hashtext(w.team_id))
FROM unnest(%(providers)s::text[], %(team_ids)s::text[]) AS w (provider, team_id)
ORDER BY w.provider, w.team_id;

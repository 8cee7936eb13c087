-- Active teams set up for the provider (an active key or a registered project) with no successful
-- collection covering the day: the late-data deadline's question. With each, the last day it had
-- collected successfully.
SELECT t.team_id,
       (SELECT max(r.window_end) - 1 FROM finops.collection_runs r
        WHERE r.provider = %(provider)s AND r.team_id = t.team_id AND r.status = 'success') AS collected_until
FROM finops.teams t
WHERE t.active
  AND t.created_at < ((%(day)s::date + 1)::timestamp AT TIME ZONE 'UTC')  -- it existed before the day closed
  AND (EXISTS (SELECT 1 FROM finops.admin_keys k
               WHERE k.team_id = t.team_id AND k.provider = %(provider)s AND k.status = 'active')
       OR EXISTS (SELECT 1 FROM finops.projects p
                  WHERE p.team_id = t.team_id AND p.provider = %(provider)s AND p.active))
  AND NOT EXISTS (
      SELECT 1 FROM finops.collection_runs r
      WHERE r.provider = %(provider)s AND r.team_id = t.team_id AND r.status = 'success'
        AND r.window_start <= %(day)s AND r.window_end > %(day)s)
ORDER BY t.team_id;

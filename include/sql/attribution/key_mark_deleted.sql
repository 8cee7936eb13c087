-- A key of a listed scope that the provider no longer lists was deleted: its row (and its spend) stays.
UPDATE finops.api_keys
SET status = 'deleted', deleted_at = COALESCE(deleted_at, %(seen_at)s)
WHERE provider = %(provider)s AND team_id = %(team_id)s AND project_id = ANY(%(scope_ids)s)
  AND api_key_id <> ALL(%(listed)s) AND status <> 'deleted';

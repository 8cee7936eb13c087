-- Record a digest or statement to deliver; once per (kind, team, period): a rerun records nothing.
INSERT INTO finops.team_deliveries (kind, team_id, period, subject, message, details)
VALUES (%(kind)s, %(team_id)s, %(period)s, %(subject)s, %(message)s, %(details)s)
ON CONFLICT (kind, team_id, period) DO NOTHING
RETURNING delivery_id;

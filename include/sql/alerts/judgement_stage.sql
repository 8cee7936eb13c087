-- The days judged by this run, copied in before they are recorded (dropped at commit).
CREATE TEMP TABLE judged_now (
    team_id text, provider text, scope text, currency text, day date, outcome text, value numeric, baseline numeric,
    as_of date
) ON COMMIT DROP;

-- The days judged by this run, streamed into judged_now (judgement_stage).
COPY judged_now (team_id, provider, scope, currency, day, outcome, value, baseline, as_of) FROM STDIN

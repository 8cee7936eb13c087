-- Back to judging each day only in the run whose reference date settles it (days judged so far are forgotten).
DROP TABLE IF EXISTS finops.anomaly_judgements;

DROP TABLE finops.collection_streaks;
DROP TABLE finops.alerts;

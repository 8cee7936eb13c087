DROP TABLE finops.alert_mutes;

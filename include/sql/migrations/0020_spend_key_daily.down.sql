DROP TABLE finops.spend_key_monthly;
DROP TABLE finops.spend_key_daily;

DROP TABLE finops.budgets;

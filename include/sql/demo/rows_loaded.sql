SELECT count(*) FROM finops.cost_data WHERE usage_date BETWEEN %(first)s AND %(last)s;

"""Spend analytics: line items parsed into dimensions, rollups kept equal to cost_data, restatements, reports."""

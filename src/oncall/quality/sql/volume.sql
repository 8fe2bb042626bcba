-- Volume: how far the row count is from the baseline's {{ baseline_rows }} rows.
SELECT ABS(COUNT(*) - {{ baseline_rows }}), COUNT(*) FROM {{ table }}

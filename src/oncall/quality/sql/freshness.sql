-- Freshness: 1 when the latest {{ column }} is older than the baseline's {{ baseline_max }} (or absent).
SELECT CASE WHEN MAX({{ column }}) >= {{ baseline_max }} THEN 0 ELSE 1 END, COUNT(*) FROM {{ table }}

-- Completeness: NULL-or-blank rows above the baseline's rate ({{ baseline_blank }} of {{ baseline_rows }}),
-- 0 while the rate is not higher. Integer comparison first, so the baseline itself yields exactly 0.
SELECT CASE WHEN bad * {{ baseline_rows }} > {{ baseline_blank }} * n
            THEN bad - ({{ baseline_blank }} * 1.0 * n) / {{ baseline_rows }} ELSE 0 END, n
FROM (SELECT COUNT(CASE WHEN {{ column }} IS NULL OR TRIM({{ column }}) = '' THEN 1 END) AS bad,
             COUNT(*) AS n
      FROM {{ table }}) counts

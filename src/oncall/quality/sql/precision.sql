-- Precision: whole-number {{ column }} values beyond the allowed share ({{ allowed_whole }} of
-- {{ baseline_numbers }}: the baseline's {{ baseline_whole }} plus the tolerance), 0 while not higher.
-- Integer comparison first, so the baseline itself yields exactly 0.
SELECT CASE WHEN whole * {{ baseline_numbers }} > {{ allowed_whole }} * n
            THEN whole - ({{ allowed_whole }} * 1.0 * n) / {{ baseline_numbers }} ELSE 0 END, total
FROM (SELECT COUNT(CASE WHEN {{ num(column) }} = ROUND({{ num(column) }}) THEN 1 END) AS whole,
             COUNT({{ num(column) }}) AS n,
             COUNT(*) AS total
      FROM {{ table }}) counts

-- Magnitude: {{ column }} values below {{ low }} or above {{ high }} (the baseline's 1st and 99th
-- percentiles widened {{ factor }} times) beyond the allowed share ({{ allowed_beyond }} of {{ baseline_numbers }}:
-- the baseline's {{ baseline_beyond }} plus the tolerance), 0 while not higher. Integer comparison first,
-- so the baseline itself yields exactly 0.
SELECT CASE WHEN beyond * {{ baseline_numbers }} > {{ allowed_beyond }} * n
            THEN beyond - ({{ allowed_beyond }} * 1.0 * n) / {{ baseline_numbers }} ELSE 0 END, total
FROM (SELECT COUNT(CASE WHEN {{ num(column) }} < {{ low }} OR {{ num(column) }} > {{ high }} THEN 1 END)
                 AS beyond,
             COUNT({{ num(column) }}) AS n,
             COUNT(*) AS total
      FROM {{ table }}) counts

-- Accepted values: non-blank {{ column }} values outside the accepted set.
SELECT COUNT(CASE WHEN TRIM({{ column }}) <> '' AND {{ column }} NOT IN ({{ values }}) THEN 1 END), COUNT(*)
FROM {{ table }}

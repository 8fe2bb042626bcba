-- Numeric range: {{ column }} values outside {{ range }} (blanks are left to completeness).
SELECT COUNT(CASE WHEN {{ violation }} THEN 1 END), COUNT(*) FROM {{ table }}

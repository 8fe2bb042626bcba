-- Id format: non-NULL {{ column }} values that are not 32-char lowercase hex.
SELECT COUNT(CASE WHEN {{ column }} IS NOT NULL AND NOT {{ hex32(column) }} THEN 1 END), COUNT(*)
FROM {{ table }}

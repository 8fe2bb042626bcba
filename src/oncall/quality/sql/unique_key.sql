-- Key uniqueness: rows beyond the first for every repeated key ({{ key }}).
SELECT COALESCE(SUM(n - 1), 0)
FROM (SELECT COUNT(*) AS n FROM {{ table }} GROUP BY {{ key }} HAVING COUNT(*) > 1) repeated

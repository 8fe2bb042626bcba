-- Referential integrity: {{ table }}.{{ column }} values with no {{ ref_table }}.{{ ref_column }}.
-- NOT IN over the parent keys lets every engine build one hash or index of them (no per-row lookup
-- in an unindexed table); the parent's NULLs are excluded so NOT IN keeps its plain meaning.
SELECT COUNT(CASE WHEN {{ column }} IS NOT NULL AND {{ column }} NOT IN
                       (SELECT {{ ref_column }} FROM {{ ref_table }} WHERE {{ ref_column }} IS NOT NULL)
                  THEN 1 END),
       COUNT(*)
FROM {{ table }}

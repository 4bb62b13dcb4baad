-- A document's title is in the search text of its first passage only (docs/adr/0012): every passage of a document
-- carried the title (its file name, as a rule), so a query naming the document's subject matched all its sections
-- alike. The library service writes new passages so; this rewrites the stored ones, as Python would write them
-- (propos4l.shared.library_text.search_text without the title): the text is the non-empty parts joined by line
-- breaks, then, when it has accents, a line break and its accent-folded copy. The folded copy of the rest is the
-- stored folded copy less its first line (the folded title), so no accent folding is needed here. Rows not in the
-- expected form (none are written otherwise) are left as they are. `search_vector` follows: it is generated.
WITH parts AS (
    SELECT id,
           search_text,
           array_to_string(array_remove(ARRAY[title] || heading_path || ARRAY[body], ''), E'\n') AS with_title,
           array_to_string(array_remove(heading_path || ARRAY[body], ''), E'\n') AS without_title
    FROM library_passages
    WHERE document_id IS NOT NULL AND ordinal > 0 AND title <> '' AND position(E'\n' IN title) = 0
), rewritten AS (
    SELECT id,
           without_title,
           CASE
               WHEN search_text = with_title THEN without_title
               ELSE substr(search_text,
                           length(with_title) + 2 + position(E'\n' IN substr(search_text, length(with_title) + 2)))
           END AS folded
    FROM parts
    WHERE search_text = with_title OR left(search_text, length(with_title) + 1) = with_title || E'\n'
)
UPDATE library_passages p
SET search_text = CASE
                      WHEN r.folded = r.without_title THEN r.without_title
                      ELSE r.without_title || E'\n' || r.folded
                  END
FROM rewritten r
WHERE p.id = r.id;

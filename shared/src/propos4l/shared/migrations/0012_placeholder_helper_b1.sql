-- PLACEHOLDER in branch h-c-search only, so migrations run 1..N while helper B1's 0012 is not merged: drop this file
-- when merging (helper B1's 0012 replaces it).
SELECT 1;

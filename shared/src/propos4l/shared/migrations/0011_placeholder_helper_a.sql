-- PLACEHOLDER in branch h-b1-service only, so migrations run 1..N while helper A's 0011 is not merged: drop this file
-- when merging (helper A's 0011 replaces it).
SELECT 1;

-- Placeholder of branch h-f-grounding only, so that 0016 runs without a gap there: migration 0015 comes from
-- another branch. Drop this file when merging (a duplicate number stops every service at start, loudly).
SELECT 1;

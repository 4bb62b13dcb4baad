-- Placeholder: number 0016 belongs to another branch's migration. This file only keeps the numbers gapless on the
-- identity branch (0017 follows it); the integrator deletes it when the real 0016 is merged.
SELECT 1;

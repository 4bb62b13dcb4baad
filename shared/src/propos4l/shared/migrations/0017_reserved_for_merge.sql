-- Reserved: this number belongs to another branch's migration (issue #16's branch uses 0018). The integrator
-- deletes this placeholder when merging; the migration runner wants numbers without gaps meanwhile.
SELECT 1;

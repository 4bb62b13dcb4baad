-- A deleted proposal is hidden, not erased (issue #18, ADR 0019): its rows, versions and PDFs stay for the retention
-- rules and the backups, and an operator can bring it back by clearing deleted_at.
ALTER TABLE proposals ADD COLUMN deleted_at timestamptz;

COMMENT ON COLUMN proposals.deleted_at IS
    'when it was deleted through DELETE /api/proposals/{id}; the API answers 404 for it and lists it nowhere';

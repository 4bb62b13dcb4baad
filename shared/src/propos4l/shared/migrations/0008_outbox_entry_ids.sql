-- The stream entry id Redis gave each published outbox event. The gateway checks that recently published events are
-- still in their streams: an event Redis lost (a crash within its append-only file's last second, a volume restored
-- from an older copy) is marked unpublished again and relayed once more, so an accepted request is never stranded.

ALTER TABLE outbox ADD COLUMN entry_id text;

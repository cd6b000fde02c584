-- The naive migration, for comparison: one transaction, as a hand-written migration would do it.
-- ACCESS EXCLUSIVE on sessions from the first statement and on events from the fifth, both held
-- until COMMIT, across two full-table UPDATEs and two index builds.
BEGIN;
ALTER TABLE sessions ADD COLUMN account_id bigint;
UPDATE sessions s SET account_id = u.account_id FROM users u WHERE u.id = s.user_id;
ALTER TABLE sessions ALTER COLUMN account_id SET NOT NULL;
CREATE INDEX ON sessions (account_id);
ALTER TABLE events ADD COLUMN account_id bigint;
UPDATE events e SET account_id = s.account_id FROM sessions s WHERE s.id = e.session_id;
ALTER TABLE events ALTER COLUMN account_id SET NOT NULL;
CREATE INDEX ON events (account_id);
COMMIT;

-- The benchmark's starting point: accounts ← users ← sessions ← events, where only users has
-- account_id. Sizes come from psql variables (bench/online.sh sets them).
CREATE TABLE accounts (
  id   bigserial PRIMARY KEY,
  name text NOT NULL
);
CREATE TABLE users (
  id         bigserial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
  email      text NOT NULL,
  UNIQUE (account_id, email)
);
CREATE TABLE sessions (
  id         bigserial PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  status     text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON sessions (user_id);
CREATE TABLE events (
  id         bigserial PRIMARY KEY,
  session_id bigint NOT NULL REFERENCES sessions ON DELETE CASCADE,
  kind       text NOT NULL,
  hits       integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO accounts (name) SELECT 'account ' || i FROM generate_series(1, :accounts) i;
INSERT INTO users (account_id, email)
SELECT 1 + (i - 1) % :accounts, 'user' || i || '@example.com' FROM generate_series(1, :users) i;
INSERT INTO sessions (user_id, status, started_at)
SELECT 1 + (i::bigint * 7919) % :users, 'open', timestamptz '2025-01-01' + i * interval '1 second'
FROM generate_series(1, :sessions) i;
-- Events arrive in time order, so the ids of one session are spread over the table.
INSERT INTO events (session_id, kind, hits, created_at)
SELECT 1 + (i::bigint * 104729) % :sessions, 'click', 0, timestamptz '2025-01-01' + i * interval '10 ms'
FROM generate_series(1, :events) i;
CREATE INDEX ON events (session_id);
VACUUM ANALYZE;

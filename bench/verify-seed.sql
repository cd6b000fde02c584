-- Rows for `bench/verify.sh`: 100,000 rows in every tenant table of `schema/`, spread over ten
-- accounts, every foreign key pointing at a row of the same account.
\set ON_ERROR_STOP 1
\set n 100000
CREATE FUNCTION pg_temp.id(kind text, i bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT md5(kind || i)::uuid $$;
INSERT INTO accounts (id, name, slug)
  SELECT pg_temp.id('a', i), 'account ' || i, 'account-' || i FROM generate_series(0, 9) i;
INSERT INTO permission (action, scope) VALUES ('read', 'global');
INSERT INTO users (id, account_id, email)
  SELECT pg_temp.id('u', i), pg_temp.id('a', i % 10), 'u' || i || '@example.com'
  FROM generate_series(1, :n) i;
INSERT INTO trees (id, account_id, name, created_by)
  SELECT pg_temp.id('t', i), pg_temp.id('a', i % 10), 'tree ' || i, pg_temp.id('u', i)
  FROM generate_series(1, :n) i;
INSERT INTO sessions (id, account_id, user_id, tree_id, opened_at)
  SELECT pg_temp.id('s', i), pg_temp.id('a', i % 10), pg_temp.id('u', i), pg_temp.id('t', i),
         now() + i * interval '1 second'
  FROM generate_series(1, :n) i;
INSERT INTO attachments (account_id, session_id, file_name, byte_size, sha256, storage_key)
  SELECT pg_temp.id('a', i % 10), pg_temp.id('s', i), 'file', 1,
         decode(md5('x' || i) || md5('y' || i), 'hex'), 'key-' || i
  FROM generate_series(1, :n) i;
INSERT INTO ai_sessions (id, account_id, user_id, session_id, model)
  SELECT pg_temp.id('ai', i), pg_temp.id('a', i % 10), pg_temp.id('u', i), pg_temp.id('s', i), 'model'
  FROM generate_series(1, :n) i;
INSERT INTO session_resolution_outputs (account_id, session_id, output, confidence)
  SELECT pg_temp.id('a', i % 10), pg_temp.id('ai', i), '{}', 0.5
  FROM generate_series(1, :n) i;
INSERT INTO role (id, account_id, name)
  SELECT pg_temp.id('r', i), pg_temp.id('a', i % 10), 'role ' || i FROM generate_series(1, :n) i;
INSERT INTO role_permission (account_id, role_id, permission_id)
  SELECT pg_temp.id('a', i % 10), pg_temp.id('r', i), (SELECT id FROM permission)
  FROM generate_series(1, :n) i;
INSERT INTO user_role_assignment (account_id, user_id, role_id, scope_type)
  SELECT pg_temp.id('a', i % 10), pg_temp.id('u', i), pg_temp.id('r', i), 'global'
  FROM generate_series(1, :n) i;
ANALYZE;

-- A SaaS database before tenancy: a project tracker with a help desk and billing. Only the tables
-- that hang directly off an account have `account_id`; everything else reaches its account
-- through a chain of plain, single-column foreign keys. Platform-wide e-mail templates live in
-- `email_templates` with `account_id` NULL.
--
-- Data: 50 accounts and a few thousand rows per table, made with generate_series so the file stays
-- small. Row i of every table belongs to account ((i - 1) % 50) + 1, and every foreign key of row
-- i points at a row of the same account (pg_temp.pick below), so the data is consistent the way a
-- real application's would be.
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f before.sql

BEGIN;

-- An id in 1..n (n a multiple of 50) of the same account as row i, spread by salt.
CREATE FUNCTION pg_temp.pick(i bigint, n bigint, salt bigint DEFAULT 0) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT ((i - 1) % 50) + 1 + 50 * ((((i - 1) / 50) * 7 + salt) % (n / 50))
$$;

-- Platform tables ---------------------------------------------------------------------------------

CREATE TABLE plans (
  id            serial PRIMARY KEY,
  name          text NOT NULL UNIQUE,
  monthly_price numeric(10,2) NOT NULL CHECK (monthly_price >= 0)
);

CREATE TABLE accounts (
  id         bigserial PRIMARY KEY,
  name       text NOT NULL,
  plan_id    integer NOT NULL REFERENCES plans,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Directly owned by an account: these already have account_id -----------------------------------

CREATE TABLE users (
  id         bigserial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
  email      text NOT NULL,
  name       text,
  is_admin   boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, email)
);

CREATE TABLE teams (
  id         bigserial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
  name       text NOT NULL
);
CREATE INDEX ON teams (account_id);

CREATE TABLE projects (
  id         bigserial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
  name       text NOT NULL,
  archived   boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON projects (account_id);

CREATE TABLE customers (
  id         bigserial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
  name       text NOT NULL,
  email      text
);
CREATE INDEX ON customers (account_id);

-- account_id NULL: a platform-wide default template, shared by every account.
CREATE TABLE email_templates (
  id         bigserial PRIMARY KEY,
  account_id bigint REFERENCES accounts ON DELETE CASCADE,
  key        text NOT NULL,
  subject    text NOT NULL,
  body       text NOT NULL,
  UNIQUE (account_id, key)
);

-- One hop from an account-owned table ------------------------------------------------------------

CREATE TABLE team_members (
  id      bigserial PRIMARY KEY,
  team_id bigint NOT NULL REFERENCES teams ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  role    text NOT NULL DEFAULT 'member' CHECK (role IN ('lead', 'member')),
  UNIQUE (team_id, user_id)
);
CREATE INDEX ON team_members (user_id);

CREATE TABLE api_keys (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  name       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON api_keys (user_id);

CREATE TABLE user_sessions (
  id         bigserial PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  ip         inet,
  started_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON user_sessions (user_id);

CREATE TABLE notifications (
  id      bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  body    text NOT NULL,
  read    boolean NOT NULL DEFAULT false
);
CREATE INDEX ON notifications (user_id);

CREATE TABLE audit_events (
  id          bigserial PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  action      text NOT NULL,
  detail      jsonb NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON audit_events (user_id);

CREATE TABLE boards (
  id         bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  name       text NOT NULL,
  position   integer NOT NULL DEFAULT 0
);
CREATE INDEX ON boards (project_id);

CREATE TABLE milestones (
  id         bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  title      text NOT NULL,
  due_on     date
);
CREATE INDEX ON milestones (project_id);

CREATE TABLE labels (
  id         bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  name       text NOT NULL,
  colour     text NOT NULL DEFAULT '#888888'
);
CREATE INDEX ON labels (project_id);

CREATE TABLE webhooks (
  id         bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
  url        text NOT NULL
);
CREATE INDEX ON webhooks (project_id);

CREATE TABLE contacts (
  id          bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers ON DELETE CASCADE,
  name        text NOT NULL,
  phone       text
);
CREATE INDEX ON contacts (customer_id);

CREATE TABLE tickets (
  id          bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers ON DELETE CASCADE,
  assignee_id bigint REFERENCES users ON DELETE SET NULL,
  subject     text NOT NULL,
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'closed')),
  opened_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON tickets (customer_id);
CREATE INDEX ON tickets (assignee_id);

CREATE TABLE invoices (
  id          bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers ON DELETE CASCADE,
  number      text NOT NULL,
  issued_on   date NOT NULL
);
CREATE INDEX ON invoices (customer_id);

-- Two hops ---------------------------------------------------------------------------------------

CREATE TABLE tasks (
  id           bigserial PRIMARY KEY,
  board_id     bigint NOT NULL REFERENCES boards ON DELETE CASCADE,
  milestone_id bigint REFERENCES milestones ON DELETE SET NULL,
  creator_id   bigint NOT NULL REFERENCES users,
  title        text NOT NULL,
  done         boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON tasks (board_id);
CREATE INDEX ON tasks (milestone_id);
CREATE INDEX ON tasks (creator_id);

CREATE TABLE webhook_deliveries (
  id         bigserial PRIMARY KEY,
  webhook_id bigint NOT NULL REFERENCES webhooks ON DELETE CASCADE,
  status     integer NOT NULL,
  sent_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON webhook_deliveries (webhook_id);

CREATE TABLE contact_notes (
  id         bigserial PRIMARY KEY,
  contact_id bigint NOT NULL REFERENCES contacts ON DELETE CASCADE,
  body       text NOT NULL
);
CREATE INDEX ON contact_notes (contact_id);

CREATE TABLE ticket_messages (
  id        bigserial PRIMARY KEY,
  ticket_id bigint NOT NULL REFERENCES tickets ON DELETE CASCADE,
  author_id bigint REFERENCES users ON DELETE SET NULL,
  body      text NOT NULL,
  sent_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON ticket_messages (ticket_id);
CREATE INDEX ON ticket_messages (author_id);

CREATE TABLE invoice_lines (
  id          bigserial PRIMARY KEY,
  invoice_id  bigint NOT NULL REFERENCES invoices ON DELETE CASCADE,
  description text NOT NULL,
  amount      numeric(12,2) NOT NULL
);
CREATE INDEX ON invoice_lines (invoice_id);

CREATE TABLE payments (
  id         bigserial PRIMARY KEY,
  invoice_id bigint NOT NULL REFERENCES invoices ON DELETE CASCADE,
  amount     numeric(12,2) NOT NULL CHECK (amount > 0),
  paid_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON payments (invoice_id);

-- Three hops -------------------------------------------------------------------------------------

CREATE TABLE task_comments (
  id        bigserial PRIMARY KEY,
  task_id   bigint NOT NULL REFERENCES tasks ON DELETE CASCADE,
  author_id bigint NOT NULL REFERENCES users,
  body      text NOT NULL,
  posted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON task_comments (task_id);
CREATE INDEX ON task_comments (author_id);

-- No id: the pair is the key.
CREATE TABLE task_labels (
  task_id  bigint NOT NULL REFERENCES tasks ON DELETE CASCADE,
  label_id bigint NOT NULL REFERENCES labels ON DELETE CASCADE,
  PRIMARY KEY (task_id, label_id)
);
CREATE INDEX ON task_labels (label_id);

CREATE TABLE attachments (
  id        bigserial PRIMARY KEY,
  task_id   bigint NOT NULL REFERENCES tasks ON DELETE CASCADE,
  file_name text NOT NULL,
  byte_size bigint NOT NULL CHECK (byte_size >= 0)
);
CREATE INDEX ON attachments (task_id);

CREATE TABLE time_entries (
  id         bigserial PRIMARY KEY,
  task_id    bigint NOT NULL REFERENCES tasks ON DELETE CASCADE,
  user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
  minutes    integer NOT NULL CHECK (minutes > 0),
  spent_on   date NOT NULL
);
CREATE INDEX ON time_entries (task_id);
CREATE INDEX ON time_entries (user_id);

-- Data -------------------------------------------------------------------------------------------

INSERT INTO plans (name, monthly_price) VALUES ('free', 0), ('team', 49), ('business', 199);

INSERT INTO accounts (name, plan_id, created_at)
SELECT 'Account ' || i, 1 + i % 3, timestamptz '2023-01-01' + i * interval '1 day'
FROM generate_series(1, 50) i;

INSERT INTO users (account_id, email, name, is_admin, created_at)
SELECT (i - 1) % 50 + 1, 'user' || i || '@example.com', 'User ' || i, i <= 50,
       timestamptz '2023-03-01' + i * interval '1 hour'
FROM generate_series(1, 2000) i;

INSERT INTO teams (account_id, name)
SELECT (i - 1) % 50 + 1, 'Team ' || i FROM generate_series(1, 200) i;

INSERT INTO projects (account_id, name, archived, created_at)
SELECT (i - 1) % 50 + 1, 'Project ' || i, i % 10 = 0, timestamptz '2023-04-01' + i * interval '3 hours'
FROM generate_series(1, 300) i;

INSERT INTO customers (account_id, name, email)
SELECT (i - 1) % 50 + 1, 'Customer ' || i, 'billing' || i || '@customer.test'
FROM generate_series(1, 1000) i;

-- Ten platform-wide defaults (no account), then each account's own copies of three of them.
INSERT INTO email_templates (account_id, key, subject, body)
SELECT NULL, k, initcap(replace(k, '_', ' ')), 'Hello {{name}}, ' || k || '.'
FROM unnest(ARRAY['welcome', 'password_reset', 'invite', 'ticket_opened', 'ticket_closed',
                  'invoice_issued', 'payment_received', 'payment_failed', 'mention', 'digest']) k;
INSERT INTO email_templates (account_id, key, subject, body)
SELECT a, k, 'Custom ' || k || ' for account ' || a, 'Hi {{name}} from account ' || a || '.'
FROM generate_series(1, 50) a, unnest(ARRAY['welcome', 'invite', 'digest']) k;

INSERT INTO team_members (team_id, user_id, role)
SELECT (i - 1) % 200 + 1, pg_temp.pick((i - 1) % 200 + 1, 2000, (i - 1) / 200),
       CASE WHEN i <= 200 THEN 'lead' ELSE 'member' END
FROM generate_series(1, 2000) i;

INSERT INTO api_keys (id, user_id, name, created_at)
SELECT md5('api key ' || i)::uuid, pg_temp.pick(i, 2000), 'key ' || i,
       timestamptz '2024-01-01' + i * interval '1 hour'
FROM generate_series(1, 500) i;

INSERT INTO user_sessions (user_id, ip, started_at)
SELECT pg_temp.pick(i, 2000, 3), ('10.0.' || (i % 250) || '.' || (i % 200 + 1))::inet,
       timestamptz '2024-02-01' + i * interval '5 minutes'
FROM generate_series(1, 8000) i;

INSERT INTO notifications (user_id, body, read)
SELECT pg_temp.pick(i, 2000, 5), 'Notification ' || i, i % 3 = 0
FROM generate_series(1, 10000) i;

INSERT INTO audit_events (user_id, action, detail, occurred_at)
SELECT pg_temp.pick(i, 2000, 1), (ARRAY['login', 'update', 'export', 'invite'])[1 + i % 4],
       jsonb_build_object('n', i), timestamptz '2024-01-01' + i * interval '1 minute'
FROM generate_series(1, 20000) i;

INSERT INTO boards (project_id, name, position)
SELECT pg_temp.pick(i, 300), 'Board ' || i, i % 5 FROM generate_series(1, 900) i;

INSERT INTO milestones (project_id, title, due_on)
SELECT pg_temp.pick(i, 300, 2), 'Milestone ' || i, date '2024-06-01' + i FROM generate_series(1, 600) i;

INSERT INTO labels (project_id, name)
SELECT pg_temp.pick(i, 300, 4), 'label-' || i FROM generate_series(1, 1500) i;

INSERT INTO webhooks (project_id, url)
SELECT pg_temp.pick(i, 300, 6), 'https://hooks.example.com/' || i FROM generate_series(1, 150) i;

INSERT INTO contacts (customer_id, name, phone)
SELECT pg_temp.pick(i, 1000), 'Contact ' || i, CASE WHEN i % 4 = 0 THEN NULL ELSE '+1555' || i END
FROM generate_series(1, 3000) i;

INSERT INTO tickets (customer_id, assignee_id, subject, status, opened_at)
SELECT pg_temp.pick(i, 1000, 1), CASE WHEN i % 5 = 0 THEN NULL ELSE pg_temp.pick(i, 2000, 2) END,
       'Ticket ' || i, (ARRAY['open', 'pending', 'closed'])[1 + i % 3],
       timestamptz '2024-03-01' + i * interval '10 minutes'
FROM generate_series(1, 5000) i;

INSERT INTO invoices (customer_id, number, issued_on)
SELECT pg_temp.pick(i, 1000, 3), 'INV-' || lpad(i::text, 6, '0'), date '2024-01-01' + i % 365
FROM generate_series(1, 3000) i;

INSERT INTO tasks (board_id, milestone_id, creator_id, title, done, created_at)
SELECT pg_temp.pick(i, 900), CASE WHEN i % 3 = 0 THEN NULL ELSE pg_temp.pick(i, 600, 1) END,
       pg_temp.pick(i, 2000, 7), 'Task ' || i, i % 4 = 0, timestamptz '2024-01-01' + i * interval '7 minutes'
FROM generate_series(1, 15000) i;

INSERT INTO webhook_deliveries (webhook_id, status, sent_at)
SELECT pg_temp.pick(i, 150), CASE WHEN i % 20 = 0 THEN 500 ELSE 200 END,
       timestamptz '2024-05-01' + i * interval '2 minutes'
FROM generate_series(1, 4000) i;

INSERT INTO contact_notes (contact_id, body)
SELECT pg_temp.pick(i, 3000, 1), 'Note ' || i FROM generate_series(1, 5000) i;

INSERT INTO ticket_messages (ticket_id, author_id, body, sent_at)
SELECT pg_temp.pick(i, 5000), CASE WHEN i % 2 = 0 THEN NULL ELSE pg_temp.pick(i, 2000, 9) END,
       'Message ' || i, timestamptz '2024-03-01' + i * interval '3 minutes'
FROM generate_series(1, 12000) i;

INSERT INTO invoice_lines (invoice_id, description, amount)
SELECT pg_temp.pick(i, 3000), 'Seat ' || i, 10 + i % 90 FROM generate_series(1, 9000) i;

INSERT INTO payments (invoice_id, amount, paid_at)
SELECT pg_temp.pick(i, 3000, 1), 20 + i % 200, timestamptz '2024-02-01' + i * interval '1 hour'
FROM generate_series(1, 2500) i;

INSERT INTO task_comments (task_id, author_id, body, posted_at)
SELECT pg_temp.pick(i, 15000), pg_temp.pick(i, 2000, 11), 'Comment ' || i,
       timestamptz '2024-01-02' + i * interval '4 minutes'
FROM generate_series(1, 20000) i;

-- Distinct pairs: salts 0..2 give three different labels of the task's account (30 labels each).
INSERT INTO task_labels (task_id, label_id)
SELECT t, pg_temp.pick(t, 1500, s) FROM generate_series(1, 5000) t, generate_series(0, 2) s;

INSERT INTO attachments (task_id, file_name, byte_size)
SELECT pg_temp.pick(i, 15000, 3), 'file-' || i || '.pdf', i * 1024 FROM generate_series(1, 4000) i;

INSERT INTO time_entries (task_id, user_id, minutes, spent_on)
SELECT pg_temp.pick(i, 15000, 5), pg_temp.pick(i, 2000, 13), 15 + i % 120, date '2024-01-01' + i % 200
FROM generate_series(1, 10000) i;

COMMIT;

ANALYZE;

-- The database that tests/codegen/catalog.rs describes, written by hand (until `apply` can make it
-- from a schema). Keep the two in step: the round-trip test reads every column back through the
-- code generated from the catalog.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA audit;

CREATE TYPE ticket_state AS ENUM ('open', 'won''t ship', 'global', 'self', 'In Progress', 'in_progress', '1st', 'type');
CREATE TYPE permission_action AS ENUM ('create', 'read', 'update', 'delete');
CREATE TYPE audit.level AS ENUM ('debug', 'info', 'WARN');
CREATE TYPE empty_enum AS ENUM ();

CREATE TABLE accounts (
  id   uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE scalar_values (
  account_id               uuid NOT NULL REFERENCES accounts ON DELETE CASCADE,
  id                       bigserial PRIMARY KEY,
  uuid_value               uuid NOT NULL,
  text_value               text NOT NULL,
  varchar_value            varchar(20) NOT NULL,
  varchar_unbounded_value  varchar NOT NULL,
  char_value               char(4) NOT NULL,
  smallint_value           smallint NOT NULL,
  integer_value            integer NOT NULL,
  bigint_value             bigint NOT NULL,
  real_value               real NOT NULL,
  double_value             double precision NOT NULL,
  boolean_value            boolean NOT NULL,
  numeric_value            numeric NOT NULL,
  numeric_scaled_value     numeric(10,2) NOT NULL,
  date_value               date NOT NULL,
  time_value               time NOT NULL,
  timestamp_value          timestamp NOT NULL,
  timestamptz_value        timestamptz NOT NULL,
  interval_value           interval NOT NULL,
  json_value               json NOT NULL,
  jsonb_value              jsonb NOT NULL,
  bytea_value              bytea NOT NULL,
  inet_value               inet NOT NULL,
  cidr_value               cidr NOT NULL,
  citext_value             citext NOT NULL,
  enum_value               permission_action NOT NULL,
  money_value              money NOT NULL,
  point_value              point NOT NULL,
  state                    ticket_state NOT NULL DEFAULT 'open',
  created_at               timestamptz NOT NULL DEFAULT now(),
  doubled                  bigint NOT NULL GENERATED ALWAYS AS ((integer_value)::bigint * 2) STORED
);

CREATE TABLE nullable_values (
  id                       serial PRIMARY KEY,
  uuid_value               uuid,
  text_value               text,
  varchar_value            varchar(20),
  varchar_unbounded_value  varchar,
  char_value               char(4),
  smallint_value           smallint,
  integer_value            integer,
  bigint_value             bigint,
  real_value               real,
  double_value             double precision,
  boolean_value            boolean,
  numeric_value            numeric,
  numeric_scaled_value     numeric(10,2),
  date_value               date,
  time_value               time,
  timestamp_value          timestamp,
  timestamptz_value        timestamptz,
  interval_value           interval,
  json_value               json,
  jsonb_value              jsonb,
  bytea_value              bytea,
  inet_value               inet,
  cidr_value               cidr,
  citext_value             citext,
  enum_value               permission_action,
  money_value              money,
  point_value              point,
  note                     text DEFAULT 'hello',
  text_length              integer GENERATED ALWAYS AS (length(text_value)) STORED
);

CREATE TABLE array_values (
  id                       integer PRIMARY KEY,
  uuid_values              uuid[],
  text_values              text[],
  varchar_values           varchar(20)[],
  varchar_unbounded_values varchar[],
  char_values              char(4)[],
  smallint_values          smallint[],
  integer_values           integer[],
  bigint_values            bigint[],
  real_values              real[],
  double_values            double precision[],
  boolean_values           boolean[],
  numeric_values           numeric[],
  numeric_scaled_values    numeric(10,2)[],
  date_values              date[],
  time_values              time[],
  timestamp_values         timestamp[],
  timestamptz_values       timestamptz[],
  interval_values          interval[],
  json_values              json[],
  jsonb_values             jsonb[],
  bytea_values             bytea[],
  inet_values              inet[],
  cidr_values              cidr[],
  citext_values            citext[],
  enum_values              permission_action[],
  money_values             money[],
  state_values             ticket_state[],
  tags                     text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE "match" (
  id        integer PRIMARY KEY,
  "type"    text NOT NULL,
  "self"    integer NOT NULL,
  "Self"    text,
  "crate"   boolean,
  "fn"      text,
  "userId"  text NOT NULL,
  user_id   text NOT NULL
);

CREATE TABLE new_match (id integer PRIMARY KEY);

CREATE TABLE "option" (id integer PRIMARY KEY, value text);

CREATE TABLE audit.events (
  id      uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  level   audit.level NOT NULL,
  levels  audit.level[] NOT NULL DEFAULT '{}',
  payload jsonb
);

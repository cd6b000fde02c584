//! Introspection against a real PostgreSQL: every object kind read back field by field,
//! canonicalisation printing what the real objects print and leaving nothing behind, and a query
//! count that does not grow with the number of tables.

use schemac::catalog::{
    BaseType, Catalog, CheckConstraint, Column, EnumType, FkAction, ForeignKey, Grant, Index,
    IndexKey, Policy, PolicyCommand, PrimaryKey, Privilege, QualifiedName, SqlType, Table,
    UniqueConstraint,
};
use schemac::introspect::{self, CanonicalizeError};
use schemac::source::{FileId, SourceSet, Span};
use schemac::sql::ddl;
use sqlx::PgConnection;

use local_db::LocalDb;

mod support;

#[tokio::test]
async fn introspects_every_object_kind() {
    let mut db = LocalDb::new("every_kind").await;
    let reader = db.role("reader").await;
    db.run(&format!(
        r#"
        create extension if not exists citext;
        create schema app;
        create type public.status as enum ('open', 'closed', 'won''t ship');
        comment on type public.status is 'Lifecycle';
        create type app.level as enum ('low', 'high');
        create table public.accounts (
            id uuid primary key default gen_random_uuid(),
            name text not null
        );
        create table public.users (
            id bigserial primary key,
            account_id uuid not null references accounts (id) on delete cascade,
            email citext not null unique,
            "Name" varchar(20),
            code char(3),
            small smallint, n int, big bigint, r real, d double precision,
            flag boolean not null default false,
            price numeric(10,2), amount numeric, born date, at_time time, ts timestamp,
            created_at timestamptz not null default now(),
            span interval, j json, jb jsonb not null default '{{}}', bin bytea, ip inet, net cidr,
            tags text[] not null default '{{}}', levels app.level[],
            state status not null default 'open',
            lower_email text generated always as (lower(email::text)) stored,
            location point,
            ts3 timestamptz(3),
            constraint users_account_id_id_key unique (account_id, id),
            constraint users_check check (n > 0 and big > n)
        );
        comment on table users is 'People.
Who log in.';
        comment on column users.email is 'Login';
        create table app.sessions (
            account_id uuid not null,
            id uuid default gen_random_uuid(),
            user_id bigint,
            note text check (length(note) < 100),
            primary key (account_id, id),
            constraint sessions_user_fkey foreign key (account_id, user_id)
                references users (account_id, id) on delete set null (user_id) on update cascade
        );
        create index sessions_user_idx on app.sessions (user_id) where user_id is not null;
        create index users_lower_idx on users (lower("Name"), n);
        create index users_tags_idx on users using gin (tags);
        create unique index users_sum_idx on users ((big + n));
        alter table users enable row level security;
        alter table users force row level security;
        create policy tenant_isolation on users
            using (account_id = current_setting('app.current_account_id', true)::uuid)
            with check (account_id = current_setting('app.current_account_id', true)::uuid);
        create policy readers on users for select to {reader} using (true);
        grant select, insert on users to {reader};
        -- INSERT counts only with the serial key's sequence usable (nextval): as `grant insert` does.
        grant usage on sequence users_id_seq to {reader};
        grant select on app.sessions to public;
        create table schemac_history (id int);
        create schema schemac_internal;
        create table schemac_internal.kept_out (id int);
        "#
    ))
    .await;

    let catalog = introspect::catalog(db.conn()).await.unwrap();

    assert_eq!(catalog.namespaces.iter().collect::<Vec<_>>(), ["app"]);
    assert!(catalog.extensions.contains("citext"));
    assert!(!catalog.extensions.contains("plpgsql"));
    assert!(catalog.has_role(&reader));
    assert!(catalog.roles.iter().all(|r| !r.name.starts_with("pg_")));

    let enum_names: Vec<String> = catalog.enums.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(enum_names, ["app.level", "public.status"]);
    let status = catalog.enum_type(&QualifiedName::public("status")).unwrap();
    assert_eq!(status.values, ["open", "closed", "won't ship"]);
    assert_eq!(status.comment.as_deref(), Some("Lifecycle"));

    let table_names: Vec<String> = catalog.tables.iter().map(|t| t.name.to_string()).collect();
    assert_eq!(
        table_names,
        ["app.sessions", "public.accounts", "public.users"],
        "schemac_* tables and schemas are never read"
    );

    let users = catalog.table(&QualifiedName::public("users")).unwrap();
    let ty = |name: &str| users.column(name).unwrap().ty.clone();
    let scalar = SqlType::scalar;
    assert_eq!(ty("id"), scalar(BaseType::BigInt));
    assert_eq!(ty("email"), scalar(BaseType::Citext));
    assert_eq!(ty("Name"), scalar(BaseType::Varchar(Some(20))));
    assert_eq!(ty("code"), scalar(BaseType::Char(3)));
    assert_eq!(ty("small"), scalar(BaseType::SmallInt));
    assert_eq!(ty("n"), scalar(BaseType::Integer));
    assert_eq!(ty("r"), scalar(BaseType::Real));
    assert_eq!(ty("d"), scalar(BaseType::Double));
    assert_eq!(ty("flag"), scalar(BaseType::Boolean));
    assert_eq!(ty("price"), scalar(BaseType::Numeric(Some((10, 2)))));
    assert_eq!(ty("amount"), scalar(BaseType::Numeric(None)));
    assert_eq!(ty("born"), scalar(BaseType::Date));
    assert_eq!(ty("at_time"), scalar(BaseType::Time));
    assert_eq!(ty("ts"), scalar(BaseType::Timestamp));
    assert_eq!(ty("created_at"), scalar(BaseType::Timestamptz));
    assert_eq!(ty("span"), scalar(BaseType::Interval));
    assert_eq!(ty("j"), scalar(BaseType::Json));
    assert_eq!(ty("jb"), scalar(BaseType::Jsonb));
    assert_eq!(ty("bin"), scalar(BaseType::Bytea));
    assert_eq!(ty("ip"), scalar(BaseType::Inet));
    assert_eq!(ty("net"), scalar(BaseType::Cidr));
    assert_eq!(ty("tags"), SqlType::array_of(BaseType::Text));
    assert_eq!(
        ty("levels"),
        SqlType::array_of(BaseType::Enum(QualifiedName::new("app", "level")))
    );
    assert_eq!(
        ty("state"),
        scalar(BaseType::Enum(QualifiedName::public("status")))
    );
    assert_eq!(ty("location"), scalar(BaseType::Other("point".into())));
    assert_eq!(
        ty("ts3"),
        scalar(BaseType::Other("timestamp(3) with time zone".into()))
    );

    let column = |name: &str| users.column(name).unwrap();
    let id = column("id");
    assert!(id.serial && !id.nullable);
    assert_eq!(
        id.default.as_deref(),
        Some("nextval('users_id_seq'::regclass)")
    );
    assert!(column("Name").nullable);
    assert!(!column("flag").nullable);
    assert_eq!(column("flag").default.as_deref(), Some("false"));
    assert!(!column("flag").serial);
    assert_eq!(column("created_at").default.as_deref(), Some("now()"));
    assert_eq!(column("jb").default.as_deref(), Some("'{}'::jsonb"));
    assert_eq!(column("tags").default.as_deref(), Some("'{}'::text[]"));
    assert_eq!(column("state").default.as_deref(), Some("'open'::status"));
    let generated = column("lower_email");
    assert_eq!(generated.generated.as_deref(), Some("lower((email)::text)"));
    assert_eq!(generated.default, None);
    assert_eq!(column("email").comment.as_deref(), Some("Login"));
    assert_eq!(users.comment.as_deref(), Some("People.\nWho log in."));
    let names: Vec<&str> = users.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        &names[..4],
        ["id", "account_id", "email", "Name"],
        "attnum order"
    );

    assert_eq!(
        users.primary_key,
        Some(PrimaryKey {
            name: "users_pkey".into(),
            columns: vec!["id".into()],
            origin: None
        })
    );
    assert_eq!(
        users.uniques,
        [
            UniqueConstraint {
                nulls_not_distinct: false,
                name: "users_account_id_id_key".into(),
                columns: vec!["account_id".into(), "id".into()],
                origin: None
            },
            UniqueConstraint {
                nulls_not_distinct: false,
                name: "users_email_key".into(),
                columns: vec!["email".into()],
                origin: None
            }
        ]
    );
    assert_eq!(
        users.checks,
        [CheckConstraint {
            name: "users_check".into(),
            expr: "n > 0 AND big > n".into(),
            origin: None
        }]
    );
    assert_eq!(
        users.foreign_keys,
        [ForeignKey {
            name: "users_account_id_fkey".into(),
            columns: vec!["account_id".into()],
            referenced_table: QualifiedName::public("accounts"),
            referenced_columns: vec!["id".into()],
            on_delete: FkAction::Cascade,
            on_delete_columns: vec![],
            on_update: FkAction::NoAction,
            origin: None
        }]
    );
    // Indexes backing the primary key and unique constraints belong to them.
    assert_eq!(
        users.indexes,
        [
            Index {
                options: Default::default(),
                name: "users_lower_idx".into(),
                unique: false,
                method: "btree".into(),
                keys: vec![
                    IndexKey::Expr(r#"lower("Name"::text)"#.into()),
                    IndexKey::Column("n".into())
                ],
                predicate: None,
                origin: None
            },
            Index {
                options: Default::default(),
                name: "users_sum_idx".into(),
                unique: true,
                method: "btree".into(),
                keys: vec![IndexKey::Expr("big + n".into())],
                predicate: None,
                origin: None
            },
            Index {
                options: Default::default(),
                name: "users_tags_idx".into(),
                unique: false,
                method: "gin".into(),
                keys: vec![IndexKey::Column("tags".into())],
                predicate: None,
                origin: None
            },
        ]
    );
    assert!(users.rls_enabled && users.rls_forced);
    let isolation = "(account_id = (current_setting('app.current_account_id'::text, true))::uuid)";
    assert_eq!(
        users.policies,
        [
            Policy {
                name: "readers".into(),
                command: PolicyCommand::Select,
                roles: vec![reader.clone()],
                using: Some("true".into()),
                with_check: None,
                origin: None
            },
            Policy {
                name: "tenant_isolation".into(),
                command: PolicyCommand::All,
                roles: vec![],
                using: Some(isolation.into()),
                with_check: Some(isolation.into()),
                origin: None
            },
        ]
    );
    assert_eq!(
        users.grants,
        [
            Grant {
                role: reader.clone(),
                privilege: Privilege::Select
            },
            Grant {
                role: reader.clone(),
                privilege: Privilege::Insert
            },
        ],
        "the owner's own privileges are not grants"
    );

    let sessions = catalog
        .table(&QualifiedName::new("app", "sessions"))
        .unwrap();
    assert_eq!(
        sessions.primary_key.as_ref().map(|pk| pk.columns.clone()),
        Some(vec!["account_id".to_string(), "id".to_string()])
    );
    assert_eq!(
        sessions.foreign_keys,
        [ForeignKey {
            name: "sessions_user_fkey".into(),
            columns: vec!["account_id".into(), "user_id".into()],
            referenced_table: QualifiedName::public("users"),
            referenced_columns: vec!["account_id".into(), "id".into()],
            on_delete: FkAction::SetNull,
            on_delete_columns: vec!["user_id".into()],
            on_update: FkAction::Cascade,
            origin: None
        }]
    );
    assert_eq!(
        sessions.checks,
        [CheckConstraint {
            name: "sessions_note_check".into(),
            expr: "length(note) < 100".into(),
            origin: None
        }]
    );
    assert_eq!(
        sessions.indexes,
        [Index {
            options: Default::default(),
            name: "sessions_user_idx".into(),
            unique: false,
            method: "btree".into(),
            keys: vec![IndexKey::Column("user_id".into())],
            predicate: Some("user_id IS NOT NULL".into()),
            origin: None
        }]
    );
    assert_eq!(
        sessions.grants,
        [Grant {
            role: "public".into(),
            privilege: Privilege::Select
        }]
    );
    assert!(!sessions.rls_enabled && sessions.policies.is_empty());

    db.drop().await;
}

/// A desired catalog written the way a schema author writes expressions.
fn desired_catalog(reader: &str) -> Catalog {
    let span = |start: usize| Some(Span::new(FileId(0), start, start + 10));
    let mut catalog = Catalog::default();
    catalog.namespaces.insert("app".into());
    catalog.enums.push(EnumType {
        name: QualifiedName::new("app", "state"),
        values: vec!["a".into(), "b".into()],
        comment: None,
        renamed_from: None,
        origin: span(0),
    });

    let mut table = Table::new(QualifiedName::public("orders"));
    let mut id = Column::new("id", SqlType::scalar(BaseType::Integer));
    id.serial = true;
    id.default = Some("nextval('orders_id_seq'::regclass)".into());
    let mut account = Column::new("account_id", SqlType::scalar(BaseType::Uuid));
    account.default = Some("gen_random_uuid()".into());
    let mut status = Column::new("status", SqlType::scalar(BaseType::Text));
    status.default = Some("'a'".into());
    let mut state = Column::new(
        "state",
        SqlType::scalar(BaseType::Enum(QualifiedName::new("app", "state"))),
    );
    state.default = Some("'a'".into());
    let mut data = Column::new("data", SqlType::scalar(BaseType::Jsonb));
    data.default = Some("'{}'".into());
    let mut created = Column::new("created_at", SqlType::scalar(BaseType::Timestamptz));
    created.default = Some("now()".into());
    let mut total = Column::new("total", SqlType::scalar(BaseType::Numeric(Some((10, 2)))));
    total.default = Some("0".into());
    let mut doubled = Column::new("doubled", SqlType::scalar(BaseType::Numeric(None)));
    doubled.nullable = true;
    doubled.generated = Some("total * 2".into());
    table.columns = vec![id, account, status, state, data, created, total, doubled];
    table.primary_key = Some(PrimaryKey {
        name: "orders_pkey".into(),
        columns: vec!["id".into()],
        origin: None,
    });
    table.checks.push(CheckConstraint {
        name: "orders_status_check".into(),
        expr: "status in ('a', 'b')".into(),
        origin: span(100),
    });
    table.indexes.push(Index {
        options: Default::default(),
        name: "orders_lower_idx".into(),
        unique: false,
        method: "btree".into(),
        keys: vec![IndexKey::Expr("lower(status)".into())],
        predicate: Some("total > 0".into()),
        origin: span(200),
    });
    table.rls_enabled = true;
    let isolation = "account_id = current_setting('app.current_account_id', true)::uuid";
    table.policies.push(Policy {
        name: "tenant_isolation".into(),
        command: PolicyCommand::All,
        roles: vec![],
        using: Some(isolation.into()),
        with_check: Some(isolation.into()),
        origin: span(300),
    });
    table.policies.push(Policy {
        name: "readers".into(),
        command: PolicyCommand::Select,
        roles: vec![reader.to_string()],
        using: Some("status <> 'b'".into()),
        with_check: None,
        origin: span(400),
    });
    catalog.tables.push(table);

    let mut logs = Table::new(QualifiedName::new("app", "logs"));
    let mut at = Column::new("at", SqlType::scalar(BaseType::Timestamptz));
    at.default = Some("now() + interval '1 day'".into());
    logs.columns.push(at);
    logs.columns
        .push(Column::new("n", SqlType::scalar(BaseType::BigInt)));
    logs.checks.push(CheckConstraint {
        name: "logs_n_check".into(),
        expr: "n between 1 and 10".into(),
        origin: None,
    });
    catalog.tables.push(logs);
    catalog
}

#[tokio::test]
async fn canonicalize_prints_what_the_real_objects_print() {
    let mut db = LocalDb::new("canonical").await;
    // A role named by a policy that does not exist yet: canonicalize creates it and rolls it back.
    let reader = db.role_name("reader");
    let desired = desired_catalog(&reader);

    let canonical = introspect::canonicalize(db.conn(), &desired).await.unwrap();
    assert_eq!(db.scratch_schemas().await, Vec::<String>::new());
    assert!(
        !db.role_exists(&reader).await,
        "the scratch role is rolled back"
    );
    let before = introspect::catalog(db.conn()).await.unwrap();
    assert!(before.tables.is_empty() && before.enums.is_empty());

    let orders = canonical.table(&QualifiedName::public("orders")).unwrap();
    let default = |name: &str| orders.column(name).unwrap().default.clone();
    assert_eq!(default("status").as_deref(), Some("'a'::text"));
    assert_eq!(default("state").as_deref(), Some("'a'::app.state"));
    assert_eq!(default("data").as_deref(), Some("'{}'::jsonb"));
    assert_eq!(default("created_at").as_deref(), Some("now()"));
    assert_eq!(
        default("id").as_deref(),
        Some("nextval('orders_id_seq'::regclass)")
    );
    assert_eq!(
        orders.checks[0].expr,
        "status = ANY (ARRAY['a'::text, 'b'::text])"
    );
    assert_eq!(
        orders.policies[0].using.as_deref(),
        Some("(account_id = (current_setting('app.current_account_id'::text, true))::uuid)")
    );
    // Origins and everything that is not an expression are kept.
    assert_eq!(orders.checks[0].origin, desired.tables[0].checks[0].origin);
    assert_eq!(orders.primary_key, desired.tables[0].primary_key);

    // The same objects created for real read back exactly as canonicalised.
    db.role(&reader).await;
    create_catalog(db.conn(), &desired).await;
    let real = introspect::catalog(db.conn()).await.unwrap();
    let mut real = real.normalized();
    real.roles.clear();
    real.extensions.clear();
    let mut expected = canonical.normalized();
    expected.roles.clear();
    assert_eq!(real, expected);

    // Canonical text is a fixed point, also once the objects exist for real (scratch names shadow
    // the real ones).
    let again = introspect::canonicalize(db.conn(), &canonical)
        .await
        .unwrap();
    assert_eq!(again, canonical);
    assert_eq!(db.scratch_schemas().await, Vec::<String>::new());

    db.drop().await;
}

#[tokio::test]
async fn canonicalize_reports_invalid_expressions_at_their_origin() {
    let mut db = LocalDb::new("invalid").await;
    let reader = db.role_name("reader");
    let mut desired = desired_catalog(&reader);
    let orders = &mut desired.tables[0];
    orders.checks[0].expr = "statuz in ('a')".into();
    orders.indexes[0].predicate = Some("total >".into());
    orders.columns[2].default = Some("'a' || ) ; commit; drop table x; --".into());
    orders.columns[2].origin = Some(Span::new(FileId(1), 5, 9));

    let error = introspect::canonicalize(db.conn(), &desired)
        .await
        .unwrap_err();
    let CanonicalizeError::Invalid(invalid) = error else {
        panic!("expected invalid expressions, got {error:?}");
    };
    let found: Vec<(Option<Span>, bool)> = invalid
        .iter()
        .map(|i| (i.origin, !i.message.is_empty()))
        .collect();
    assert_eq!(
        found,
        [
            (Some(Span::new(FileId(1), 5, 9)), true),
            (desired.tables[0].checks[0].origin, true),
            (desired.tables[0].indexes[0].origin, true),
        ],
        "{invalid:#?}"
    );
    assert!(invalid[0]
        .message
        .contains("default of `public.orders.status`"));
    assert!(invalid[1].message.contains("check `orders_status_check`"));
    assert!(invalid[1].message.contains("statuz"));
    assert!(invalid[2].message.contains("index `orders_lower_idx`"));
    assert_eq!(db.scratch_schemas().await, Vec::<String>::new());
    let after = introspect::catalog(db.conn()).await.unwrap();
    assert!(after.tables.is_empty() && after.enums.is_empty());

    db.drop().await;
}

#[tokio::test]
async fn query_count_does_not_grow_with_tables() {
    let mut db = LocalDb::new("query_count").await;
    db.run("create table t0 (id int primary key, v text check (v <> ''))")
        .await;
    let (one, one_stats) = introspect::catalog_with_stats(db.conn()).await.unwrap();
    assert_eq!(one.tables.len(), 1);
    let mut sql = String::new();
    for i in 1..200 {
        sql.push_str(&format!(
            "create table t{i} (id int primary key, v text check (v <> ''), p int references t0);
             create index on t{i} (v) where v is not null;\n"
        ));
    }
    db.run(&sql).await;
    let (many, many_stats) = introspect::catalog_with_stats(db.conn()).await.unwrap();
    assert_eq!(many.tables.len(), 200);
    assert_eq!(
        many.tables.iter().map(|t| t.indexes.len()).sum::<usize>(),
        199
    );
    assert_eq!(one_stats.queries, many_stats.queries);
    assert_eq!(
        one_stats.queries, 17,
        "one query per object kind (constraints in two: checks apart), and the operator classes"
    );
    db.drop().await;
}

#[tokio::test]
async fn to_source_recognises_a_tenancy_database() {
    let mut db = LocalDb::new("to_source").await;
    let admin = db.role("platform_admin").await;
    let app = db.role("app_user").await;
    let isolation =
        "account_id = NULLIF(current_setting('app.current_account_id', true), '')::uuid";
    let mut sql = String::from(
        "create table accounts (id uuid primary key default gen_random_uuid(), name text not null);
         create table templates (id uuid primary key default gen_random_uuid(), name text not null);
         create table users (
             id uuid primary key default gen_random_uuid(),
             email text not null unique,
             name text,
             account_id uuid not null default NULLIF(current_setting('app.current_account_id', true), '')::uuid references accounts on delete cascade,
             unique (account_id, id));
         create table sessions (
             id uuid primary key default gen_random_uuid(),
             user_id uuid not null,
             account_id uuid not null default NULLIF(current_setting('app.current_account_id', true), '')::uuid references accounts on delete cascade,
             foreign key (account_id, user_id) references users (account_id, id) on delete cascade);
         create index on sessions (account_id);",
    );
    for table in ["users", "sessions"] {
        sql.push_str(&format!(
            "alter table {table} enable row level security;
             alter table {table} force row level security;
             create policy tenant_isolation on {table} using ({isolation}) with check ({isolation});
             create policy {admin}_bypass on {table} to {admin} using (true) with check (true);
             grant select, insert, update, delete on {table} to {app};"
        ));
    }
    sql.push_str(&format!("grant select on templates to {app};"));
    db.run(&sql).await;

    let catalog = introspect::catalog(db.conn()).await.unwrap();
    let source = schemac::to_source::to_source(&catalog);
    assert_eq!(source.warnings, Vec::<String>::new());
    let expected = format!(
        r#"tenancy {{
  root    accounts
  column  account_id
  setting "app.current_account_id"
  bypass  {admin}
  fill    off
}}

table accounts {{
  id    uuid  primary default(gen_random_uuid())
  name  text
}}

tenant table sessions {{
  id       uuid  primary default(gen_random_uuid())
  user_id  uuid  references users on delete cascade
}}

table templates {{
  id    uuid  primary default(gen_random_uuid())
  name  text
}}

tenant table users {{
  id     uuid   primary default(gen_random_uuid())
  email  text   unique
  name   text?
}}

role {app}
role {admin}

grant select on templates to {app}
grant select, insert, update, delete on sessions, users to {app}
"#
    );
    assert_eq!(source.text, expected);
    assert_reads_back(&mut db, &catalog, &source.text).await;
    db.drop().await;
}

/// Compiles `text`, canonicalises it against the database, and asserts it equals what the
/// database holds (roles, which are cluster-wide, and extensions aside).
async fn assert_reads_back(db: &mut LocalDb, introspected: &Catalog, text: &str) {
    let mut sources = SourceSet::default();
    sources.add("introspected.schema", text);
    let compiled = schemac::compile::compile(&sources);
    assert!(
        !compiled.has_errors(),
        "{:#?}\n{text}",
        compiled.diagnostics
    );
    let lowered = compiled.catalog.expect("a catalog without errors");
    let canonical = introspect::canonicalize(db.conn(), &lowered).await.unwrap();
    let comparable = |catalog: &Catalog| {
        let mut catalog = catalog.normalized();
        catalog.roles.clear();
        catalog.extensions.clear();
        catalog
    };
    assert_eq!(comparable(&canonical), comparable(introspected), "{text}");
}

#[tokio::test]
async fn to_source_reads_back_as_the_database() {
    let mut db = LocalDb::new("reads_back").await;
    let reader = db.role("reader").await;
    db.run(&format!(
        r#"
        create extension if not exists citext;
        create schema app;
        create type public.status as enum ('open', 'closed', 'won''t ship');
        comment on type public.status is 'Lifecycle';
        create type app.level as enum ('low', 'high');
        create table public.accounts (
            id uuid primary key default gen_random_uuid(),
            name text not null
        );
        create table public.users (
            id bigserial primary key,
            account_id uuid not null references accounts (id) on delete cascade,
            email citext not null unique,
            "Name" varchar(20),
            code char(3),
            small smallint, n int, big bigint, r real, d double precision,
            flag boolean not null default false,
            price numeric(10,2), amount numeric, born date, at_time time, ts timestamp,
            created_at timestamptz not null default now(),
            span interval, j json, jb jsonb not null default '{{}}', bin bytea, ip inet, net cidr,
            tags text[] not null default '{{}}', levels app.level[],
            state status not null default 'open',
            lower_email text generated always as (lower(email::text)) stored,
            location point,
            constraint users_account_id_id_key unique (account_id, id),
            constraint users_check check (n > 0 and big > n),
            constraint positive_price check (price > 0)
        );
        comment on table users is 'People.
Who log in.';
        comment on column users.email is 'Login';
        create table app.sessions (
            id uuid primary key default gen_random_uuid(),
            user_id bigint references users on delete set null,
            note text check (length(note) < 100)
        );
        create index sessions_user_idx on app.sessions (user_id) where user_id is not null;
        create index on app.sessions (note);
        create index on users (lower("Name"), n);
        create index users_tags_idx on users using gin (tags);
        alter table users enable row level security;
        create policy tenant_isolation on users
            using (account_id = current_setting('app.current_account_id', true)::uuid)
            with check (account_id = current_setting('app.current_account_id', true)::uuid);
        create policy readers on users for select to {reader} using (true);
        create policy writers on users for insert with check (state = 'open');
        grant select, insert on users to {reader};
        grant select on app.sessions to public;
        "#
    ))
    .await;

    let catalog = introspect::catalog(db.conn()).await.unwrap();
    let source = schemac::to_source::to_source(&catalog);
    assert_eq!(source.warnings, Vec::<String>::new(), "{}", source.text);
    assert!(
        !source.text.contains("tenancy"),
        "one tenant table without FORCE is no tenancy"
    );
    assert_reads_back(&mut db, &catalog, &source.text).await;
    db.drop().await;
}

/// Creates every object of `catalog` with `sql::ddl` (the way a plan from an empty database would).
async fn create_catalog(conn: &mut PgConnection, catalog: &Catalog) {
    let mut statements = Vec::new();
    for namespace in &catalog.namespaces {
        statements.push(ddl::create_schema(namespace));
    }
    for extension in &catalog.extensions {
        statements.push(ddl::create_extension(extension));
    }
    for enum_type in &catalog.enums {
        statements.push(ddl::create_enum(enum_type));
        if let Some(comment) = &enum_type.comment {
            statements.push(ddl::comment_on_type(&enum_type.name, Some(comment)));
        }
    }
    for table in &catalog.tables {
        statements.push(ddl::create_table(table));
        if let Some(comment) = &table.comment {
            statements.push(ddl::comment_on_table(&table.name, Some(comment)));
        }
        for column in &table.columns {
            if let Some(comment) = &column.comment {
                statements.push(ddl::comment_on_column(
                    &table.name,
                    &column.name,
                    Some(comment),
                ));
            }
        }
    }
    for table in &catalog.tables {
        for fk in &table.foreign_keys {
            statements.push(ddl::add_foreign_key(&table.name, fk, false));
        }
        for index in &table.indexes {
            statements.push(ddl::create_index(&table.name, index, false));
        }
        if table.rls_enabled {
            statements.push(ddl::enable_rls(&table.name));
        }
        if table.rls_forced {
            statements.push(ddl::force_rls(&table.name));
        }
        for policy in &table.policies {
            statements.push(ddl::create_policy(&table.name, policy));
        }
        for grant in &table.grants {
            statements.push(ddl::grant(&table.name, &grant.role, &[grant.privilege]));
        }
    }
    for statement in statements {
        sqlx::raw_sql(&statement)
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

/// The shared `TestDb` (a database of its own per test) plus the cluster-wide roles a test makes,
/// dropped after the database even when the test panics.
mod local_db {
    use sqlx::{Connection, PgConnection};

    use crate::support::TestDb;

    pub struct LocalDb {
        db: Option<TestDb>,
        admin_url: String,
        suffix: String,
        roles: Vec<String>,
        conn: Option<PgConnection>,
    }

    impl LocalDb {
        pub async fn new(test: &str) -> LocalDb {
            let db = TestDb::named(&format!("introspect_{test}")).await;
            let conn = db.connect().await;
            LocalDb {
                suffix: format!("{:08x}", fastrand::u32(..)),
                admin_url: db.admin_url(),
                db: Some(db),
                roles: Vec::new(),
                conn: Some(conn),
            }
        }

        pub fn conn(&mut self) -> &mut PgConnection {
            self.conn.as_mut().expect("connection is open until drop")
        }

        pub async fn run(&mut self, sql: &str) {
            sqlx::raw_sql(sql)
                .execute(self.conn())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }

        /// A role name unique to this test (roles are cluster-wide), dropped after the database.
        pub fn role_name(&mut self, base: &str) -> String {
            let role = format!("{base}_{}", self.suffix);
            if !self.roles.contains(&role) {
                self.roles.push(role.clone());
            }
            role
        }

        /// Creates the role named `role_name(base)` (or `base` itself if already a full name).
        pub async fn role(&mut self, base: &str) -> String {
            let role = if base.ends_with(&self.suffix) {
                base.to_string()
            } else {
                self.role_name(base)
            };
            self.run(&format!("create role \"{role}\" nologin")).await;
            role
        }

        pub async fn role_exists(&mut self, role: &str) -> bool {
            sqlx::query_scalar("select exists (select 1 from pg_roles where rolname = $1)")
                .bind(role)
                .fetch_one(self.conn())
                .await
                .unwrap()
        }

        pub async fn scratch_schemas(&mut self) -> Vec<String> {
            sqlx::query_scalar(
                "select nspname::text from pg_namespace where nspname like 'schemac\\_scratch%'",
            )
            .fetch_all(self.conn())
            .await
            .unwrap()
        }

        /// Drops the database, then the roles.
        pub async fn drop(mut self) {
            if let Some(conn) = self.conn.take() {
                let _ = conn.close().await;
            }
            // TestDb drops its database from a thread of its own; the roles go after it, since a
            // role that holds privileges in a database cannot be dropped.
            drop(self.db.take());
            drop_roles(&self.admin_url, &std::mem::take(&mut self.roles)).await;
        }
    }

    async fn drop_roles(admin_url: &str, roles: &[String]) {
        if roles.is_empty() {
            return;
        }
        let mut admin = PgConnection::connect(admin_url).await.unwrap();
        for role in roles {
            sqlx::raw_sql(&format!("drop role if exists \"{role}\""))
                .execute(&mut admin)
                .await
                .unwrap();
        }
    }

    impl Drop for LocalDb {
        /// On panic, from a thread with its own runtime (the test's runtime cannot be blocked on
        /// from inside `drop`).
        fn drop(&mut self) {
            drop(self.conn.take());
            drop(self.db.take());
            let roles = std::mem::take(&mut self.roles);
            if roles.is_empty() {
                return;
            }
            let admin_url = self.admin_url.clone();
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(drop_roles(&admin_url, &roles));
            })
            .join();
        }
    }
}

/// Introspection turns JIT off while it reads (its queries cost more to compile than to run) and
/// must give the session back as it found it.
#[tokio::test]
async fn introspection_leaves_the_session_jit_setting_as_it_was() {
    let mut db = LocalDb::new("settings").await;
    db.run("create table t (id int primary key)").await;
    for value in ["on", "off"] {
        db.run(&format!("set jit = {value}")).await;
        let catalog = introspect::catalog(db.conn()).await.unwrap();
        assert_eq!(catalog.tables.len(), 1);
        let jit: String = sqlx::query_scalar("select current_setting('jit')")
            .fetch_one(db.conn())
            .await
            .unwrap();
        assert_eq!(jit, value);
    }
    db.drop().await;
}

/// PostgreSQL 18 keeps NOT NULL as constraints in `pg_constraint` (contype 'n') and sets
/// `attnotnull` even for one added `NOT VALID`, which old rows may violate: introspection reads such
/// a column as nullable, and no NOT NULL constraint as a check. Before 18 the same table has no
/// 'n' constraints and the column with a NULL is nullable all the same.
#[tokio::test]
async fn not_null_constraints_of_postgresql_18_are_read_as_nullability() {
    let mut db = LocalDb::new("not_null_18").await;
    db.run(
        "create table t (id int primary key, a int not null, b int check (b > 0), c int);
         insert into t values (1, 1, 1, null);",
    )
    .await;
    let version: i32 = sqlx::query_scalar("select current_setting('server_version_num')::int")
        .fetch_one(db.conn())
        .await
        .unwrap();
    if version >= 180000 {
        db.run("alter table t add constraint t_c_later not null c not valid")
            .await;
        let (kind, validated): (String, bool) = sqlx::query_as(
            "select contype::text, convalidated from pg_constraint where conname = 't_c_later'",
        )
        .fetch_one(db.conn())
        .await
        .unwrap();
        assert_eq!((kind.as_str(), validated), ("n", false));
    }
    let catalog = introspect::catalog(db.conn()).await.unwrap();
    let table = &catalog.tables[0];
    let nullable: Vec<(&str, bool)> = table
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.nullable))
        .collect();
    assert_eq!(
        nullable,
        [("id", false), ("a", false), ("b", true), ("c", true)],
        "server {version}"
    );
    let checks: Vec<&str> = table.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(checks, ["t_b_check"], "server {version}");
    assert!(table.not_valid.is_empty(), "{:?}", table.not_valid);
    db.drop().await;
}

use insta::assert_snapshot;

use super::*;
use crate::catalog::{Grant, PolicyCommand, PrimaryKey, Privilege, SqlType, UniqueConstraint};

fn column(name: &str, base: BaseType) -> Column {
    Column::new(name, SqlType::scalar(base))
}

fn pk(table: &str, columns: &[&str]) -> Option<PrimaryKey> {
    Some(PrimaryKey {
        name: format!("{table}_pkey"),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        origin: None,
    })
}

fn fk(
    name: &str,
    columns: &[&str],
    target: &str,
    referenced: &[&str],
    on_delete: FkAction,
) -> ForeignKey {
    ForeignKey {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        referenced_table: QualifiedName::public(target),
        referenced_columns: referenced.iter().map(|c| c.to_string()).collect(),
        on_delete,
        on_delete_columns: Vec::new(),
        on_update: FkAction::NoAction,
        origin: None,
    }
}

fn index(name: &str, keys: Vec<IndexKey>) -> Index {
    Index {
        options: Default::default(),
        name: name.into(),
        unique: false,
        method: "btree".into(),
        keys,
        predicate: None,
        origin: None,
    }
}

fn policy(name: &str, roles: &[&str], using: &str, check: Option<&str>) -> Policy {
    Policy {
        name: name.into(),
        command: PolicyCommand::All,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        using: Some(using.into()),
        with_check: check.map(String::from),
        origin: None,
    }
}

fn grants(role: &str, privileges: &[Privilege]) -> Vec<Grant> {
    privileges
        .iter()
        .map(|&privilege| Grant {
            role: role.into(),
            privilege,
        })
        .collect()
}

#[test]
fn default_names_follow_postgres() {
    assert_eq!(default_name::<&str>("users", &[], "pkey"), "users_pkey");
    assert_eq!(default_name("users", &["a", "b"], "key"), "users_a_b_key");
    // 63 bytes at most: the longer of table and columns is shortened first.
    let long = "t".repeat(40);
    let name = default_name(&long, &["column_with_a_long_name_here"], "fkey");
    assert_eq!(name.len(), 63);
    assert_eq!(
        name,
        format!("{}_column_with_a_long_name_here_fkey", "t".repeat(29))
    );
}

#[test]
fn plain_database_uses_short_forms_for_default_names() {
    let mut catalog = Catalog::default();
    catalog.namespaces.insert("app".into());
    catalog.extensions.insert("citext".into());
    catalog.extensions.insert("pg_trgm".into());
    catalog.enums.push(EnumType {
        name: QualifiedName::public("status"),
        values: vec!["open".into(), "closed".into(), "won't ship".into()],
        comment: Some("Lifecycle.\n\nOf an order.".into()),
        renamed_from: None,
        origin: None,
    });
    catalog.enums.push(EnumType {
        name: QualifiedName::new("app", "level"),
        values: vec!["low".into(), "high".into()],
        comment: None,
        renamed_from: None,
        origin: None,
    });

    let mut users = Table::new(QualifiedName::public("users"));
    let mut id = column("id", BaseType::BigInt);
    id.serial = true;
    id.default = Some("nextval('users_id_seq'::regclass)".into());
    let mut email = column("email", BaseType::Citext);
    email.comment = Some("Login.".into());
    let mut name = column("name", BaseType::Varchar(Some(20)));
    name.nullable = true;
    let mut state = column("state", BaseType::Enum(QualifiedName::public("status")));
    state.default = Some("'open'::status".into());
    let mut tags = Column::new("tags", SqlType::array_of(BaseType::Text));
    tags.default = Some("'{}'::text[]".into());
    let mut lower = column("lower_email", BaseType::Text);
    lower.nullable = true;
    lower.generated = Some("lower((email)::text)".into());
    let mut place = column("place", BaseType::Other("point".into()));
    place.nullable = true;
    let level = column("level", BaseType::Enum(QualifiedName::new("app", "level")));
    users.columns = vec![id, email, name, state, tags, lower, place, level];
    users.primary_key = pk("users", &["id"]);
    users.uniques = vec![
        UniqueConstraint {
            nulls_not_distinct: false,
            name: "users_email_key".into(),
            columns: vec!["email".into()],
            origin: None,
        },
        UniqueConstraint {
            nulls_not_distinct: false,
            name: "users_name_state_key".into(),
            columns: vec!["name".into(), "state".into()],
            origin: None,
        },
        UniqueConstraint {
            nulls_not_distinct: false,
            name: "one_name_per_level".into(),
            columns: vec!["name".into(), "level".into()],
            origin: None,
        },
    ];
    users.checks = vec![
        CheckConstraint {
            name: "users_name_check".into(),
            expr: "length((name)::text) > 1".into(),
            origin: None,
        },
        CheckConstraint {
            name: "users_check".into(),
            expr: "(name)::text <> (email)::text".into(),
            origin: None,
        },
        CheckConstraint {
            name: "email_has_at".into(),
            expr: "strpos((email)::text, '@'::text) > 0".into(),
            origin: None,
        },
    ];
    users.indexes = vec![
        index("users_state_idx", vec![IndexKey::Column("state".into())]),
        index(
            "users_lower_idx",
            vec![
                IndexKey::Expr("lower((name)::text)".into()),
                IndexKey::Column("id".into()),
            ],
        ),
        Index {
            method: "gin".into(),
            predicate: Some("state <> 'closed'::status".into()),
            ..index("users_tags_idx", vec![IndexKey::Column("tags".into())])
        },
        Index {
            unique: true,
            ..index("users_name_idx", vec![IndexKey::Column("name".into())])
        },
    ];
    users.rls_enabled = true;
    users.rls_forced = true;
    users.policies = vec![
        Policy {
            command: PolicyCommand::Select,
            ..policy("readers", &["app_reader"], "true", None)
        },
        Policy {
            command: PolicyCommand::Insert,
            using: None,
            ..policy("writers", &[], "", Some("(state = 'open'::status)"))
        },
    ];
    users.grants = grants("app_reader", &[Privilege::Select, Privilege::Insert]);
    users.comment = Some("People who log in.".into());

    let mut sessions = Table::new(QualifiedName::new("app", "sessions"));
    let mut session_id = column("id", BaseType::Uuid);
    session_id.default = Some("gen_random_uuid()".into());
    let user_id = column("user_id", BaseType::BigInt);
    let mut other_user = column("other_user_id", BaseType::BigInt);
    other_user.nullable = true;
    sessions.columns = vec![session_id, user_id, other_user];
    sessions.primary_key = Some(PrimaryKey {
        name: "sessions_pk".into(),
        columns: vec!["id".into(), "user_id".into()],
        origin: None,
    });
    sessions.foreign_keys = vec![
        ForeignKey {
            on_update: FkAction::Cascade,
            ..fk(
                "sessions_user_id_fkey",
                &["user_id"],
                "users",
                &["id"],
                FkAction::SetNull,
            )
        },
        fk(
            "sessions_other",
            &["other_user_id"],
            "users",
            &["id"],
            FkAction::NoAction,
        ),
    ];
    sessions.grants = grants("app_reader", &[Privilege::Select, Privilege::Insert]);
    sessions
        .grants
        .extend(grants("public", &[Privilege::Select]));
    catalog.tables = vec![sessions, users];

    let source = to_source(&catalog);
    assert_snapshot!(source.text, @r#"
    extension pg_trgm

    /// Lifecycle.
    ///
    /// Of an order.
    enum status { open, closed, "won't ship" }

    enum app.level { low, high }

    table app.sessions {
      id             uuid     default(gen_random_uuid())
      user_id        bigint   references users on delete set null on update cascade
      other_user_id  bigint?  references users name sessions_other

      primary key sessions_pk (id, user_id)
    }

    /// People who log in.
    table users {
      id           bigserial     primary
      /// Login.
      email        citext        unique
      name         varchar(20)?  check (length((name)::text) > 1)
      state        status        index default('open'::status)
      tags         text[]        default('{}'::text[])
      lower_email  text?         generated (lower((email)::text))
      place        "point"?
      level        app.level

      unique (name, state)
      unique one_name_per_level (name, level)
      index users_lower_idx (lower((name)::text), id)
      index (tags) using gin where (state <> 'closed'::status)
      unique index (name)
      check ((name)::text <> (email)::text)
      check email_has_at (strpos((email)::text, '@'::text) > 0)
      row level security forced
      policy readers for select to app_reader using (true)
      policy writers for insert with check ((state = 'open'::status))
    }

    role app_reader

    grant select, insert on app.sessions, users to app_reader
    grant select on app.sessions to public
    "#);
    assert_eq!(source.warnings, Vec::<String>::new());
}

/// A database laid out the way a tenancy schema compiles: root `accounts`, tenant tables `users`
/// and `sessions` (whose `user_id` is a composite same-tenant key), global `templates`.
fn tenancy_database() -> Catalog {
    let current_tenant =
        "(NULLIF(current_setting('app.current_account_id'::text, true), ''::text))::uuid";
    let isolation = format!("(account_id = {current_tenant})");
    let isolation = isolation.as_str();
    let tenant_column = || {
        let mut column = column("account_id", BaseType::Uuid);
        column.default = Some(current_tenant.into());
        column
    };
    let tenant_policies = || {
        vec![
            policy(
                "platform_admin_bypass",
                &["platform_admin"],
                "true",
                Some("true"),
            ),
            policy("tenant_isolation", &[], isolation, Some(isolation)),
        ]
    };
    let uuid_pk = || {
        let mut id = column("id", BaseType::Uuid);
        id.default = Some("gen_random_uuid()".into());
        id
    };
    let mut catalog = Catalog::default();

    let mut accounts = Table::new(QualifiedName::public("accounts"));
    accounts.columns = vec![uuid_pk(), column("name", BaseType::Text)];
    accounts.primary_key = pk("accounts", &["id"]);

    let mut users = Table::new(QualifiedName::public("users"));
    users.columns = vec![uuid_pk(), column("email", BaseType::Text), tenant_column()];
    users.primary_key = pk("users", &["id"]);
    users.uniques = vec![
        UniqueConstraint {
            nulls_not_distinct: false,
            name: "users_account_id_id_key".into(),
            columns: vec!["account_id".into(), "id".into()],
            origin: None,
        },
        UniqueConstraint {
            nulls_not_distinct: false,
            name: "users_email_key".into(),
            columns: vec!["email".into()],
            origin: None,
        },
    ];
    users.foreign_keys = vec![fk(
        "users_account_id_fkey",
        &["account_id"],
        "accounts",
        &["id"],
        FkAction::Cascade,
    )];
    // No index on `account_id`: the parent unique `(account_id, id)` leads with it.
    users.rls_enabled = true;
    users.rls_forced = true;
    users.policies = tenant_policies();
    users.grants = grants("app_user", &[Privilege::Select, Privilege::Insert]);

    let mut sessions = Table::new(QualifiedName::public("sessions"));
    let mut user_id = column("user_id", BaseType::Uuid);
    user_id.nullable = true;
    sessions.columns = vec![uuid_pk(), user_id, tenant_column()];
    sessions.primary_key = pk("sessions", &["id"]);
    sessions.foreign_keys = vec![
        fk(
            "sessions_account_id_fkey",
            &["account_id"],
            "accounts",
            &["id"],
            FkAction::Cascade,
        ),
        ForeignKey {
            on_delete_columns: vec!["user_id".into()],
            ..fk(
                "sessions_account_id_user_id_fkey",
                &["account_id", "user_id"],
                "users",
                &["account_id", "id"],
                FkAction::SetNull,
            )
        },
    ];
    sessions.indexes = vec![index(
        "sessions_account_id_idx",
        vec![IndexKey::Column("account_id".into())],
    )];
    sessions.rls_enabled = true;
    sessions.rls_forced = true;
    sessions.policies = tenant_policies();
    sessions.grants = grants("app_user", &[Privilege::Select, Privilege::Insert]);

    let mut templates = Table::new(QualifiedName::public("templates"));
    templates.columns = vec![uuid_pk(), column("name", BaseType::Text)];
    templates.primary_key = pk("templates", &["id"]);
    templates.grants = grants("app_user", &[Privilege::Select]);

    catalog.tables = vec![accounts, sessions, templates, users];
    catalog
}

#[test]
fn tenancy_is_written_when_followed_exactly() {
    // With its fill trigger the database follows `fill on`, the default, which is not written.
    let mut database = tenancy_database();
    database.fill_triggers.push(crate::catalog::FillTrigger {
        table: QualifiedName::public("sessions"),
        name: "schemac_sessions_account_id_fill".into(),
        update_of: vec!["user_id".into()],
        body: String::new(),
    });
    let source = to_source(&database);
    assert_snapshot!(source.text, @r#"
    tenancy {
      root    accounts
      column  account_id
      setting "app.current_account_id"
      bypass  platform_admin
    }

    table accounts {
      id    uuid  primary default(gen_random_uuid())
      name  text
    }

    tenant table sessions {
      id       uuid   primary default(gen_random_uuid())
      user_id  uuid?  references users on delete set null
    }

    table templates {
      id    uuid  primary default(gen_random_uuid())
      name  text
    }

    tenant table users {
      id     uuid  primary default(gen_random_uuid())
      email  text  unique
    }

    role app_user
    role platform_admin

    grant select on templates to app_user
    grant select, insert on sessions, users to app_user
    "#);
    assert_eq!(source.warnings, Vec::<String>::new());
}

#[test]
fn tenancy_not_followed_exactly_falls_back_to_plain_tables() {
    let mut catalog = tenancy_database();
    // One tenant table without FORCE: not what `tenant table` compiles to.
    catalog.tables[1].rls_forced = false;
    let source = to_source(&catalog);
    assert!(!source.text.contains("tenancy"), "{}", source.text);
    assert!(!source.text.contains("tenant table"));
    let start = source.text.find("table sessions").unwrap_or_default();
    let end = start + source.text[start..].find("\n}").unwrap_or_default() + 2;
    assert_snapshot!(&source.text[start..end], @r"
    table sessions {
      id          uuid   primary default(gen_random_uuid())
      user_id     uuid?
      account_id  uuid   index default((NULLIF(current_setting('app.current_account_id'::text, true), ''::text))::uuid) references accounts on delete cascade

      foreign key (account_id, user_id) references users (account_id, id) on delete set null
      row level security
      policy platform_admin_bypass for all to platform_admin using (true) with check (true)
      policy tenant_isolation for all using ((account_id = (NULLIF(current_setting('app.current_account_id'::text, true), ''::text))::uuid)) with check ((account_id = (NULLIF(current_setting('app.current_account_id'::text, true), ''::text))::uuid))
    }
    ");
    assert_eq!(
        source.warnings,
        ["foreign key `sessions_account_id_user_id_fkey` of `public.sessions` sets only (user_id) on delete; the schema language says that only for tenant tables, so it reads back setting every column"]
    );

    // A global table pointing at a tenant table cannot be written as one either.
    let mut catalog = tenancy_database();
    catalog.tables[2]
        .columns
        .push(column("user_id", BaseType::Uuid));
    catalog.tables[2].foreign_keys.push(fk(
        "templates_user_id_fkey",
        &["user_id"],
        "users",
        &["id"],
        FkAction::NoAction,
    ));
    assert!(!to_source(&catalog).text.contains("tenancy"));
}

#[test]
fn names_the_language_cannot_spell_are_left_out_with_a_warning() {
    let mut catalog = Catalog::default();
    catalog.enums.push(EnumType {
        name: QualifiedName::public("my status"),
        values: vec!["a".into()],
        comment: None,
        renamed_from: None,
        origin: None,
    });
    let mut ok = Table::new(QualifiedName::public("ok"));
    ok.columns = vec![
        column("id", BaseType::Integer),
        column("bad-name", BaseType::Text),
        column("s", BaseType::Enum(QualifiedName::public("my status"))),
        column("Fine", BaseType::Other("my \"type\"".into())),
    ];
    ok.indexes.push(index(
        "ok_bad_idx",
        vec![IndexKey::Column("bad-name".into())],
    ));
    ok.grants = grants("Wrong Role", &[Privilege::Select]);
    catalog.tables.push(ok);
    catalog
        .tables
        .push(Table::new(QualifiedName::new("weird schema", "t")));

    let source = to_source(&catalog);
    assert_snapshot!(source.text, @r#"
    table ok {
      id    int
      Fine  "my ""type"""
    }
    "#);
    assert_eq!(
        source.warnings,
        [
            "enum `public.my status` is left out: the schema language cannot spell its name",
            "table `weird schema.t` is left out: the schema language cannot spell its name",
            "column `public.ok.bad-name` is left out: the schema language cannot spell its name",
            "column `public.ok.s` is left out: its enum type is left out",
            "index `ok_bad_idx` of `public.ok` is left out: it names a column left out",
            "grants on `public.ok` to `Wrong Role` are left out: the schema language cannot spell the role",
        ]
    );
}

#[test]
fn a_primary_key_numbered_around_a_taken_name_is_the_default() {
    // `CREATE TABLE plans_pkey (...); CREATE TABLE plans (id int PRIMARY KEY)` names the key
    // `plans_pkey1`, as lower does for the same schema: no name to write, no warning.
    let mut catalog = Catalog::default();
    let mut taken = Table::new(QualifiedName::public("plans_pkey"));
    taken.columns.push(column("note", BaseType::Text));
    let mut plans = Table::new(QualifiedName::public("plans"));
    plans.columns.push(column("id", BaseType::Integer));
    plans.primary_key = Some(PrimaryKey {
        name: "plans_pkey1".into(),
        columns: vec!["id".into()],
        origin: None,
    });
    catalog.tables = vec![plans, taken];
    assert!(is_default_pkey_name(
        &catalog,
        &catalog.tables[0],
        "plans_pkey1"
    ));
    assert!(!is_default_pkey_name(
        &catalog,
        &catalog.tables[0],
        "plans_pkey2"
    ));
    let source = to_source(&catalog);
    assert_eq!(source.warnings, Vec::<String>::new());
    assert!(source.text.contains("id  int  primary"), "{}", source.text);

    // Without the table in the way, `plans_pkey1` is a name of its own: written at table level.
    catalog.tables.truncate(1);
    assert!(!is_default_pkey_name(
        &catalog,
        &catalog.tables[0],
        "plans_pkey1"
    ));
    let source = to_source(&catalog);
    assert_eq!(source.warnings, Vec::<String>::new());
    assert!(
        source.text.contains("primary key plans_pkey1 (id)"),
        "{}",
        source.text
    );
}

#[test]
fn a_tenancy_without_fill_triggers_is_written_with_fill_off() {
    // `sessions` reaches `users` through a foreign key, so `fill on` would add a trigger.
    let source = to_source(&tenancy_database());
    assert!(
        source
            .text
            .contains("  bypass  platform_admin\n  fill    off\n}"),
        "{}",
        source.text
    );
}

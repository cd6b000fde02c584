//! The hand-built `Catalog` behind the codegen tests: every `BaseType`, scalar, nullable and array;
//! defaults, serial and generated columns; enums with values that are not identifiers; keyword and
//! colliding names; doc comments; a tenant table and a table outside `public`.
//! `schema.sql` beside this file creates the same database by hand; keep the two in step.

use schemac::catalog::{
    BaseType, Catalog, Column, EnumType, FkAction, ForeignKey, PrimaryKey, QualifiedName, SqlType,
    Table, TableKind, Tenancy,
};

/// Every base type once, with the column-name stem the tables use for it.
pub fn base_types() -> Vec<(&'static str, BaseType)> {
    vec![
        ("uuid", BaseType::Uuid),
        ("text", BaseType::Text),
        ("varchar", BaseType::Varchar(Some(20))),
        ("varchar_unbounded", BaseType::Varchar(None)),
        ("char", BaseType::Char(4)),
        ("smallint", BaseType::SmallInt),
        ("integer", BaseType::Integer),
        ("bigint", BaseType::BigInt),
        ("real", BaseType::Real),
        ("double", BaseType::Double),
        ("boolean", BaseType::Boolean),
        ("numeric", BaseType::Numeric(None)),
        ("numeric_scaled", BaseType::Numeric(Some((10, 2)))),
        ("date", BaseType::Date),
        ("time", BaseType::Time),
        ("timestamp", BaseType::Timestamp),
        ("timestamptz", BaseType::Timestamptz),
        ("interval", BaseType::Interval),
        ("json", BaseType::Json),
        ("jsonb", BaseType::Jsonb),
        ("bytea", BaseType::Bytea),
        ("inet", BaseType::Inet),
        ("cidr", BaseType::Cidr),
        ("citext", BaseType::Citext),
        (
            "enum",
            BaseType::Enum(QualifiedName::public("permission_action")),
        ),
        ("money", BaseType::Other("money".into())),
        ("point", BaseType::Other("point".into())),
    ]
}

fn column(name: &str, ty: SqlType) -> Column {
    Column::new(name, ty)
}

fn scalar(name: &str, base: BaseType) -> Column {
    column(name, SqlType::scalar(base))
}

fn nullable(mut column: Column) -> Column {
    column.nullable = true;
    column
}

fn with_default(mut column: Column, default: &str) -> Column {
    column.default = Some(default.into());
    column
}

fn with_comment(mut column: Column, comment: &str) -> Column {
    column.comment = Some(comment.into());
    column
}

fn serial(table: &str, name: &str, base: BaseType) -> Column {
    let mut column = with_default(
        scalar(name, base),
        &format!("nextval('{table}_{name}_seq'::regclass)"),
    );
    column.serial = true;
    column
}

fn table(name: QualifiedName, kind: TableKind, pk: &str, columns: Vec<Column>) -> Table {
    let mut table = Table::new(name);
    table.kind = kind;
    table.primary_key = Some(PrimaryKey {
        name: format!("{}_pkey", table.name.name),
        columns: vec![pk.into()],
        origin: None,
    });
    table.columns = columns;
    table
}

fn tenant_fk(table: &str) -> ForeignKey {
    ForeignKey {
        name: format!("{table}_account_id_fkey"),
        columns: vec!["account_id".into()],
        referenced_table: QualifiedName::public("accounts"),
        referenced_columns: vec!["id".into()],
        on_delete: FkAction::Cascade,
        on_delete_columns: Vec::new(),
        on_update: FkAction::NoAction,
        origin: None,
    }
}

fn enum_type(name: QualifiedName, values: &[&str], comment: Option<&str>) -> EnumType {
    EnumType {
        name,
        values: values.iter().map(|v| (*v).to_string()).collect(),
        comment: comment.map(Into::into),
        renamed_from: None,
        origin: None,
    }
}

/// The catalog; tables and enums are deliberately not in name order, codegen sorts them.
pub fn fixture_catalog() -> Catalog {
    let mut catalog = Catalog::default();
    catalog.namespaces.insert("audit".into());
    catalog.extensions.insert("citext".into());
    catalog.tenancy = Some(Tenancy {
        root: QualifiedName::public("accounts"),
        column: "account_id".into(),
        key_type: SqlType::scalar(BaseType::Uuid),
        setting: Some("app.current_account_id".into()),
        bypass: None,
        rls: false,
        fill: false,
    });

    catalog.enums = vec![
        enum_type(
            QualifiedName::public("ticket_state"),
            &[
                "open",
                "won't ship",
                "global",
                "self",
                "In Progress",
                "in_progress",
                "1st",
                "type",
            ],
            Some("Where a ticket is.\nValues are spelled exactly as in the database."),
        ),
        enum_type(
            QualifiedName::public("permission_action"),
            &["create", "read", "update", "delete"],
            Some("What a permission allows."),
        ),
        enum_type(
            QualifiedName::new("audit", "level"),
            &["debug", "info", "WARN"],
            None,
        ),
        enum_type(QualifiedName::public("empty_enum"), &[], None),
    ];

    let mut accounts = table(
        QualifiedName::public("accounts"),
        TableKind::Plain,
        "id",
        vec![
            with_default(scalar("id", BaseType::Uuid), "gen_random_uuid()"),
            with_comment(scalar("name", BaseType::Text), "Shown to users."),
        ],
    );
    accounts.comment = Some("Tenants.\nEvery tenant table points here.".into());

    let mut scalar_columns = vec![
        scalar("account_id", BaseType::Uuid),
        serial("scalar_values", "id", BaseType::BigInt),
    ];
    for (stem, base) in base_types() {
        scalar_columns.push(scalar(&format!("{stem}_value"), base));
    }
    scalar_columns.push(with_default(
        scalar(
            "state",
            BaseType::Enum(QualifiedName::public("ticket_state")),
        ),
        "'open'::ticket_state",
    ));
    scalar_columns.push(with_default(
        scalar("created_at", BaseType::Timestamptz),
        "now()",
    ));
    let mut doubled = scalar("doubled", BaseType::BigInt);
    doubled.generated = Some("(integer_value)::bigint * 2".into());
    scalar_columns.push(doubled);
    let mut scalar_values = table(
        QualifiedName::public("scalar_values"),
        TableKind::Tenant,
        "id",
        scalar_columns,
    );
    scalar_values.foreign_keys.push(tenant_fk("scalar_values"));
    scalar_values.comment = Some("One NOT NULL column of every type.".into());

    let mut nullable_columns = vec![serial("nullable_values", "id", BaseType::Integer)];
    for (stem, base) in base_types() {
        nullable_columns.push(nullable(scalar(&format!("{stem}_value"), base)));
    }
    nullable_columns.push(with_comment(
        nullable(with_default(
            scalar("note", BaseType::Text),
            "'hello'::text",
        )),
        "Nullable with a default: `None` is the default, `Some(None)` is NULL.",
    ));
    let mut text_length = nullable(scalar("text_length", BaseType::Integer));
    text_length.generated = Some("length(text_value)".into());
    nullable_columns.push(text_length);
    let nullable_values = table(
        QualifiedName::public("nullable_values"),
        TableKind::Plain,
        "id",
        nullable_columns,
    );

    let mut array_columns = vec![scalar("id", BaseType::Integer)];
    for (stem, base) in base_types() {
        if stem == "point" {
            continue;
        }
        array_columns.push(nullable(column(
            &format!("{stem}_values"),
            SqlType::array_of(base),
        )));
    }
    array_columns.push(nullable(column(
        "state_values",
        SqlType::array_of(BaseType::Enum(QualifiedName::public("ticket_state"))),
    )));
    array_columns.push(with_default(
        column("tags", SqlType::array_of(BaseType::Text)),
        "'{}'::text[]",
    ));
    let array_values = table(
        QualifiedName::public("array_values"),
        TableKind::Global,
        "id",
        array_columns,
    );

    let mut keyword_table = table(
        QualifiedName::public("match"),
        TableKind::Plain,
        "id",
        vec![
            scalar("id", BaseType::Integer),
            with_comment(scalar("type", BaseType::Text), "A column named `type`."),
            scalar("self", BaseType::Integer),
            nullable(scalar("Self", BaseType::Text)),
            nullable(scalar("crate", BaseType::Boolean)),
            nullable(scalar("fn", BaseType::Text)),
            scalar("userId", BaseType::Text),
            scalar("user_id", BaseType::Text),
        ],
    );
    keyword_table.comment = Some("Names that are Rust keywords or collide once converted.".into());

    let new_match = table(
        QualifiedName::public("new_match"),
        TableKind::Plain,
        "id",
        vec![scalar("id", BaseType::Integer)],
    );
    let option = table(
        QualifiedName::public("option"),
        TableKind::Plain,
        "id",
        vec![
            scalar("id", BaseType::Integer),
            nullable(scalar("value", BaseType::Text)),
        ],
    );

    let events = table(
        QualifiedName::new("audit", "events"),
        TableKind::Plain,
        "id",
        vec![
            with_default(scalar("id", BaseType::Uuid), "gen_random_uuid()"),
            scalar(
                "level",
                BaseType::Enum(QualifiedName::new("audit", "level")),
            ),
            with_default(
                column(
                    "levels",
                    SqlType::array_of(BaseType::Enum(QualifiedName::new("audit", "level"))),
                ),
                "'{}'::audit.level[]",
            ),
            nullable(scalar("payload", BaseType::Jsonb)),
        ],
    );

    let mut empty_table = Table::new(QualifiedName::public("empty_table"));
    empty_table.comment = Some("PostgreSQL allows a table without columns.".into());

    catalog.tables = vec![
        empty_table,
        scalar_values,
        accounts,
        nullable_values,
        array_values,
        keyword_table,
        new_match,
        option,
        events,
    ]
    .into();
    catalog
}

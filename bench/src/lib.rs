//! A generated, realistic database for benchmarks: `tables` tables of ten columns each (keys,
//! foreign keys to earlier tables, enums, checks, defaults, plain, expression, partial and GIN
//! indexes, comments, a few row-level security policies that read the first table), written twice — as the SQL someone would write by hand (every name left to
//! PostgreSQL) and as the equivalent `.schema` source — so that the schema plans empty against
//! the database. A `changed` variant of the schema differs by a handful of changes.
//! Deterministic: the same `Options` give the same bytes.

use std::fmt::Write as _;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Number of tables (ten columns each).
    pub tables: usize,
    /// Tables per `.schema` file.
    pub tables_per_file: usize,
    /// Seed of the pseudo-random choices (which earlier table a foreign key points at).
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            tables: 2000,
            tables_per_file: 100,
            seed: 1,
        }
    }
}

/// One `.schema` file: a relative path and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaFile {
    pub path: String,
    pub text: String,
}

/// The generated database, three ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// SQL that creates the database, as written by hand (no constraint or index names).
    pub sql: String,
    /// The same database as `.schema` files.
    pub schema: Vec<SchemaFile>,
    /// `schema` with a few changes: see [`CHANGES`].
    pub changed: Vec<SchemaFile>,
    /// Columns over all tables.
    pub columns: usize,
}

/// What the `changed` schema does differently, for reports.
pub const CHANGES: &str = "3 columns added, 2 indexes added, 1 check dropped, 1 table added";

/// Enums: name and values. Tables use them round-robin.
const ENUMS: [(&str, [&str; 3]); 5] = [
    ("record_status", ["draft", "active", "archived"]),
    ("priority_level", ["low", "normal", "high"]),
    ("visibility", ["private", "team", "public"]),
    ("review_state", ["pending", "approved", "rejected"]),
    ("billing_cycle", ["monthly", "quarterly", "yearly"]),
];

const NOUNS: [&str; 20] = [
    "accounts",
    "users",
    "projects",
    "tasks",
    "comments",
    "invoices",
    "payments",
    "documents",
    "folders",
    "events",
    "tickets",
    "orders",
    "products",
    "shipments",
    "reviews",
    "teams",
    "members",
    "invitations",
    "webhooks",
    "reports",
];

/// Key type of a table's `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    BigSerial,
    Uuid,
}

impl Key {
    fn sql(self) -> &'static str {
        match self {
            Key::BigSerial => "bigint",
            Key::Uuid => "uuid",
        }
    }
}

/// One generated table, as both sides need it.
struct Spec {
    name: String,
    key: Key,
    /// `(column, referenced table, its key, on delete, nullable)`.
    foreign_keys: Vec<(String, String, Key, &'static str, bool)>,
    status_enum: usize,
    /// `sort_order` when the table has only one foreign key (so every table has ten columns).
    sort_order: bool,
    /// `note` instead of a parent key (the first table has nothing to point at).
    note: bool,
    status_index: bool,
    lower_name_index: bool,
    partial_index: bool,
    gin_index: bool,
    table_check: bool,
    /// Row level security with a policy that reads the first table (so it names a table far away).
    policy: bool,
    comment: Option<String>,
}

/// The name of table `i` (1-based).
pub fn table_name(i: usize) -> String {
    format!("t{i:05}_{}", NOUNS[(i - 1) % NOUNS.len()])
}

fn specs(options: &Options) -> Vec<Spec> {
    let mut rng = fastrand::Rng::with_seed(options.seed);
    let mut keys: Vec<Key> = Vec::with_capacity(options.tables);
    let mut specs = Vec::with_capacity(options.tables);
    for i in 1..=options.tables {
        let key = if i % 5 == 0 {
            Key::Uuid
        } else {
            Key::BigSerial
        };
        let earlier = |rng: &mut fastrand::Rng| {
            let low = i.saturating_sub(50).max(1);
            rng.usize(low..i)
        };
        let mut foreign_keys = Vec::new();
        if i > 1 {
            let parent = earlier(&mut rng);
            foreign_keys.push((
                "parent_id".to_string(),
                table_name(parent),
                keys[parent - 1],
                "cascade",
                false,
            ));
        }
        if i > 2 && i % 3 == 0 {
            let owner = earlier(&mut rng);
            foreign_keys.push((
                "owner_id".to_string(),
                table_name(owner),
                keys[owner - 1],
                "set null",
                true,
            ));
        }
        specs.push(Spec {
            name: table_name(i),
            key,
            sort_order: foreign_keys.len() < 2,
            note: i == 1,
            foreign_keys,
            status_enum: i % ENUMS.len(),
            status_index: i % 2 == 0,
            lower_name_index: i % 7 == 0,
            partial_index: i % 11 == 0,
            gin_index: i % 13 == 0,
            table_check: i % 4 == 0,
            policy: i % 50 == 0,
            comment: (i % 10 == 0).then(|| format!("Table number {i}, generated.")),
        });
        keys.push(key);
    }
    specs
}

fn sql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn write_sql(specs: &[Spec]) -> String {
    let mut sql = String::new();
    for (name, values) in ENUMS {
        let values: Vec<String> = values.iter().map(|v| sql_literal(v)).collect();
        let _ = writeln!(sql, "CREATE TYPE {name} AS ENUM ({});", values.join(", "));
    }
    for spec in specs {
        let mut columns = Vec::new();
        columns.push(match spec.key {
            Key::BigSerial => "id bigserial PRIMARY KEY".to_string(),
            Key::Uuid => "id uuid PRIMARY KEY DEFAULT gen_random_uuid()".to_string(),
        });
        if spec.note {
            columns.push("note text".to_string());
        }
        for (column, table, key, on_delete, nullable) in &spec.foreign_keys {
            columns.push(format!(
                "{column} {}{} REFERENCES {table} ON DELETE {}",
                key.sql(),
                if *nullable { "" } else { " NOT NULL" },
                on_delete.to_uppercase()
            ));
        }
        if spec.sort_order {
            columns.push("sort_order integer NOT NULL DEFAULT 0".to_string());
        }
        let (enum_name, values) = ENUMS[spec.status_enum];
        columns.extend([
            "name text NOT NULL".to_string(),
            "code varchar(32) UNIQUE".to_string(),
            format!(
                "status {enum_name} NOT NULL DEFAULT {}",
                sql_literal(values[0])
            ),
            "amount numeric(12, 2) NOT NULL DEFAULT 0 CHECK (amount >= 0)".to_string(),
            "is_active boolean NOT NULL DEFAULT true".to_string(),
            "payload jsonb NOT NULL DEFAULT '{}'".to_string(),
            "created_at timestamptz NOT NULL DEFAULT now()".to_string(),
        ]);
        if spec.table_check {
            columns.push("CHECK (amount < 1000000 OR NOT is_active)".to_string());
        }
        let _ = writeln!(
            sql,
            "CREATE TABLE {} (\n    {}\n);",
            spec.name,
            columns.join(",\n    ")
        );
        for (column, ..) in &spec.foreign_keys {
            let _ = writeln!(sql, "CREATE INDEX ON {} ({column});", spec.name);
        }
        if spec.status_index {
            let _ = writeln!(sql, "CREATE INDEX ON {} (status, created_at);", spec.name);
        }
        if spec.lower_name_index {
            let _ = writeln!(sql, "CREATE INDEX ON {} (lower(name));", spec.name);
        }
        if spec.partial_index {
            let _ = writeln!(
                sql,
                "CREATE INDEX ON {} (created_at) WHERE is_active;",
                spec.name
            );
        }
        if spec.gin_index {
            let _ = writeln!(sql, "CREATE INDEX ON {} USING gin (payload);", spec.name);
        }
        if spec.policy {
            let _ = writeln!(
                sql,
                "ALTER TABLE {0} ENABLE ROW LEVEL SECURITY;\n\
                 CREATE POLICY {0}_visible ON {0} USING (is_active OR EXISTS \
                 (SELECT 1 FROM {1} a WHERE a.is_active AND a.name = current_user));",
                spec.name,
                table_name(1)
            );
        }
        if let Some(comment) = &spec.comment {
            let _ = writeln!(
                sql,
                "COMMENT ON TABLE {} IS {};",
                spec.name,
                sql_literal(comment)
            );
        }
    }
    sql
}

/// Changes applied to the `changed` variant of one table (see [`CHANGES`]).
#[derive(Default)]
struct Change {
    add_column: bool,
    add_index: bool,
    drop_check: bool,
}

fn change_of(i: usize, tables: usize) -> Change {
    // Spread over the schema, and only on tables that exist for small `tables`.
    let at = |k: usize| (tables * k / 8).max(1);
    Change {
        add_column: [at(1), at(2), at(3)].contains(&i),
        add_index: [at(4), at(5)].contains(&i),
        drop_check: i == at(6),
    }
}

fn write_table(spec: &Spec, change: &Change) -> String {
    let mut text = String::new();
    if let Some(comment) = &spec.comment {
        let _ = writeln!(text, "/// {comment}");
    }
    let _ = writeln!(text, "table {} {{", spec.name);
    let mut lines: Vec<(String, String, String)> = Vec::new();
    let mut line = |name: &str, ty: &str, attributes: String| {
        lines.push((name.to_string(), ty.to_string(), attributes));
    };
    match spec.key {
        Key::BigSerial => line("id", "bigserial", "primary".into()),
        Key::Uuid => line("id", "uuid", "primary default(gen_random_uuid())".into()),
    }
    if spec.note {
        line("note", "text?", String::new());
    }
    for (column, table, key, on_delete, nullable) in &spec.foreign_keys {
        let ty = format!("{}{}", key.sql(), if *nullable { "?" } else { "" });
        line(
            column,
            &ty,
            format!("index references {table} on delete {on_delete}"),
        );
    }
    if spec.sort_order {
        line("sort_order", "int", "default(0)".into());
    }
    let (enum_name, values) = ENUMS[spec.status_enum];
    line("name", "text", String::new());
    line("code", "varchar(32)?", "unique".into());
    line("status", enum_name, format!("default('{}')", values[0]));
    let amount_check = if change.drop_check {
        ""
    } else {
        " check (amount >= 0)"
    };
    line(
        "amount",
        "numeric(12,2)",
        format!("default(0){amount_check}"),
    );
    line("is_active", "bool", "default(true)".into());
    line("payload", "jsonb", "default('{}')".into());
    line("created_at", "timestamptz", "default(now())".into());
    if change.add_column {
        line("extra", "text?", String::new());
    }
    let name_width = lines.iter().map(|l| l.0.len()).max().unwrap_or(0);
    let type_width = lines.iter().map(|l| l.1.len()).max().unwrap_or(0);
    for (name, ty, attributes) in &lines {
        let row = format!("  {name:<name_width$}  {ty:<type_width$}  {attributes}");
        let _ = writeln!(text, "{}", row.trim_end());
    }
    let mut entries = Vec::new();
    if spec.table_check {
        entries.push("check (amount < 1000000 or not is_active)".to_string());
    }
    if spec.policy {
        entries.push("row level security".to_string());
        entries.push(format!(
            "policy {}_visible for all using (is_active or exists \
             (select 1 from {} a where a.is_active and a.name = current_user))",
            spec.name,
            table_name(1)
        ));
    }
    if spec.status_index {
        entries.push("index (status, created_at)".to_string());
    }
    if spec.lower_name_index {
        entries.push("index (lower(name))".to_string());
    }
    if spec.partial_index {
        entries.push("index (created_at) where (is_active)".to_string());
    }
    if spec.gin_index {
        entries.push("index (payload) using gin".to_string());
    }
    if change.add_index {
        entries.push("index (name)".to_string());
    }
    if !entries.is_empty() {
        text.push('\n');
        for entry in entries {
            let _ = writeln!(text, "  {entry}");
        }
    }
    text.push_str("}\n");
    text
}

fn write_schema(specs: &[Spec], options: &Options, changed: bool) -> Vec<SchemaFile> {
    let mut enums = String::new();
    for (name, values) in ENUMS {
        let _ = writeln!(enums, "enum {name} {{ {} }}", values.join(", "));
    }
    let mut files = vec![SchemaFile {
        path: "enums.schema".into(),
        text: enums,
    }];
    let per_file = options.tables_per_file.max(1);
    for (chunk_index, chunk) in specs.chunks(per_file).enumerate() {
        let mut text = String::new();
        for (offset, spec) in chunk.iter().enumerate() {
            let i = chunk_index * per_file + offset + 1;
            let change = if changed {
                change_of(i, options.tables)
            } else {
                Change::default()
            };
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&write_table(spec, &change));
        }
        files.push(SchemaFile {
            path: format!("tables_{:03}.schema", chunk_index + 1),
            text,
        });
    }
    if changed {
        let first = table_name(1);
        files.push(SchemaFile {
            path: "added.schema".into(),
            text: format!(
                "table audit_log {{\n  id          bigserial    primary\n  \
                 subject_id  bigint?      index references {first} on delete set null\n  \
                 message     text\n  at          timestamptz  default(now())\n}}\n"
            ),
        });
    }
    files
}

/// Generates the database and both schemas.
pub fn generate(options: &Options) -> Generated {
    let specs = specs(options);
    let columns = specs
        .iter()
        .map(|s| 1 + usize::from(s.note) + s.foreign_keys.len() + usize::from(s.sort_order) + 7)
        .sum();
    Generated {
        sql: write_sql(&specs),
        schema: write_schema(&specs, options, false),
        changed: write_schema(&specs, options, true),
        columns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_ten_columns_and_output_is_deterministic() {
        let options = Options {
            tables: 120,
            tables_per_file: 50,
            seed: 7,
        };
        let generated = generate(&options);
        assert_eq!(generated.columns, 1200);
        assert_eq!(generated, generate(&options));
        // enums + 3 table files; the changed variant adds one file.
        assert_eq!(generated.schema.len(), 4);
        assert_eq!(generated.changed.len(), 5);
        assert_eq!(generated.sql.matches("CREATE TABLE ").count(), 120);
        let changed: String = generated.changed.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(changed.matches("  extra ").count(), 3);
        assert_eq!(changed.matches("index (name)").count(), 2);
        assert_eq!(generated.sql.matches("CREATE POLICY").count(), 2);
    }
}

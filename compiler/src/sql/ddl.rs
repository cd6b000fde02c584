//! DDL statements rendered from `Catalog` objects: one pure function per statement, returning the
//! SQL text without a trailing semicolon. In: catalog types and names. Out: `String`s.
//! Every identifier goes through `ident`/`qualified` and every literal through `literal`;
//! expressions (defaults, checks, predicates, policies) are the user's or the server's text and are
//! inserted verbatim, parenthesised where the grammar needs it. Nothing here decides *whether* a
//! statement should run (that is the planner's job) or talks to a database.

use crate::catalog::{
    CheckConstraint, Column, EnumType, FkAction, ForeignKey, Identity, Index, IndexKey, Policy,
    PrimaryKey, Privilege, QualifiedName, Sequence, SqlType, Table, UniqueConstraint,
};

use super::{ident, literal, qualified};
use crate::lexer::Kind;

/// Where a new enum value goes relative to an existing one (`ALTER TYPE ... ADD VALUE ... BEFORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Position {
    Before,
    After,
}

impl Position {
    fn sql(self) -> &'static str {
        match self {
            Position::Before => "BEFORE",
            Position::After => "AFTER",
        }
    }
}

/// `CREATE SCHEMA IF NOT EXISTS name`.
pub fn create_schema(name: &str) -> String {
    format!("CREATE SCHEMA IF NOT EXISTS {}", ident(name))
}

/// `DROP SCHEMA name` (never `CASCADE`: its objects are dropped by their own steps first).
pub fn drop_schema(name: &str) -> String {
    format!("DROP SCHEMA {}", ident(name))
}

/// `CREATE EXTENSION IF NOT EXISTS name`.
pub fn create_extension(name: &str) -> String {
    format!("CREATE EXTENSION IF NOT EXISTS {}", ident(name))
}

/// `CREATE EXTENSION IF NOT EXISTS name SCHEMA s`: its objects go in `s`.
pub fn create_extension_in(name: &str, schema: &str) -> String {
    format!(
        "CREATE EXTENSION IF NOT EXISTS {} SCHEMA {}",
        ident(name),
        ident(schema)
    )
}

/// `CREATE TYPE name AS ENUM ('a', 'b')`, values in their declared order.
pub fn create_enum(enum_type: &EnumType) -> String {
    let values: Vec<String> = enum_type.values.iter().map(|v| literal(v)).collect();
    format!(
        "CREATE TYPE {} AS ENUM ({})",
        qualified(&enum_type.name),
        values.join(", ")
    )
}

/// `ALTER TYPE name ADD VALUE IF NOT EXISTS 'v' [BEFORE|AFTER 'w']`; without a position the value goes last. It runs outside a
/// transaction, so `IF NOT EXISTS` lets a run that died after it run it again.
pub fn add_enum_value(
    enum_name: &QualifiedName,
    value: &str,
    position: Option<(Position, &str)>,
) -> String {
    let mut sql = format!(
        "ALTER TYPE {} ADD VALUE IF NOT EXISTS {}",
        qualified(enum_name),
        literal(value)
    );
    if let Some((position, neighbour)) = position {
        sql.push_str(&format!(" {} {}", position.sql(), literal(neighbour)));
    }
    sql
}

/// `ALTER TYPE name RENAME TO new_name` (the type stays in its schema).
pub fn rename_type(name: &QualifiedName, new_name: &str) -> String {
    format!(
        "ALTER TYPE {} RENAME TO {}",
        qualified(name),
        ident(new_name)
    )
}

/// `ALTER SEQUENCE name RENAME TO new_name` (a `serial` column's default follows: it holds the
/// sequence's oid, not its name).
pub fn rename_sequence(name: &QualifiedName, new_name: &str) -> String {
    format!(
        "ALTER SEQUENCE {} RENAME TO {}",
        qualified(name),
        ident(new_name)
    )
}

/// `CREATE SEQUENCE name AS <type>`: what `serial` makes, written out.
pub fn create_sequence(name: &QualifiedName, ty: &SqlType) -> String {
    format!("CREATE SEQUENCE {} AS {}", qualified(name), ty.sql())
}

/// The options of a `sequence` item, every one explicit.
fn sequence_options(sequence: &Sequence) -> String {
    format!(
        "AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
        sequence.ty.sql(),
        sequence.increment,
        sequence.min,
        sequence.max,
        sequence.start,
        sequence.cache,
        if sequence.cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

/// `CREATE SEQUENCE name AS t INCREMENT BY ... NO CYCLE`.
pub fn create_sequence_item(sequence: &Sequence) -> String {
    format!(
        "CREATE SEQUENCE {} {}",
        qualified(&sequence.name),
        sequence_options(sequence)
    )
}

/// `ALTER SEQUENCE name AS t INCREMENT BY ...`: the definition only; its position stays (`START
/// WITH` records where a `RESTART` would go, it does not move the sequence).
pub fn alter_sequence_item(sequence: &Sequence) -> String {
    format!(
        "ALTER SEQUENCE {} {}",
        qualified(&sequence.name),
        sequence_options(sequence)
    )
}

/// `ALTER SEQUENCE name AS t`: a `serial` column's sequence follows its column's new integer type
/// (`ALTER COLUMN ... TYPE` leaves it as it was, so `serial` → `bigserial` would still stop at
/// 2,147,483,647). A maximum that was the old type's own becomes the new type's.
pub fn alter_sequence_type(name: &QualifiedName, ty: &SqlType) -> String {
    format!("ALTER SEQUENCE {} AS {}", qualified(name), ty.sql())
}

/// `DROP SEQUENCE name` (a serial column's own sequence, once the column no longer reads it).
pub fn drop_sequence(name: &QualifiedName) -> String {
    format!("DROP SEQUENCE {}", qualified(name))
}

/// `ALTER SEQUENCE name OWNED BY t.col`: dropped with the column, as `serial` does.
pub fn sequence_owned_by(name: &QualifiedName, table: &QualifiedName, column: &str) -> String {
    format!(
        "ALTER SEQUENCE {} OWNED BY {}.{}",
        qualified(name),
        qualified(table),
        ident(column)
    )
}

/// The sequence a `nextval('<name>'::regclass)` default reads, as PostgreSQL prints it (the name
/// is schema-qualified where the schema is not on the search path, identifiers quoted where they
/// need it). `schema` is the table's schema, for an unqualified name. `None` for anything else.
pub fn nextval_sequence(default: &str, schema: &str) -> Option<QualifiedName> {
    let inner = default
        .strip_prefix("nextval('")?
        .strip_suffix("'::regclass)")?
        .replace("''", "'");
    // Split at a dot outside double quotes; unquote each part.
    let mut parts = vec![String::new()];
    let mut quoted = false;
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                parts.last_mut()?.push('"');
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(String::new()),
            c => parts.last_mut()?.push(c),
        }
    }
    match parts.as_slice() {
        [name] if !name.is_empty() => Some(QualifiedName::new(schema.to_string(), name.clone())),
        [schema, name] if !schema.is_empty() && !name.is_empty() => {
            Some(QualifiedName::new(schema.clone(), name.clone()))
        }
        _ => None,
    }
}

/// `DROP TYPE name`.
pub fn drop_type(name: &QualifiedName) -> String {
    format!("DROP TYPE {}", qualified(name))
}

/// One column as written inside `CREATE TABLE` or after `ADD COLUMN`:
/// name, type (`serial`/`bigserial` for serial columns), `NOT NULL`, `DEFAULT`, `GENERATED`.
pub fn column_definition(column: &Column) -> String {
    let mut sql = format!("{} {}", ident(&column.name), column_type(column));
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    // A serial column's default is the `nextval(...)` that `serial` itself creates; writing it out
    // would name a sequence that does not exist yet.
    if let (Some(default), false) = (&column.default, column.serial) {
        sql.push_str(" DEFAULT ");
        sql.push_str(&default_expr(default));
    }
    if let Some(generated) = &column.generated {
        let storage = if column.generated_virtual {
            "VIRTUAL"
        } else {
            "STORED"
        };
        sql.push_str(&format!(" GENERATED ALWAYS AS ({generated}) {storage}"));
    }
    if let Some(identity) = column.identity {
        sql.push_str(&format!(" GENERATED {} AS IDENTITY", identity.sql()));
    }
    sql
}

fn column_type(column: &Column) -> String {
    match column.ty.base.serial_name() {
        Some(serial) if column.serial && !column.ty.array => serial.to_string(),
        _ => column.ty.sql(),
    }
}

/// A default expression after `DEFAULT`: bare when it is one token at the top level (`now()`,
/// `'open'::text`, `42`), else parenthesised, because `DEFAULT` takes only a restricted expression
/// (`b_expr`: no `AND`, `IS NULL`, ...). https://www.postgresql.org/docs/current/sql-createtable.html
fn default_expr(expr: &str) -> String {
    let expr = expr.trim();
    if is_single_token(expr) {
        expr.to_string()
    } else {
        format!("({expr})")
    }
}

/// True when `expr` has no whitespace outside quotes, brackets and parentheses: its tokens (the
/// shared lexer's) touch one another wherever they are not inside a pair.
fn is_single_token(expr: &str) -> bool {
    let tokens = crate::lexer::lex(expr);
    let mut depth = 0i32;
    for (i, token) in tokens.iter().enumerate() {
        depth += match token.kind {
            Kind::Open | Kind::OpenBracket => 1,
            Kind::Close | Kind::CloseBracket => -1,
            _ => 0,
        };
        let apart = tokens
            .get(i + 1)
            .is_some_and(|next| next.start != token.end);
        if token.unterminated || (apart && depth <= 0) {
            return false;
        }
    }
    !tokens.is_empty() && depth == 0
}

/// `CREATE TABLE` with its columns and its primary key, unique and check constraints.
/// Foreign keys, indexes, policies, RLS, comments and grants are separate statements.
pub fn create_table(table: &Table) -> String {
    let mut items: Vec<String> = table.columns.iter().map(column_definition).collect();
    if let Some(pk) = &table.primary_key {
        items.push(primary_key_clause(pk));
    }
    items.extend(table.uniques.iter().map(unique_clause));
    items.extend(table.checks.iter().map(check_clause));
    let partition_by = table
        .partitioning
        .as_ref()
        .map(|p| format!(" {}", p.sql()))
        .unwrap_or_default();
    if items.is_empty() {
        return format!("CREATE TABLE {} (){partition_by}", qualified(&table.name));
    }
    format!(
        "CREATE TABLE {} (\n    {}\n){partition_by}",
        qualified(&table.name),
        items.join(",\n    ")
    )
}

/// `DROP TABLE name`.
pub fn drop_table(table: &QualifiedName) -> String {
    format!("DROP TABLE {}", qualified(table))
}

/// `ALTER TABLE name RENAME TO new_name` (the table stays in its schema).
pub fn rename_table(table: &QualifiedName, new_name: &str) -> String {
    format!(
        "ALTER TABLE {} RENAME TO {}",
        qualified(table),
        ident(new_name)
    )
}

fn alter_table(table: &QualifiedName) -> String {
    format!("ALTER TABLE {}", qualified(table))
}

fn column_list(columns: &[String]) -> String {
    let names: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    format!("({})", names.join(", "))
}

fn primary_key_clause(pk: &PrimaryKey) -> String {
    format!(
        "CONSTRAINT {} PRIMARY KEY {}",
        ident(&pk.name),
        column_list(&pk.columns)
    )
}

fn unique_clause(unique: &UniqueConstraint) -> String {
    format!(
        "CONSTRAINT {} UNIQUE {}{}",
        ident(&unique.name),
        if unique.nulls_not_distinct {
            "NULLS NOT DISTINCT "
        } else {
            ""
        },
        column_list(&unique.columns)
    )
}

fn check_clause(check: &CheckConstraint) -> String {
    format!("CONSTRAINT {} CHECK ({})", ident(&check.name), check.expr)
}

fn with_not_valid(sql: String, not_valid: bool) -> String {
    if not_valid {
        sql + " NOT VALID"
    } else {
        sql
    }
}

/// `ALTER TABLE t ADD CONSTRAINT name FOREIGN KEY (..) REFERENCES r (..) [ON DELETE ..] [ON UPDATE ..]
/// [NOT VALID]`. `NOT VALID` skips the scan of existing rows; `validate_constraint` does it later
/// under a weaker lock.
pub fn add_foreign_key(table: &QualifiedName, fk: &ForeignKey, not_valid: bool) -> String {
    let mut sql = format!(
        "{} ADD CONSTRAINT {} FOREIGN KEY {} REFERENCES {} {}",
        alter_table(table),
        ident(&fk.name),
        column_list(&fk.columns),
        qualified(&fk.referenced_table),
        column_list(&fk.referenced_columns)
    );
    if fk.on_delete != FkAction::NoAction {
        sql.push_str(" ON DELETE ");
        sql.push_str(fk.on_delete.sql());
        // `ON DELETE SET NULL (col)` / `SET DEFAULT (col)` touch only the listed columns (PG 15+).
        if !fk.on_delete_columns.is_empty()
            && matches!(fk.on_delete, FkAction::SetNull | FkAction::SetDefault)
        {
            sql.push(' ');
            sql.push_str(&column_list(&fk.on_delete_columns));
        }
    }
    if fk.on_update != FkAction::NoAction {
        sql.push_str(" ON UPDATE ");
        sql.push_str(fk.on_update.sql());
    }
    with_not_valid(sql, not_valid)
}

/// `ALTER TABLE t ADD CONSTRAINT name CHECK (expr) [NOT VALID]`.
pub fn add_check(table: &QualifiedName, check: &CheckConstraint, not_valid: bool) -> String {
    with_not_valid(
        format!("{} ADD {}", alter_table(table), check_clause(check)),
        not_valid,
    )
}

/// `ALTER TABLE t ADD CONSTRAINT name UNIQUE (..)` (builds its index under a write-blocking lock;
/// online plans build the index concurrently and use `add_unique_using_index`).
pub fn add_unique(table: &QualifiedName, unique: &UniqueConstraint) -> String {
    format!("{} ADD {}", alter_table(table), unique_clause(unique))
}

/// `ALTER TABLE t ADD CONSTRAINT name UNIQUE USING INDEX index`: promotes an existing unique index
/// (built `CONCURRENTLY`) to a constraint; PostgreSQL renames the index to the constraint's name.
pub fn add_unique_using_index(table: &QualifiedName, constraint: &str, index: &str) -> String {
    format!(
        "{} ADD CONSTRAINT {} UNIQUE USING INDEX {}",
        alter_table(table),
        ident(constraint),
        ident(index)
    )
}

/// `ALTER TABLE t ADD CONSTRAINT name PRIMARY KEY (..)`.
pub fn add_primary_key(table: &QualifiedName, pk: &PrimaryKey) -> String {
    format!("{} ADD {}", alter_table(table), primary_key_clause(pk))
}

/// `ALTER TABLE t ADD CONSTRAINT name PRIMARY KEY USING INDEX index`.
pub fn add_primary_key_using_index(table: &QualifiedName, constraint: &str, index: &str) -> String {
    format!(
        "{} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {}",
        alter_table(table),
        ident(constraint),
        ident(index)
    )
}

/// `ALTER TABLE t DROP CONSTRAINT name`.
pub fn drop_constraint(table: &QualifiedName, constraint: &str) -> String {
    format!(
        "{} DROP CONSTRAINT {}",
        alter_table(table),
        ident(constraint)
    )
}

/// `ALTER TABLE t VALIDATE CONSTRAINT name`: scans existing rows under `SHARE UPDATE EXCLUSIVE`,
/// which does not block reads or writes.
pub fn validate_constraint(table: &QualifiedName, constraint: &str) -> String {
    format!(
        "{} VALIDATE CONSTRAINT {}",
        alter_table(table),
        ident(constraint)
    )
}

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON t [USING method] (keys) [WHERE (predicate)]`.
/// The index lives in the table's schema, so its name is not qualified.
pub fn create_index(table: &QualifiedName, index: &Index, concurrently: bool) -> String {
    let keys: Vec<String> = index
        .keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let key = match key {
                IndexKey::Column(name) => ident(name),
                IndexKey::Expr(expr) => format!("({expr})"),
            };
            format!("{key}{}", key_options(&index.options.key(i)))
        })
        .collect();
    let mut sql = String::from("CREATE ");
    if index.unique {
        sql.push_str("UNIQUE ");
    }
    sql.push_str("INDEX ");
    if concurrently {
        // A concurrent build runs outside a transaction: `IF NOT EXISTS` makes it safe to run
        // again (apply drops an INVALID leftover first and checks `indisvalid` afterwards).
        sql.push_str("CONCURRENTLY IF NOT EXISTS ");
    }
    sql.push_str(&format!("{} ON {}", ident(&index.name), qualified(table)));
    if !index.method.is_empty() && index.method != "btree" {
        sql.push_str(&format!(" USING {}", ident(&index.method)));
    }
    sql.push_str(&format!(" ({})", keys.join(", ")));
    if !index.options.include.is_empty() {
        sql.push_str(&format!(" INCLUDE {}", column_list(&index.options.include)));
    }
    if index.options.nulls_not_distinct {
        sql.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(predicate) = &index.predicate {
        sql.push_str(&format!(" WHERE ({predicate})"));
    }
    sql
}

/// ` opclass DESC NULLS LAST` after an index key, each part only where it is not the default.
fn key_options(options: &crate::catalog::KeyOptions) -> String {
    let quoted = crate::catalog::KeyOptions {
        opclass: options
            .opclass
            .as_ref()
            .map(|o| o.split('.').map(ident).collect::<Vec<_>>().join(".")),
        ..options.clone()
    };
    quoted.suffix(true)
}

/// `DROP INDEX [CONCURRENTLY] schema.index`.
pub fn drop_index(index: &QualifiedName, concurrently: bool) -> String {
    if concurrently {
        format!("DROP INDEX CONCURRENTLY IF EXISTS {}", qualified(index))
    } else {
        format!("DROP INDEX {}", qualified(index))
    }
}

/// A role in `TO`/`FROM` lists: the pseudo-role `public` is the keyword `PUBLIC`, not an identifier.
fn role_name(role: &str) -> String {
    if role == "public" {
        "PUBLIC".into()
    } else {
        ident(role)
    }
}

/// `CREATE POLICY name ON t FOR cmd TO roles [USING (..)] [WITH CHECK (..)]`; no roles is `PUBLIC`.
pub fn create_policy(table: &QualifiedName, policy: &Policy) -> String {
    let roles: Vec<String> = if policy.roles.is_empty() {
        vec!["PUBLIC".into()]
    } else {
        policy.roles.iter().map(|r| role_name(r)).collect()
    };
    let mut sql = format!(
        "CREATE POLICY {} ON {} FOR {} TO {}",
        ident(&policy.name),
        qualified(table),
        policy.command.sql(),
        roles.join(", ")
    );
    if let Some(using) = &policy.using {
        sql.push_str(&format!(" USING ({using})"));
    }
    if let Some(check) = &policy.with_check {
        sql.push_str(&format!(" WITH CHECK ({check})"));
    }
    sql
}

/// `DROP POLICY name ON t`.
pub fn drop_policy(table: &QualifiedName, policy: &str) -> String {
    format!("DROP POLICY {} ON {}", ident(policy), qualified(table))
}

/// `ALTER TABLE t ENABLE ROW LEVEL SECURITY`.
pub fn enable_rls(table: &QualifiedName) -> String {
    format!("{} ENABLE ROW LEVEL SECURITY", alter_table(table))
}

/// `ALTER TABLE t DISABLE ROW LEVEL SECURITY`.
pub fn disable_rls(table: &QualifiedName) -> String {
    format!("{} DISABLE ROW LEVEL SECURITY", alter_table(table))
}

/// `ALTER TABLE t FORCE ROW LEVEL SECURITY`: policies apply to the table's owner too.
pub fn force_rls(table: &QualifiedName) -> String {
    format!("{} FORCE ROW LEVEL SECURITY", alter_table(table))
}

/// `ALTER TABLE t NO FORCE ROW LEVEL SECURITY`.
pub fn no_force_rls(table: &QualifiedName) -> String {
    format!("{} NO FORCE ROW LEVEL SECURITY", alter_table(table))
}

fn comment_text(comment: Option<&str>) -> String {
    comment.map_or_else(|| "NULL".to_string(), literal)
}

/// `COMMENT ON TABLE t IS '...'`; `None` clears it (`IS NULL`).
pub fn comment_on_table(table: &QualifiedName, comment: Option<&str>) -> String {
    format!(
        "COMMENT ON TABLE {} IS {}",
        qualified(table),
        comment_text(comment)
    )
}

/// `COMMENT ON COLUMN t.c IS '...'`; `None` clears it.
pub fn comment_on_column(table: &QualifiedName, column: &str, comment: Option<&str>) -> String {
    format!(
        "COMMENT ON COLUMN {}.{} IS {}",
        qualified(table),
        ident(column),
        comment_text(comment)
    )
}

/// `COMMENT ON TYPE name IS '...'`; `None` clears it.
pub fn comment_on_type(name: &QualifiedName, comment: Option<&str>) -> String {
    format!(
        "COMMENT ON TYPE {} IS {}",
        qualified(name),
        comment_text(comment)
    )
}

fn privilege_list(privileges: &[Privilege]) -> String {
    let names: Vec<&str> = privileges.iter().map(|p| p.sql()).collect();
    names.join(", ")
}

/// `GRANT SELECT, INSERT ON TABLE t TO role`.
pub fn grant(table: &QualifiedName, role: &str, privileges: &[Privilege]) -> String {
    format!(
        "GRANT {} ON TABLE {} TO {}",
        privilege_list(privileges),
        qualified(table),
        role_name(role)
    )
}

/// `REVOKE SELECT, INSERT ON TABLE t FROM role`.
pub fn revoke(table: &QualifiedName, role: &str, privileges: &[Privilege]) -> String {
    format!(
        "REVOKE {} ON TABLE {} FROM {}",
        privilege_list(privileges),
        qualified(table),
        role_name(role)
    )
}

/// `GRANT USAGE ON SEQUENCE s TO role`: `nextval` on a `serial` column's sequence, which an
/// `INSERT` that takes the column's default needs.
pub fn grant_sequence_usage(sequence: &QualifiedName, role: &str) -> String {
    format!(
        "GRANT USAGE ON SEQUENCE {} TO {}",
        qualified(sequence),
        role_name(role)
    )
}

/// `REVOKE USAGE ON SEQUENCE s FROM role`.
pub fn revoke_sequence_usage(sequence: &QualifiedName, role: &str) -> String {
    format!(
        "REVOKE USAGE ON SEQUENCE {} FROM {}",
        qualified(sequence),
        role_name(role)
    )
}

/// A `DO` block that creates the role `NOLOGIN` unless `pg_roles` already has it: roles are
/// cluster-wide and may have been made by another database's schema, and `CREATE ROLE` has no
/// `IF NOT EXISTS`. Another session creating the same role at the same moment is not an error.
pub fn create_role_if_missing(role: &str) -> String {
    let body = format!(
        "BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {}) THEN CREATE ROLE {} NOLOGIN; END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END",
        literal(role),
        ident(role)
    );
    let tag = dollar_tag(&body);
    format!("DO {tag}{body}{tag}")
}

/// A dollar-quote tag (`$schemac$`) that does not occur in `body`, so no role name can end the quote.
fn dollar_tag(body: &str) -> String {
    let mut tag = "$schemac$".to_string();
    let mut n = 0u32;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$schemac{n}$");
    }
    tag
}

/// `ALTER TABLE t ADD COLUMN <definition>`.
pub fn add_column(table: &QualifiedName, column: &Column) -> String {
    format!(
        "{} ADD COLUMN {}",
        alter_table(table),
        column_definition(column)
    )
}

/// `ALTER TABLE t DROP COLUMN c`.
pub fn drop_column(table: &QualifiedName, column: &str) -> String {
    format!("{} DROP COLUMN {}", alter_table(table), ident(column))
}

/// `ALTER TABLE t RENAME COLUMN old TO new`.
pub fn rename_column(table: &QualifiedName, from: &str, to: &str) -> String {
    format!(
        "{} RENAME COLUMN {} TO {}",
        alter_table(table),
        ident(from),
        ident(to)
    )
}

fn alter_column(table: &QualifiedName, column: &str) -> String {
    format!("{} ALTER COLUMN {}", alter_table(table), ident(column))
}

/// `ALTER TABLE t ALTER COLUMN c TYPE ty [USING (expr)]`.
pub fn alter_column_type(
    table: &QualifiedName,
    column: &str,
    ty: &SqlType,
    using: Option<&str>,
) -> String {
    let mut sql = format!("{} TYPE {}", alter_column(table, column), ty.sql());
    if let Some(using) = using {
        sql.push_str(&format!(" USING ({using})"));
    }
    sql
}

/// `ALTER TABLE t ALTER COLUMN c SET DEFAULT expr`.
pub fn set_default(table: &QualifiedName, column: &str, expr: &str) -> String {
    format!(
        "{} SET DEFAULT {}",
        alter_column(table, column),
        default_expr(expr)
    )
}

/// `ALTER TABLE t ALTER COLUMN c DROP DEFAULT`.
pub fn drop_default(table: &QualifiedName, column: &str) -> String {
    format!("{} DROP DEFAULT", alter_column(table, column))
}

/// `ALTER TABLE t ALTER COLUMN c ADD GENERATED { BY DEFAULT | ALWAYS } AS IDENTITY`.
pub fn add_identity(table: &QualifiedName, column: &str, identity: Identity) -> String {
    format!(
        "{} ADD GENERATED {} AS IDENTITY",
        alter_column(table, column),
        identity.sql()
    )
}

/// `ALTER TABLE t ALTER COLUMN c SET GENERATED { BY DEFAULT | ALWAYS }`.
pub fn set_identity(table: &QualifiedName, column: &str, identity: Identity) -> String {
    format!(
        "{} SET GENERATED {}",
        alter_column(table, column),
        identity.sql()
    )
}

/// `ALTER TABLE t ALTER COLUMN c DROP IDENTITY` (drops its sequence; the values stay).
pub fn drop_identity(table: &QualifiedName, column: &str) -> String {
    format!("{} DROP IDENTITY", alter_column(table, column))
}

/// Moves the sequence of an identity or serial column past the values the rows already hold, so
/// that the next insert does not take one of them (a new sequence starts at 1). Without a row above 1
/// there is nothing to skip (and `setval` refuses values below the sequence's minimum, 1).
pub fn sequence_past_rows(table: &QualifiedName, column: &str) -> String {
    format!(
        "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence({}, {}), max({})) FROM {} \
         HAVING max({}) >= 1",
        literal(&qualified(table)),
        literal(column),
        ident(column),
        qualified(table),
        ident(column)
    )
}

/// `ALTER TABLE t ALTER COLUMN c SET NOT NULL`.
pub fn set_not_null(table: &QualifiedName, column: &str) -> String {
    format!("{} SET NOT NULL", alter_column(table, column))
}

/// `ALTER TABLE t ALTER COLUMN c DROP NOT NULL`.
pub fn drop_not_null(table: &QualifiedName, column: &str) -> String {
    format!("{} DROP NOT NULL", alter_column(table, column))
}

/// `ALTER TABLE t RENAME CONSTRAINT old TO new`.
pub fn rename_constraint(table: &QualifiedName, from: &str, to: &str) -> String {
    format!(
        "{} RENAME CONSTRAINT {} TO {}",
        alter_table(table),
        ident(from),
        ident(to)
    )
}

/// `ALTER INDEX schema.old RENAME TO new`.
pub fn rename_index(index: &QualifiedName, to: &str) -> String {
    format!("ALTER INDEX {} RENAME TO {}", qualified(index), ident(to))
}

/// `ALTER POLICY name ON t TO roles USING (..) WITH CHECK (..)` (the command cannot change).
pub fn alter_policy(table: &QualifiedName, policy: &Policy) -> String {
    let roles: Vec<String> = if policy.roles.is_empty() {
        vec!["PUBLIC".into()]
    } else {
        policy.roles.iter().map(|r| role_name(r)).collect()
    };
    let mut sql = format!(
        "ALTER POLICY {} ON {} TO {}",
        ident(&policy.name),
        qualified(table),
        roles.join(", ")
    );
    if let Some(using) = &policy.using {
        sql.push_str(&format!(" USING ({using})"));
    }
    if let Some(check) = &policy.with_check {
        sql.push_str(&format!(" WITH CHECK ({check})"));
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_is_one_token_when_nothing_stands_apart_outside_pairs() {
        for one in [
            "now()",
            "'a b'::text",
            "f(a, b)",
            "ARRAY[1, 2]",
            "\"x y\"",
            "-1",
        ] {
            assert!(is_single_token(one), "{one}");
        }
        for more in [
            "1 + 2",
            "'x'::character varying",
            "f(a) b",
            "'open",
            "(a",
            "",
        ] {
            assert!(!is_single_token(more), "{more}");
        }
    }
    use crate::catalog::{BaseType, PolicyCommand};
    use insta::assert_snapshot;

    fn users() -> QualifiedName {
        QualifiedName::public("users")
    }

    fn col(name: &str, base: BaseType) -> Column {
        Column::new(name, SqlType::scalar(base))
    }

    #[test]
    fn schema_and_extension() {
        assert_snapshot!(create_schema("app"), @"CREATE SCHEMA IF NOT EXISTS app");
        assert_snapshot!(create_schema("My App"), @r#"CREATE SCHEMA IF NOT EXISTS "My App""#);
        assert_snapshot!(drop_schema("app"), @"DROP SCHEMA app");
        assert_snapshot!(create_extension("citext"), @"CREATE EXTENSION IF NOT EXISTS citext");
    }

    #[test]
    fn enums() {
        let status = EnumType {
            name: QualifiedName::new("app", "status"),
            values: vec!["open".into(), "won't ship".into()],
            comment: None,
            renamed_from: None,
            origin: None,
        };
        assert_snapshot!(create_enum(&status), @"CREATE TYPE app.status AS ENUM ('open', 'won''t ship')");
        let name = QualifiedName::public("status");
        assert_snapshot!(add_enum_value(&name, "closed", None), @"ALTER TYPE public.status ADD VALUE IF NOT EXISTS 'closed'");
        assert_snapshot!(
            add_enum_value(&name, "pending", Some((Position::Before, "open"))),
            @"ALTER TYPE public.status ADD VALUE IF NOT EXISTS 'pending' BEFORE 'open'"
        );
        assert_snapshot!(
            add_enum_value(&name, "done", Some((Position::After, "open"))),
            @"ALTER TYPE public.status ADD VALUE IF NOT EXISTS 'done' AFTER 'open'"
        );
        assert_snapshot!(rename_type(&name, "state"), @"ALTER TYPE public.status RENAME TO state");
        assert_snapshot!(drop_type(&name), @"DROP TYPE public.status");
        assert_snapshot!(comment_on_type(&name, Some("It's a state")), @"COMMENT ON TYPE public.status IS 'It''s a state'");
        assert_snapshot!(comment_on_type(&name, None), @"COMMENT ON TYPE public.status IS NULL");
    }

    #[test]
    fn column_definitions() {
        let mut id = col("id", BaseType::BigInt);
        id.serial = true;
        id.default = Some("nextval('users_id_seq'::regclass)".into());
        assert_snapshot!(column_definition(&id), @"id bigserial NOT NULL");

        let mut small = col("n", BaseType::Integer);
        small.serial = true;
        assert_snapshot!(column_definition(&small), @"n serial NOT NULL");

        let mut name = col("user", BaseType::Varchar(Some(20)));
        name.nullable = true;
        name.default = Some("'x'::character varying".into());
        assert_snapshot!(column_definition(&name), @r#""user" varchar(20) DEFAULT ('x'::character varying)"#);

        let mut created = col("created_at", BaseType::Timestamptz);
        created.default = Some("now()".into());
        assert_snapshot!(column_definition(&created), @"created_at timestamptz NOT NULL DEFAULT now()");

        let mut tags = Column::new("tags", SqlType::array_of(BaseType::Text));
        tags.default = Some("'{}'::text[]".into());
        assert_snapshot!(column_definition(&tags), @"tags text[] NOT NULL DEFAULT '{}'::text[]");

        let mut flag = col("flag", BaseType::Boolean);
        flag.default = Some("1 IS NOT NULL".into());
        assert_snapshot!(column_definition(&flag), @"flag boolean NOT NULL DEFAULT (1 IS NOT NULL)");

        let mut lower = col("email_lower", BaseType::Text);
        lower.nullable = true;
        lower.generated = Some("lower(email)".into());
        assert_snapshot!(column_definition(&lower), @"email_lower text GENERATED ALWAYS AS (lower(email)) STORED");

        let state = col("state", BaseType::Enum(QualifiedName::new("app", "status")));
        assert_snapshot!(column_definition(&state), @"state app.status NOT NULL");
    }

    #[test]
    fn create_table_with_constraints() {
        let mut table = Table::new(users());
        let mut id = col("id", BaseType::Uuid);
        id.default = Some("gen_random_uuid()".into());
        table.columns.push(id);
        table.columns.push(col("email", BaseType::Text));
        let mut age = col("age", BaseType::Integer);
        age.nullable = true;
        table.columns.push(age);
        table.primary_key = Some(PrimaryKey {
            name: "users_pkey".into(),
            columns: vec!["id".into()],
            origin: None,
        });
        table.uniques.push(UniqueConstraint {
            nulls_not_distinct: false,
            name: "users_email_key".into(),
            columns: vec!["email".into()],
            origin: None,
        });
        table.checks.push(CheckConstraint {
            name: "users_age_check".into(),
            expr: "age > 0".into(),
            origin: None,
        });
        assert_snapshot!(create_table(&table), @r"
        CREATE TABLE public.users (
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            email text NOT NULL,
            age integer,
            CONSTRAINT users_pkey PRIMARY KEY (id),
            CONSTRAINT users_email_key UNIQUE (email),
            CONSTRAINT users_age_check CHECK (age > 0)
        )
        ");
        assert_snapshot!(create_table(&Table::new(users())), @"CREATE TABLE public.users ()");
        assert_snapshot!(drop_table(&users()), @"DROP TABLE public.users");
        assert_snapshot!(rename_table(&QualifiedName::new("app", "people"), "users"), @"ALTER TABLE app.people RENAME TO users");
    }

    #[test]
    fn foreign_keys() {
        let fk = ForeignKey {
            name: "sessions_tree_id_fkey".into(),
            columns: vec!["account_id".into(), "tree_id".into()],
            referenced_table: QualifiedName::public("trees"),
            referenced_columns: vec!["account_id".into(), "id".into()],
            on_delete: FkAction::SetNull,
            on_delete_columns: vec!["tree_id".into()],
            on_update: FkAction::NoAction,
            origin: None,
        };
        let sessions = QualifiedName::public("sessions");
        assert_snapshot!(add_foreign_key(&sessions, &fk, false), @"ALTER TABLE public.sessions ADD CONSTRAINT sessions_tree_id_fkey FOREIGN KEY (account_id, tree_id) REFERENCES public.trees (account_id, id) ON DELETE SET NULL (tree_id)");
        let simple = ForeignKey {
            name: "sessions_user_id_fkey".into(),
            columns: vec!["user_id".into()],
            referenced_table: users(),
            referenced_columns: vec!["id".into()],
            on_delete: FkAction::Cascade,
            on_delete_columns: Vec::new(),
            on_update: FkAction::Restrict,
            origin: None,
        };
        assert_snapshot!(add_foreign_key(&sessions, &simple, true), @"ALTER TABLE public.sessions ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users (id) ON DELETE CASCADE ON UPDATE RESTRICT NOT VALID");
    }

    #[test]
    fn constraints() {
        let check = CheckConstraint {
            name: "users_check".into(),
            expr: "a < b".into(),
            origin: None,
        };
        assert_snapshot!(add_check(&users(), &check, true), @"ALTER TABLE public.users ADD CONSTRAINT users_check CHECK (a < b) NOT VALID");
        assert_snapshot!(add_check(&users(), &check, false), @"ALTER TABLE public.users ADD CONSTRAINT users_check CHECK (a < b)");
        let unique = UniqueConstraint {
            nulls_not_distinct: false,
            name: "users_a_b_key".into(),
            columns: vec!["a".into(), "b".into()],
            origin: None,
        };
        assert_snapshot!(add_unique(&users(), &unique), @"ALTER TABLE public.users ADD CONSTRAINT users_a_b_key UNIQUE (a, b)");
        assert_snapshot!(add_unique_using_index(&users(), "users_a_b_key", "schemac_users_a_b_key"), @"ALTER TABLE public.users ADD CONSTRAINT users_a_b_key UNIQUE USING INDEX schemac_users_a_b_key");
        let pk = PrimaryKey {
            name: "users_pkey".into(),
            columns: vec!["id".into()],
            origin: None,
        };
        assert_snapshot!(add_primary_key(&users(), &pk), @"ALTER TABLE public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id)");
        assert_snapshot!(add_primary_key_using_index(&users(), "users_pkey", "users_pkey_idx"), @"ALTER TABLE public.users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_pkey_idx");
        assert_snapshot!(drop_constraint(&users(), "users_check"), @"ALTER TABLE public.users DROP CONSTRAINT users_check");
        assert_snapshot!(validate_constraint(&users(), "users_check"), @"ALTER TABLE public.users VALIDATE CONSTRAINT users_check");
    }

    #[test]
    fn indexes() {
        let index = Index {
            options: Default::default(),
            name: "users_email_idx".into(),
            unique: true,
            method: "btree".into(),
            keys: vec![
                IndexKey::Expr("lower(email)".into()),
                IndexKey::Column("order".into()),
            ],
            predicate: Some("deleted_at IS NULL".into()),
            origin: None,
        };
        assert_snapshot!(create_index(&users(), &index, true), @r#"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON public.users ((lower(email)), "order") WHERE (deleted_at IS NULL)"#);
        let gin = Index {
            options: Default::default(),
            name: "users_tags_idx".into(),
            unique: false,
            method: "gin".into(),
            keys: vec![IndexKey::Column("tags".into())],
            predicate: None,
            origin: None,
        };
        assert_snapshot!(create_index(&users(), &gin, false), @"CREATE INDEX users_tags_idx ON public.users USING gin (tags)");
        let name = QualifiedName::public("users_tags_idx");
        assert_snapshot!(drop_index(&name, true), @"DROP INDEX CONCURRENTLY IF EXISTS public.users_tags_idx");
        assert_snapshot!(drop_index(&name, false), @"DROP INDEX public.users_tags_idx");
    }

    #[test]
    fn policies_and_rls() {
        let policy = Policy {
            name: "tenant_isolation".into(),
            command: PolicyCommand::All,
            roles: Vec::new(),
            using: Some(
                "account_id = NULLIF(current_setting('app.current_account_id', true), '')::uuid"
                    .into(),
            ),
            with_check: Some(
                "account_id = NULLIF(current_setting('app.current_account_id', true), '')::uuid"
                    .into(),
            ),
            origin: None,
        };
        assert_snapshot!(create_policy(&users(), &policy), @"CREATE POLICY tenant_isolation ON public.users FOR ALL TO PUBLIC USING (account_id = NULLIF(current_setting('app.current_account_id', true), '')::uuid) WITH CHECK (account_id = NULLIF(current_setting('app.current_account_id', true), '')::uuid)");
        let read = Policy {
            name: "readers".into(),
            command: PolicyCommand::Select,
            roles: vec!["app_user".into(), "user".into()],
            using: Some("true".into()),
            with_check: None,
            origin: None,
        };
        assert_snapshot!(create_policy(&users(), &read), @r#"CREATE POLICY readers ON public.users FOR SELECT TO app_user, "user" USING (true)"#);
        assert_snapshot!(drop_policy(&users(), "readers"), @"DROP POLICY readers ON public.users");
        assert_snapshot!(enable_rls(&users()), @"ALTER TABLE public.users ENABLE ROW LEVEL SECURITY");
        assert_snapshot!(disable_rls(&users()), @"ALTER TABLE public.users DISABLE ROW LEVEL SECURITY");
        assert_snapshot!(force_rls(&users()), @"ALTER TABLE public.users FORCE ROW LEVEL SECURITY");
        assert_snapshot!(no_force_rls(&users()), @"ALTER TABLE public.users NO FORCE ROW LEVEL SECURITY");
    }

    #[test]
    fn comments() {
        assert_snapshot!(comment_on_table(&users(), Some("People.\nWho log in.")), @r"
        COMMENT ON TABLE public.users IS 'People.
        Who log in.'
        ");
        assert_snapshot!(comment_on_table(&users(), None), @"COMMENT ON TABLE public.users IS NULL");
        assert_snapshot!(comment_on_column(&users(), "email", Some("Login")), @"COMMENT ON COLUMN public.users.email IS 'Login'");
        assert_snapshot!(comment_on_column(&users(), "email", None), @"COMMENT ON COLUMN public.users.email IS NULL");
    }

    #[test]
    fn grants_and_roles() {
        let privileges = [Privilege::Select, Privilege::Insert];
        assert_snapshot!(grant(&users(), "app_user", &privileges), @"GRANT SELECT, INSERT ON TABLE public.users TO app_user");
        assert_snapshot!(grant(&users(), "public", &[Privilege::Select]), @"GRANT SELECT ON TABLE public.users TO PUBLIC");
        assert_snapshot!(revoke(&users(), "Admin", &privileges), @r#"REVOKE SELECT, INSERT ON TABLE public.users FROM "Admin""#);
        let sequence = QualifiedName::public("users_id_seq");
        assert_snapshot!(grant_sequence_usage(&sequence, "app_user"), @"GRANT USAGE ON SEQUENCE public.users_id_seq TO app_user");
        assert_snapshot!(revoke_sequence_usage(&sequence, "public"), @"REVOKE USAGE ON SEQUENCE public.users_id_seq FROM PUBLIC");
        assert_snapshot!(create_role_if_missing("app_user"), @"DO $schemac$BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'app_user') THEN CREATE ROLE app_user NOLOGIN; END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END$schemac$");
        // A role name that contains the tag cannot end the dollar quote early.
        assert_snapshot!(create_role_if_missing("$schemac$"), @r#"DO $schemac1$BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '$schemac$') THEN CREATE ROLE "$schemac$" NOLOGIN; END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END$schemac1$"#);
    }

    #[test]
    fn column_changes() {
        let mut email = col("email", BaseType::Text);
        email.nullable = true;
        assert_snapshot!(add_column(&users(), &email), @"ALTER TABLE public.users ADD COLUMN email text");
        assert_snapshot!(drop_column(&users(), "email"), @"ALTER TABLE public.users DROP COLUMN email");
        assert_snapshot!(rename_column(&users(), "name", "title"), @"ALTER TABLE public.users RENAME COLUMN name TO title");
        let ty = SqlType::scalar(BaseType::BigInt);
        assert_snapshot!(alter_column_type(&users(), "n", &ty, None), @"ALTER TABLE public.users ALTER COLUMN n TYPE bigint");
        assert_snapshot!(alter_column_type(&users(), "n", &ty, Some("n::bigint")), @"ALTER TABLE public.users ALTER COLUMN n TYPE bigint USING (n::bigint)");
        assert_snapshot!(set_default(&users(), "n", "0"), @"ALTER TABLE public.users ALTER COLUMN n SET DEFAULT 0");
        assert_snapshot!(set_default(&users(), "n", "1 + 2"), @"ALTER TABLE public.users ALTER COLUMN n SET DEFAULT (1 + 2)");
        assert_snapshot!(drop_default(&users(), "n"), @"ALTER TABLE public.users ALTER COLUMN n DROP DEFAULT");
        assert_snapshot!(set_not_null(&users(), "n"), @"ALTER TABLE public.users ALTER COLUMN n SET NOT NULL");
        assert_snapshot!(drop_not_null(&users(), "n"), @"ALTER TABLE public.users ALTER COLUMN n DROP NOT NULL");
    }

    #[test]
    fn nextval_defaults_name_their_sequence() {
        let public = |name: &str| QualifiedName::new("public".to_string(), name.to_string());
        assert_eq!(
            nextval_sequence("nextval('clients_id_seq'::regclass)", "public"),
            Some(public("clients_id_seq"))
        );
        assert_eq!(
            nextval_sequence("nextval('audit.events_id_seq'::regclass)", "audit"),
            Some(QualifiedName::new(
                "audit".to_string(),
                "events_id_seq".to_string()
            ))
        );
        assert_eq!(
            nextval_sequence("nextval('\"Odd.Name\"\"s_seq\"'::regclass)", "public"),
            Some(public("Odd.Name\"s_seq"))
        );
        assert_eq!(
            nextval_sequence("nextval('it''s_seq'::regclass)", "public"),
            Some(public("it's_seq"))
        );
        assert_eq!(nextval_sequence("now()", "public"), None);
        assert_eq!(
            rename_sequence(&public("clients_id_seq"), "customers_id_seq"),
            "ALTER SEQUENCE public.clients_id_seq RENAME TO customers_id_seq"
        );
    }
}

//! Canonicalisation: every expression of the desired `Catalog` (column defaults, generated columns,
//! checks, index keys and predicates, policy `USING`/`WITH CHECK`) replaced by the exact text
//! PostgreSQL prints for it, so that a schema compares equal to the database made from it.
//! How: inside a transaction that is always rolled back, create the desired objects in scratch
//! schemas (`schemac_scratch_<ns>`), read them back with introspection's own queries, and map the
//! scratch names back. Tables go in batches, each rolled back to its savepoint once read; a batch
//! that the server refuses anything of runs again with a savepoint per statement, so an invalid
//! expression becomes an `InvalidExpression` pointing at its schema line. Nothing outlives the call.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{Connection, PgConnection};

use super::queries::{Reader, Scope};
use super::IntrospectError;
use crate::catalog::{BaseType, Catalog, Column, QualifiedName, Table};
use crate::lexer::{self, Kind};
use crate::own_names;
use crate::source::Span;
use crate::sql::{ddl, ident};

/// PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1).
const MAX_IDENT_BYTES: usize = 63;

/// Tables created, read back and rolled back together. Every scratch relation (table, TOAST table
/// and index, sequence) keeps its lock until the end of its (sub)transaction, about eight lock
/// slots per table, and the server's lock table holds `max_locks_per_transaction` (default 64) ×
/// `max_connections` (default 100) slots for every session together: 2,600 tables at once ran out
/// of shared memory. Rolling back to a savepoint after each batch releases its locks.
/// https://www.postgresql.org/docs/current/runtime-config-locks.html
const TABLES_PER_BATCH: usize = 250;

/// A desired object the server refused: the schema line behind it and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidExpression {
    /// Where the object is declared, when it came from a schema file.
    pub origin: Option<Span>,
    /// Names the object and quotes the server's message, e.g.
    /// ``check `users_age_check` on `public.users`: column "agee" does not exist``.
    pub message: String,
}

/// Canonicalisation failed.
#[derive(Debug, thiserror::Error)]
pub enum CanonicalizeError {
    /// The server rejected expressions of the schema; each one points at its line.
    #[error("{} schema object(s) are not valid in this database", .0.len())]
    Invalid(Vec<InvalidExpression>),
    #[error("canonicalising expressions failed while {doing}: {source}")]
    Database {
        doing: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error(transparent)]
    Introspect(#[from] IntrospectError),
    /// An expression needs a server to be printed, and no dev database could be had.
    #[error(
        "the {object} has an expression schemac cannot compare by itself: `{expression}`; it needs \
         a dev database (an empty database schemac may write to, never the target): pass \
         --dev-url URL ({reason})"
    )]
    NoDevDatabase {
        expression: String,
        object: String,
        reason: String,
    },
}

fn database(doing: &'static str) -> impl FnOnce(sqlx::Error) -> CanonicalizeError {
    move |source| CanonicalizeError::Database { doing, source }
}

/// `desired`, with every expression as the server connected to prints it. Objects that could not be
/// created are reported together in `CanonicalizeError::Invalid`.
pub async fn canonicalize(
    conn: &mut PgConnection,
    desired: &Catalog,
) -> Result<Catalog, CanonicalizeError> {
    let scratch = ScratchNames::new(desired);
    let mut tx = conn
        .begin()
        .await
        .map_err(database("starting a transaction"))?;
    let printed = build_and_read(&mut tx, desired, &scratch).await;
    // Always roll back, whatever happened: the scratch schemas, roles and extensions go with it.
    let rolled_back = tx
        .rollback()
        .await
        .map_err(database("rolling back the scratch objects"));
    let printed = printed?;
    rolled_back?;
    Ok(apply_printed(desired, &printed))
}

/// Scratch schema name for every schema the desired catalog uses, and back.
struct ScratchNames {
    /// Real schema → scratch schema.
    to_scratch: BTreeMap<String, String>,
}

impl ScratchNames {
    fn new(desired: &Catalog) -> ScratchNames {
        let mut schemas: BTreeSet<String> = desired.namespaces.clone();
        schemas.insert("public".into());
        schemas.extend(desired.tables.iter().map(|t| t.name.schema.clone()));
        schemas.extend(desired.enums.iter().map(|e| e.name.schema.clone()));
        let to_scratch = schemas
            .into_iter()
            .enumerate()
            .map(|(i, schema)| {
                // A name PostgreSQL would truncate could collide with another; number it instead.
                let name = own_names::scratch_schema(&schema);
                let name = if name.len() <= MAX_IDENT_BYTES {
                    name
                } else {
                    own_names::numbered_scratch_schema(i)
                };
                (schema, name)
            })
            .collect();
        ScratchNames { to_scratch }
    }

    fn scratch_schema(&self, schema: &str) -> String {
        self.to_scratch
            .get(schema)
            .cloned()
            .unwrap_or_else(|| own_names::scratch_schema(schema))
    }

    fn name(&self, name: &QualifiedName) -> QualifiedName {
        QualifiedName::new(self.scratch_schema(&name.schema), name.name.clone())
    }

    /// The real schema of a scratch schema.
    fn real_schema<'a>(&'a self, scratch: &'a str) -> &'a str {
        self.to_scratch
            .iter()
            .find(|(_, s)| s.as_str() == scratch)
            .map_or(scratch, |(real, _)| real.as_str())
    }

    /// Printed text with scratch schema qualifications (`schemac_scratch_app.f`, also inside
    /// `'...'::regclass` literals) turned back into the real ones (`app.f`).
    fn unscratch_text(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (real, scratch) in &self.to_scratch {
            let from = format!("{}.", ident(scratch));
            if text.contains(&from) {
                text = text.replace(&from, &format!("{}.", ident(real)));
            }
        }
        text
    }

    /// `app.f(x)` → `schemac_scratch_app.f(x)`: the first part of every qualified name that is a
    /// scratch-mirrored schema, outside string literals, in SQL text.
    fn to_scratch_text(&self, text: &str) -> String {
        let tokens = lexer::lex(text);
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (i, token) in tokens.iter().enumerate() {
            let Some(name) = token.name() else {
                continue;
            };
            // `app.f` qualifies `f` with `app`; in `x.app.f`, `app` is a middle part.
            let qualifies = tokens
                .get(i + 1)
                .is_some_and(|next| next.kind == Kind::Dot && next.start == token.end)
                && !i
                    .checked_sub(1)
                    .is_some_and(|p| tokens[p].kind == Kind::Dot);
            if let Some(scratch) = self.to_scratch.get(&name).filter(|_| qualifies) {
                out.push_str(&text[copied..token.start]);
                out.push_str(&ident(scratch));
                copied = token.end;
            }
        }
        out.push_str(&text[copied..]);
        out
    }

    /// The desired table as it is created in scratch: scratch schema, enum types pointing at the
    /// scratch enums. Constraints other than checks are left out: no expression lives in them.
    fn table(&self, table: &Table) -> Table {
        let mut scratch = Table::new(self.name(&table.name));
        scratch.columns = table
            .columns
            .iter()
            .map(|column| {
                let mut column = column.clone();
                if let BaseType::Enum(name) = &column.ty.base {
                    column.ty.base = BaseType::Enum(self.name(name));
                }
                // Printed alike either way, and a dev server older than 18 has no VIRTUAL.
                column.generated_virtual = false;
                column
            })
            .collect();
        scratch.checks = table.checks.clone();
        scratch
    }
}

/// One statement to try, and the object to blame if the server refuses it.
struct Attempt<'a> {
    sql: String,
    what: String,
    origin: Option<Span>,
    /// Refusals are collected here.
    invalid: &'a mut Vec<InvalidExpression>,
}

/// How the statements of a batch run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// One after the other in the batch's savepoint; the first refusal abandons the batch, which
    /// is then run again `Careful`ly. A valid schema (the usual case) needs no subtransaction per
    /// statement: past 64 subtransactions PostgreSQL looks every tuple's transaction up in
    /// `pg_subtrans`, which made each catalog read of a batch cost ~0.4 s instead of ~50 ms.
    /// https://www.postgresql.org/docs/current/subxacts.html
    Fast,
    /// Each statement under its own savepoint, so that a refusal is recorded and the others go on.
    Careful,
}

/// Why a batch stopped before its end.
enum Stop {
    /// A statement was refused in `Mode::Fast`: the batch must be run again carefully.
    Refused,
    Failed(CanonicalizeError),
}

impl From<CanonicalizeError> for Stop {
    fn from(error: CanonicalizeError) -> Stop {
        Stop::Failed(error)
    }
}

impl From<IntrospectError> for Stop {
    fn from(error: IntrospectError) -> Stop {
        Stop::Failed(error.into())
    }
}

impl Stop {
    /// For statements run carefully, where `Refused` cannot happen.
    fn into_error(self) -> CanonicalizeError {
        match self {
            Stop::Failed(error) => error,
            Stop::Refused => CanonicalizeError::Database {
                doing: "creating scratch objects",
                source: sqlx::Error::Protocol("a careful statement was abandoned".into()),
            },
        }
    }
}

async fn exec_internal(
    conn: &mut PgConnection,
    sql: &'static str,
    doing: &'static str,
) -> Result<(), CanonicalizeError> {
    // Only fixed text of ours goes through the simple protocol, which allows several statements.
    sqlx::raw_sql(sql)
        .execute(&mut *conn)
        .await
        .map_err(database(doing))?;
    Ok(())
}

/// Runs one statement under the savepoint; a refusal is recorded and rolled back, so the
/// transaction stays usable. Returns whether the statement ran.
///
/// The statement is tried first with schema-qualified names in its expressions pointing at the
/// scratch schemas (`'a'::app.state` must mean the scratch enum, not the real one), then as
/// written, in case such a name was not a schema after all (a table or alias of the same name).
async fn attempt(
    conn: &mut PgConnection,
    scratch: &ScratchNames,
    mode: Mode,
    attempt: Attempt<'_>,
) -> Result<bool, Stop> {
    let rewritten = scratch.to_scratch_text(&attempt.sql);
    let mut variants = vec![rewritten];
    if variants[0] != attempt.sql {
        variants.push(attempt.sql);
    }
    let mut refusal = String::new();
    for sql in &variants {
        // The extended protocol (a prepared statement) refuses more than one statement, so text
        // that reaches us from the schema can never end the transaction (`...; COMMIT`).
        let result = sqlx::query(sql).persistent(false).execute(&mut *conn).await;
        match result {
            Ok(_) if mode == Mode::Fast => return Ok(true),
            Err(sqlx::Error::Database(error))
                if mode == Mode::Fast && is_refusal(error.code().as_deref()) =>
            {
                return Err(Stop::Refused)
            }
            Ok(_) => {
                exec_internal(
                    conn,
                    "RELEASE SAVEPOINT schemac_canonicalize; SAVEPOINT schemac_canonicalize",
                    "moving the savepoint",
                )
                .await?;
                return Ok(true);
            }
            Err(sqlx::Error::Database(error)) if !is_refusal(error.code().as_deref()) => {
                return Err(
                    database("creating scratch objects")(sqlx::Error::Database(error)).into(),
                );
            }
            Err(sqlx::Error::Database(error)) => {
                exec_internal(
                    conn,
                    "ROLLBACK TO SAVEPOINT schemac_canonicalize",
                    "rolling back to the savepoint",
                )
                .await?;
                refusal = error.message().to_string();
            }
            Err(other) => return Err(database("creating scratch objects")(other).into()),
        }
    }
    attempt.invalid.push(InvalidExpression {
        origin: attempt.origin,
        message: format!("{}: {}", attempt.what, refusal),
    });
    Ok(false)
}

/// Whether an error with this SQLSTATE is the server refusing the statement itself (a schema
/// problem to point at), rather than the server or the session failing whatever the statement
/// (a database error): insufficient resources (53: out of memory, disk or lock slots), operator
/// intervention (57: cancelled, shut down), system errors (58), connection (08), transaction
/// rollback (40: deadlock), object not in prerequisite state (55: lock not available), invalid
/// transaction state (25) and internal errors (XX).
/// https://www.postgresql.org/docs/current/errcodes-appendix.html
fn is_refusal(code: Option<&str>) -> bool {
    const NOT_THE_STATEMENT: [&str; 9] = ["53", "57", "58", "08", "40", "55", "25", "XX", "F0"];
    code.and_then(|code| code.get(..2))
        .is_none_or(|class| !NOT_THE_STATEMENT.contains(&class))
}

/// Creates the scratch objects and reads them back, with real names. Runs inside the caller's
/// transaction.
async fn build_and_read(
    conn: &mut PgConnection,
    desired: &Catalog,
    scratch: &ScratchNames,
) -> Result<Catalog, CanonicalizeError> {
    let mut invalid: Vec<InvalidExpression> = Vec::new();
    enter_scratch_schemas(conn, scratch).await?;
    create_scratch_sequences(conn, desired, scratch).await?;
    exec_internal(
        conn,
        "SAVEPOINT schemac_canonicalize",
        "creating a savepoint",
    )
    .await?;
    create_missing_extensions(conn, desired, scratch, &mut invalid).await?;
    create_policy_roles(conn, desired, scratch, &mut invalid).await?;
    create_scratch_enums(conn, desired, scratch, &mut invalid).await?;
    create_scratch_domains(conn, desired, scratch, &mut invalid).await?;
    let printed = read_tables(conn, desired, scratch, &mut invalid).await?;
    if !invalid.is_empty() {
        return Err(CanonicalizeError::Invalid(invalid));
    }
    Ok(unscratch_catalog(printed, scratch))
}

/// Creates the scratch schemas and mirrors the session's search_path with each scratch schema just
/// before its real one: names resolve to the scratch objects first, and print unqualified exactly
/// where the real ones would.
async fn enter_scratch_schemas(
    conn: &mut PgConnection,
    scratch: &ScratchNames,
) -> Result<(), CanonicalizeError> {
    let path: Vec<String> = sqlx::query_scalar("select pg_catalog.current_schemas(false)::text[]")
        .fetch_one(&mut *conn)
        .await
        .map_err(database("reading the search_path"))?;
    let mut scratch_path = Vec::new();
    for schema in &path {
        if scratch.to_scratch.contains_key(schema) {
            scratch_path.push(ident(&scratch.scratch_schema(schema)));
        }
        scratch_path.push(ident(schema));
    }

    for name in scratch.to_scratch.values() {
        sqlx::query(&format!("CREATE SCHEMA {}", ident(name)))
            .persistent(false)
            .execute(&mut *conn)
            .await
            .map_err(database("creating a scratch schema"))?;
    }
    sqlx::query("select pg_catalog.set_config('search_path', $1, true)")
        .bind(scratch_path.join(", "))
        .execute(&mut *conn)
        .await
        .map_err(database("setting the search_path"))?;
    Ok(())
}

/// Declared sequences, so that a default `nextval('s'::regclass)` resolves (to the scratch one,
/// printed back under its real name) in a database that does not have them yet.
async fn create_scratch_sequences(
    conn: &mut PgConnection,
    desired: &Catalog,
    scratch: &ScratchNames,
) -> Result<(), CanonicalizeError> {
    for sequence in &desired.sequences {
        sqlx::query(&ddl::create_sequence_item(&crate::catalog::Sequence {
            name: scratch.name(&sequence.name),
            ..sequence.clone()
        }))
        .persistent(false)
        .execute(&mut *conn)
        .await
        .map_err(database("creating a scratch sequence"))?;
        // A qualified name inside the `'...'::regclass` literal is not rewritten to the scratch
        // schema: where the real schema or sequence is missing, make it here too (rolled back).
        if sequence.name.schema != "public" {
            for statement in [
                format!(
                    "CREATE SCHEMA IF NOT EXISTS {}",
                    ident(&sequence.name.schema)
                ),
                format!(
                    "CREATE SEQUENCE IF NOT EXISTS {}.{}",
                    ident(&sequence.name.schema),
                    ident(&sequence.name.name)
                ),
            ] {
                sqlx::query(&statement)
                    .persistent(false)
                    .execute(&mut *conn)
                    .await
                    .map_err(database("creating a scratch sequence"))?;
            }
        }
    }
    Ok(())
}

/// The extensions the schema needs that the database lacks (rolled back with the rest).
async fn create_missing_extensions(
    conn: &mut PgConnection,
    desired: &Catalog,
    scratch: &ScratchNames,
    invalid: &mut Vec<InvalidExpression>,
) -> Result<(), CanonicalizeError> {
    let existing_extensions: Vec<String> =
        sqlx::query_scalar("select extname::text from pg_catalog.pg_extension")
            .fetch_all(&mut *conn)
            .await
            .map_err(database("reading extensions"))?;
    for extension in &desired.extensions {
        if !existing_extensions.contains(extension) {
            let what = format!("extension `{extension}`");
            let sql = ddl::create_extension(extension);
            attempt(
                conn,
                scratch,
                Mode::Careful,
                Attempt {
                    sql,
                    what,
                    origin: None,
                    invalid,
                },
            )
            .await
            .map_err(Stop::into_error)?;
        }
    }
    Ok(())
}

/// Roles named by policies must exist for `CREATE POLICY`; made here, they vanish on rollback.
async fn create_policy_roles(
    conn: &mut PgConnection,
    desired: &Catalog,
    scratch: &ScratchNames,
    invalid: &mut Vec<InvalidExpression>,
) -> Result<(), CanonicalizeError> {
    let existing_roles: Vec<String> =
        sqlx::query_scalar("select rolname::text from pg_catalog.pg_roles")
            .fetch_all(&mut *conn)
            .await
            .map_err(database("reading roles"))?;
    let policy_roles: BTreeSet<&String> = desired
        .tables
        .iter()
        .flat_map(|t| t.policies.iter().flat_map(|p| p.roles.iter()))
        .filter(|role| role.as_str() != "public" && !existing_roles.contains(role))
        .collect();
    for role in policy_roles {
        let origin = desired
            .roles
            .iter()
            .find(|r| &r.name == role)
            .and_then(|r| r.origin);
        let sql = format!("CREATE ROLE {} NOLOGIN", ident(role));
        let what = format!("role `{role}`");
        attempt(
            conn,
            scratch,
            Mode::Careful,
            Attempt {
                sql,
                what,
                origin,
                invalid,
            },
        )
        .await
        .map_err(Stop::into_error)?;
    }
    Ok(())
}

/// The schema's enums, under their scratch names.
async fn create_scratch_enums(
    conn: &mut PgConnection,
    desired: &Catalog,
    scratch: &ScratchNames,
    invalid: &mut Vec<InvalidExpression>,
) -> Result<(), CanonicalizeError> {
    for enum_type in &desired.enums {
        let mut scratch_enum = enum_type.clone();
        scratch_enum.name = scratch.name(&enum_type.name);
        let sql = ddl::create_enum(&scratch_enum);
        let what = format!("enum `{}`", enum_type.name);
        attempt(
            conn,
            scratch,
            Mode::Careful,
            Attempt {
                sql,
                what,
                origin: enum_type.origin,
                invalid,
            },
        )
        .await
        .map_err(Stop::into_error)?;
    }
    Ok(())
}

/// The schema's domains, under their scratch names: columns may be typed by one (pagila's
/// `release_year "year"`).
async fn create_scratch_domains(
    conn: &mut PgConnection,
    desired: &Catalog,
    scratch: &ScratchNames,
    invalid: &mut Vec<InvalidExpression>,
) -> Result<(), CanonicalizeError> {
    for domain in &desired.domains {
        let mut scratch_domain = domain.clone();
        scratch_domain.name = scratch.name(&domain.name);
        let sql = crate::sql::routines::create_domain(&scratch_domain);
        let what = format!("domain `{}`", domain.name);
        attempt(
            conn,
            scratch,
            Mode::Careful,
            Attempt {
                sql,
                what,
                origin: domain.origin,
                invalid,
            },
        )
        .await
        .map_err(Stop::into_error)?;
    }
    Ok(())
}

/// The tables, `TABLES_PER_BATCH` at a time, each batch rolled back once read so that its locks
/// never fill the server's lock table: the printed tables under their scratch names.
async fn read_tables(
    conn: &mut PgConnection,
    desired: &Catalog,
    scratch: &ScratchNames,
    invalid: &mut Vec<InvalidExpression>,
) -> Result<Catalog, CanonicalizeError> {
    let schemas: Vec<String> = scratch.to_scratch.values().cloned().collect();
    let mut printed = Catalog::default();
    for batch in desired.tables.chunks(TABLES_PER_BATCH) {
        exec_internal(conn, "SAVEPOINT schemac_batch", "starting a batch").await?;
        let fast = build_batch(conn, scratch, Mode::Fast, desired, batch, &schemas, invalid);
        let read = match fast.await {
            Ok(read) => read,
            Err(Stop::Failed(error)) => return Err(error),
            Err(Stop::Refused) => {
                // Again from the start of the batch, each statement under its own savepoint, to
                // say which objects the server refuses (and to try their unqualified spelling).
                exec_internal(
                    conn,
                    "ROLLBACK TO SAVEPOINT schemac_batch; SAVEPOINT schemac_canonicalize",
                    "restarting a batch",
                )
                .await?;
                build_batch(
                    conn,
                    scratch,
                    Mode::Careful,
                    desired,
                    batch,
                    &schemas,
                    invalid,
                )
                .await
                .map_err(Stop::into_error)?
            }
        };
        // Rolling back the batch drops its scratch tables and releases their locks; the enums,
        // roles and extensions made before the batches stay.
        exec_internal(
            conn,
            "ROLLBACK TO SAVEPOINT schemac_batch; RELEASE SAVEPOINT schemac_batch",
            "ending a batch",
        )
        .await?;
        if let Some(read) = read {
            let wanted: BTreeSet<QualifiedName> =
                batch.iter().map(|t| scratch.name(&t.name)).collect();
            printed
                .tables
                .extend(read.tables.into_iter().filter(|t| wanted.contains(&t.name)));
        }
    }
    Ok(printed)
}

/// Desired tables outside `batch` that a policy of `batch` may name (any word of a policy
/// expression that is a table's name): they are created too, with their columns only, so the
/// policy resolves against them. A superset is harmless.
pub(super) fn policy_references<'a>(desired: &'a Catalog, batch: &[Table]) -> Vec<&'a Table> {
    let mut words: BTreeSet<String> = BTreeSet::new();
    for policy in batch.iter().flat_map(|t| t.policies.iter()) {
        for text in [&policy.using, &policy.with_check].into_iter().flatten() {
            words.extend(
                text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .filter(|w| !w.is_empty())
                    .map(str::to_string),
            );
        }
    }
    if words.is_empty() {
        return Vec::new();
    }
    let in_batch: BTreeSet<&QualifiedName> = batch.iter().map(|t| &t.name).collect();
    desired
        .tables
        .iter()
        .filter(|t| !in_batch.contains(&t.name))
        // Unquoted words fold to lower case in SQL, quoted ones keep theirs: either may match.
        .filter(|t| words.contains(&t.name.name) || words.contains(&t.name.name.to_lowercase()))
        .collect()
}

/// One batch: its tables (and, bare, the tables its policies may name), then its expression
/// indexes and policies; read back. `None` when something was refused (recorded in `invalid`).
async fn build_batch(
    conn: &mut PgConnection,
    scratch: &ScratchNames,
    mode: Mode,
    desired: &Catalog,
    batch: &[Table],
    schemas: &[String],
    invalid: &mut Vec<InvalidExpression>,
) -> Result<Option<Catalog>, Stop> {
    let invalid_before = invalid.len();
    // Every table of the batch is created, not only those with expressions: a policy may name
    // another table through a subquery, and it must resolve to the desired one.
    let mut created: Vec<(&Table, Table)> = Vec::new();
    for table in batch {
        let scratch_table = scratch.table(table);
        if create_table(conn, scratch, mode, table, &scratch_table, invalid).await? {
            created.push((table, scratch_table));
        }
    }
    for table in policy_references(desired, batch) {
        let mut bare = scratch.table(table);
        bare.checks.clear();
        for column in &mut bare.columns {
            column.default = None;
            column.generated = None;
        }
        let sql = ddl::create_table(&bare);
        let what = format!("table `{}`", table.name);
        attempt(
            conn,
            scratch,
            mode,
            Attempt {
                sql,
                what,
                origin: table.origin,
                invalid,
            },
        )
        .await?;
    }
    for (table, scratch_table) in &created {
        for index in &table.indexes {
            let has_expression = index.predicate.is_some()
                || index
                    .keys
                    .iter()
                    .any(|k| matches!(k, crate::catalog::IndexKey::Expr(_)));
            if !has_expression {
                continue;
            }
            let sql = ddl::create_index(&scratch_table.name, index, false);
            let what = format!("index `{}` on `{}`", index.name, table.name);
            attempt(
                conn,
                scratch,
                mode,
                Attempt {
                    sql,
                    what,
                    origin: index.origin,
                    invalid,
                },
            )
            .await?;
        }
        for policy in &table.policies {
            let sql = ddl::create_policy(&scratch_table.name, policy);
            let what = format!("policy `{}` on `{}`", policy.name, table.name);
            attempt(
                conn,
                scratch,
                mode,
                Attempt {
                    sql,
                    what,
                    origin: policy.origin,
                    invalid,
                },
            )
            .await?;
        }
    }
    if invalid.len() > invalid_before {
        return Ok(None);
    }
    let read = Reader::new(conn)
        .read(&Scope::Schemas(schemas.to_vec()))
        .await?;
    Ok(Some(read))
}

/// Creates one scratch table. First all at once (the common case: one statement); if the server
/// refuses, again piece by piece so the refusal names the default, generated column or check.
async fn create_table(
    conn: &mut PgConnection,
    scratch: &ScratchNames,
    mode: Mode,
    table: &Table,
    scratch_table: &Table,
    invalid: &mut Vec<InvalidExpression>,
) -> Result<bool, Stop> {
    let mut probe = Vec::new();
    let whole = Attempt {
        sql: ddl::create_table(scratch_table),
        what: String::new(),
        origin: None,
        invalid: &mut probe,
    };
    if attempt(conn, scratch, mode, whole).await? {
        return Ok(true);
    }

    let mut bare = Table::new(scratch_table.name.clone());
    bare.columns = scratch_table
        .columns
        .iter()
        .filter(|c| c.generated.is_none())
        .map(|c| Column {
            default: None,
            ..c.clone()
        })
        .collect();
    let sql = ddl::create_table(&bare);
    let what = format!("table `{}`", table.name);
    if !attempt(
        conn,
        scratch,
        mode,
        Attempt {
            sql,
            what,
            origin: table.origin,
            invalid,
        },
    )
    .await?
    {
        return Ok(false);
    }
    for column in &scratch_table.columns {
        let origin = column.origin.or(table.origin);
        if let Some(generated) = &column.generated {
            let sql = ddl::add_column(&scratch_table.name, column);
            let what = format!(
                "generated column `{}.{}` ({generated})",
                table.name, column.name
            );
            attempt(
                conn,
                scratch,
                mode,
                Attempt {
                    sql,
                    what,
                    origin,
                    invalid,
                },
            )
            .await?;
        } else if let (Some(default), false) = (&column.default, column.serial) {
            let sql = ddl::set_default(&scratch_table.name, &column.name, default);
            let what = format!("default of `{}.{}` ({default})", table.name, column.name);
            attempt(
                conn,
                scratch,
                mode,
                Attempt {
                    sql,
                    what,
                    origin,
                    invalid,
                },
            )
            .await?;
        }
    }
    for check in &scratch_table.checks {
        let sql = ddl::add_check(&scratch_table.name, check, false);
        let what = format!(
            "check `{}` on `{}` ({})",
            check.name, table.name, check.expr
        );
        attempt(
            conn,
            scratch,
            mode,
            Attempt {
                sql,
                what,
                origin: check.origin.or(table.origin),
                invalid,
            },
        )
        .await?;
    }
    Ok(true)
}

/// Scratch schema names → real ones, in names and in printed expressions.
fn unscratch_catalog(mut printed: Catalog, scratch: &ScratchNames) -> Catalog {
    let name =
        |n: &QualifiedName| QualifiedName::new(scratch.real_schema(&n.schema), n.name.clone());
    let text = |t: &mut Option<String>| {
        if let Some(t) = t {
            *t = scratch.unscratch_text(t);
        }
    };
    for table in &mut printed.tables {
        table.name = name(&table.name);
        for column in &mut table.columns {
            text(&mut column.default);
            text(&mut column.generated);
            if let BaseType::Enum(enum_name) = &column.ty.base {
                column.ty.base = BaseType::Enum(name(enum_name));
            }
        }
        for check in &mut table.checks {
            check.expr = scratch.unscratch_text(&check.expr);
        }
        for index in &mut table.indexes {
            text(&mut index.predicate);
            for key in &mut index.keys {
                if let crate::catalog::IndexKey::Expr(expr) = key {
                    *expr = scratch.unscratch_text(expr);
                }
            }
        }
        for policy in &mut table.policies {
            text(&mut policy.using);
            text(&mut policy.with_check);
        }
        for fk in &mut table.foreign_keys {
            fk.referenced_table = name(&fk.referenced_table);
        }
    }
    for enum_type in &mut printed.enums {
        enum_type.name = name(&enum_type.name);
    }
    printed
}

/// `desired` with the printed expressions of the same objects put in.
fn apply_printed(desired: &Catalog, printed: &Catalog) -> Catalog {
    let mut result = desired.clone();
    for table in &mut result.tables {
        let Some(printed) = printed.table(&table.name) else {
            continue;
        };
        for column in &mut table.columns {
            let Some(printed) = printed.column(&column.name) else {
                continue;
            };
            if column.default.is_some() || column.serial {
                column.default = printed.default.clone();
            }
            if column.generated.is_some() {
                column.generated = printed.generated.clone();
            }
        }
        for check in &mut table.checks {
            if let Some(printed) = printed.checks.iter().find(|c| c.name == check.name) {
                check.expr = printed.expr.clone();
            }
        }
        for index in &mut table.indexes {
            if let Some(printed) = printed.indexes.iter().find(|i| i.name == index.name) {
                index.keys = printed.keys.clone();
                index.predicate = printed.predicate.clone();
            }
        }
        for policy in &mut table.policies {
            if let Some(printed) = printed.policies.iter().find(|p| p.name == policy.name) {
                policy.using = printed.using.clone();
                policy.with_check = printed.with_check.clone();
                // Roles as the server stores them: `TO PUBLIC` is no role at all (`polroles =
                // {0}`), and `TO app_user, PUBLIC` is PUBLIC alone ("ignoring specified roles
                // other than PUBLIC"), so the schema's list would never equal the database's.
                // https://www.postgresql.org/docs/current/sql-createpolicy.html
                policy.roles = printed.roles.clone();
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Policy, PolicyCommand};

    fn policy_table(roles: &[&str]) -> Table {
        let mut table = Table::new(QualifiedName::public("t"));
        table.policies.push(Policy {
            name: "p".into(),
            command: PolicyCommand::Select,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using: Some("(true)".into()),
            with_check: None,
            origin: None,
        });
        table
    }

    #[test]
    fn resource_and_session_errors_are_not_refusals() {
        // out_of_memory (53200 is also "out of shared memory"), query_canceled, deadlock.
        assert!(!is_refusal(Some("53200")));
        assert!(!is_refusal(Some("57014")));
        assert!(!is_refusal(Some("40P01")));
        assert!(!is_refusal(Some("55P03")));
        // undefined_column, invalid_text_representation, syntax_error: the schema's fault.
        assert!(is_refusal(Some("42703")));
        assert!(is_refusal(Some("22P02")));
        assert!(is_refusal(Some("42601")));
        assert!(is_refusal(None));
    }

    #[test]
    fn policies_bring_the_tables_they_name_into_their_batch() {
        let mut desired = Catalog::default();
        for name in ["owners", "Teams", "unrelated", "notes"] {
            desired.tables.push(Table::new(QualifiedName::public(name)));
        }
        let mut notes = policy_table(&[]);
        notes.name = QualifiedName::public("notes");
        notes.policies[0].using =
            Some("exists (select 1 from owners o, \"Teams\" t where o.id = owner_id)".into());
        let batch = [notes];
        let names: Vec<String> = policy_references(&desired, &batch)
            .iter()
            .map(|t| t.name.name.clone())
            .collect();
        assert_eq!(names, ["owners", "Teams"]);
        // Without policies nothing else is needed.
        let plain = [Table::new(QualifiedName::public("notes"))];
        assert!(policy_references(&desired, &plain).is_empty());
    }

    #[test]
    fn policy_roles_are_taken_as_the_server_stores_them() {
        let mut desired = Catalog::default();
        desired.tables.push(policy_table(&["app_user", "public"]));
        let mut printed = Catalog::default();
        printed.tables.push(policy_table(&[]));
        printed.tables[0].policies[0].using = Some("true".into());
        let result = apply_printed(&desired, &printed);
        let policy = &result.tables[0].policies[0];
        assert_eq!(policy.roles, Vec::<String>::new());
        assert_eq!(policy.using.as_deref(), Some("true"));
    }

    #[test]
    fn scratch_names_round_trip_in_text() {
        let mut desired = Catalog::default();
        desired.namespaces.insert("App".into());
        desired.namespaces.insert("x".repeat(60));
        let scratch = ScratchNames::new(&desired);
        assert_eq!(scratch.scratch_schema("public"), "schemac_scratch_public");
        assert_eq!(scratch.scratch_schema("App"), "schemac_scratch_App");
        // Too long to prefix: numbered instead, and still mapped back.
        let long = scratch.scratch_schema(&"x".repeat(60));
        assert_eq!(long, "schemac_scratch_2");
        assert_eq!(scratch.real_schema(&long), "x".repeat(60));
        assert_eq!(
            scratch.unscratch_text(
                r#"nextval('"schemac_scratch_App".t_id_seq'::regclass) + schemac_scratch_public.f(1)"#
            ),
            r#"nextval('"App".t_id_seq'::regclass) + public.f(1)"#
        );
        assert_eq!(
            scratch.to_scratch_text(
                r#"'a'::app.s = "App".f(x.public.y, 'public.z', 1.5) AND Public.g() AND apps.h()"#
            ),
            r#"'a'::app.s = "schemac_scratch_App".f(x.public.y, 'public.z', 1.5) AND schemac_scratch_public.g() AND apps.h()"#
        );
    }
}

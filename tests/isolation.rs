//! Tenant isolation, proven against PostgreSQL for every tenant table of a schema.
//!
//! Each schema (by default `schema/` and every `examples/*` — its `schema/` directory where it has
//! one — whose tenancy has `rls on`; or the
//! paths in `SCHEMAC_ISOLATION_SCHEMAS`, separated as in `PATH`) is applied to a fresh database.
//! The compiled `Catalog` is walked to insert rows for two tenants, A and B, into every table:
//! parents before children, NOT NULL columns filled with values of their type (enum values from
//! the catalog), foreign keys pointing at the same tenant's parent rows. Then, for every tenant
//! table, as each role the schema grants privileges on it (switching with `SET LOCAL ROLE` and
//! `set_config(<setting>, <tenant>, true)`):
//!
//! - the table has RLS enabled and forced, the `tenant_isolation` policy and the bypass policy;
//! - with tenant A's setting, SELECT sees A's rows and none of B's (except rows an explicit,
//!   permissive policy of the schema shows that role, which are checked to be exactly those);
//! - with no setting at all (a fresh session), or an empty one, no row of any tenant is visible;
//! - INSERT of a row with B's id fails on the policy, while the same insert for A succeeds;
//! - UPDATE and DELETE of B's rows touch nothing; UPDATE of A's row to B's id fails;
//! - the bypass role sees and writes every tenant's rows;
//! - the table owner (a role made for this test) is held to the same policies (FORCE), and sees
//!   B's rows again once FORCE is lifted, so the check can tell the difference;
//! - a row of A cannot point at a parent row of B through any same-tenant foreign key, even as a
//!   superuser (foreign key checks ignore RLS, so the composite key is what stops it).
//!
//! Global tables have no RLS and every role granted SELECT reads all their rows under any tenant.
//! Every check runs in a transaction that is rolled back, so the data stays as generated.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use schemac::catalog::{
    BaseType, Catalog, ForeignKey, Policy, PolicyCommand, Privilege, QualifiedName, SqlType, Table,
    TableKind, Tenancy,
};
use schemac::sql::{ident, literal, qualified};
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection, Row};

use support::cli::schemac_async;
use support::TestDb;

/// Environment variable naming the schemas to check instead of the defaults.
const SCHEMAS_ENV: &str = "SCHEMAC_ISOLATION_SCHEMAS";

/// Tries per row before the generator gives up satisfying the table's checks.
const MAX_ATTEMPTS: usize = 400;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The schemas to prove: `$SCHEMAC_ISOLATION_SCHEMAS`, or `schema/` and the examples with tenancy.
fn schemas() -> Vec<PathBuf> {
    if let Some(list) = std::env::var_os(SCHEMAS_ENV) {
        return std::env::split_paths(&list).collect();
    }
    let root = workspace();
    let mut list = vec![root.join("schema")];
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .expect("examples/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        // An example's schema is its `schema/` directory where it has one (beside other phases).
        .map(|p| {
            let nested = p.join("schema");
            if nested.is_dir() {
                nested
            } else {
                p
            }
        })
        .filter(|p| compile(p).tenancy.is_some_and(|t| t.rls))
        .collect();
    examples.sort();
    assert!(
        !examples.is_empty(),
        "no example with a tenancy block: the suite would prove nothing about examples/"
    );
    list.extend(examples);
    list
}

fn compile(path: &Path) -> Catalog {
    let (_, compiled) = schemac::compile::check_path(path)
        .unwrap_or_else(|e| panic!("{}: cannot load: {e}", path.display()));
    compiled.catalog.unwrap_or_else(|| {
        panic!(
            "{}: does not compile: {:?}",
            path.display(),
            compiled.diagnostics
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tenant_table_isolates_tenants() {
    let mut tasks = tokio::task::JoinSet::new();
    for schema in schemas() {
        tasks.spawn(prove(schema));
    }
    let mut failures = Vec::new();
    while let Some(result) = tasks.join_next().await {
        match result {
            Ok(Ok(summary)) => eprintln!("{summary}"),
            Ok(Err(failure)) => failures.push(failure),
            Err(panic) => failures.push(format!("a schema's proof panicked: {panic}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// What a proof found: checks that held, and the ones that did not.
#[derive(Default)]
struct Report {
    checks: usize,
    failures: Vec<String>,
    notes: Vec<String>,
}

impl Report {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.checks += 1;
        if !ok {
            self.failures.push(what());
        }
    }
}

/// Applies one schema, fills it and checks every property; `Err` lists every failed check.
async fn prove(path: PathBuf) -> Result<String, String> {
    let catalog = compile(&path);
    let tenancy = catalog
        .tenancy
        .clone()
        .filter(|t| t.rls)
        .unwrap_or_else(|| panic!("{}: no tenancy with `rls on`", path.display()));
    // `examples/tenant-isolation/schema` is labelled by its example.
    let named = if path.ends_with("schema") && path.parent().is_some_and(|p| p != workspace()) {
        path.parent().unwrap_or(&path)
    } else {
        &path
    };
    let label = named
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("schema")
        .to_string();
    let db = TestDb::named(&format!("iso_{label}")).await;
    let owner = TestRole::create(&db, "iso_owner").await;
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let url = db.url();
    let display = path.display().to_string();
    schemac_async(args(&["apply", &display, "--database-url", &url, "--yes"]))
        .await
        .expect(0);

    let mut conn = db.connect().await;
    let mut generator = Generator::new(&catalog, &tenancy);
    let data = generator.fill(&mut conn).await;

    let mut report = Report::default();
    let tenant_tables: Vec<&Table> = catalog
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Tenant)
        .collect();
    assert!(
        !tenant_tables.is_empty(),
        "{display}: no tenant table to prove anything about"
    );
    for table in &tenant_tables {
        let mut probe = Probe {
            db: &db,
            conn: &mut conn,
            catalog: &catalog,
            tenancy: &tenancy,
            table,
            data: &data,
            generator: &mut generator,
            owner: &owner.name,
            report: &mut report,
        };
        probe.run().await;
    }
    for table in catalog
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Global)
    {
        global_table(&mut conn, &catalog, &tenancy, table, &data, &mut report).await;
    }
    drop(conn);
    drop(owner);
    let mut summary = format!(
        "{display}: {} checks over {} tenant tables, {} failed",
        report.checks,
        tenant_tables.len(),
        report.failures.len()
    );
    for note in &report.notes {
        summary.push_str(&format!("\n  note: {note}"));
    }
    if report.failures.is_empty() {
        Ok(summary)
    } else {
        Err(format!("{summary}\n  - {}", report.failures.join("\n  - ")))
    }
}

/// A role made for one test (role names are cluster-wide), dropped when the test ends.
struct TestRole {
    name: String,
    admin_url: String,
}

impl TestRole {
    async fn create(db: &TestDb, prefix: &str) -> TestRole {
        let suffix: String = (0..8)
            .map(|_| char::from_digit(fastrand::u32(..36), 36).unwrap_or('x'))
            .collect();
        let name = format!("{prefix}_{suffix}");
        db.execute(&format!("CREATE ROLE {} NOLOGIN", ident(&name)))
            .await;
        TestRole {
            name,
            admin_url: db.admin_url(),
        }
    }
}

impl Drop for TestRole {
    fn drop(&mut self) {
        // Every use of the role is in a rolled-back transaction, so it owns nothing by now.
        let url = self.admin_url.clone();
        let sql = format!("DROP ROLE IF EXISTS {}", ident(&self.name));
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                conn.execute(sql.as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<(), String>(())
            })
        })
        .join();
        if !matches!(outcome, Ok(Ok(()))) {
            eprintln!("test role {} was not dropped: {outcome:?}", self.name);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Data: rows for two tenants in every table.

/// One inserted row: its tenant (0 = A, 1 = B; `None` outside tenant tables and the root) and
/// its values as `row_to_json` gave them.
#[derive(Debug, Clone)]
struct GeneratedRow {
    tenant: Option<usize>,
    values: serde_json::Map<String, Value>,
}

/// Every generated row, by table.
#[derive(Debug, Default)]
struct Data {
    rows: BTreeMap<QualifiedName, Vec<GeneratedRow>>,
}

impl Data {
    /// The tenant key of A (0) or B (1): the root row's primary key, as text.
    fn tenant_key(&self, tenancy: &Tenancy, catalog: &Catalog, tenant: usize) -> String {
        let root = catalog.table(&tenancy.root).expect("the root table");
        let pk = &root
            .primary_key
            .as_ref()
            .expect("the root's primary key")
            .columns[0];
        let row = self
            .rows
            .get(&tenancy.root)
            .and_then(|rows| rows.iter().find(|r| r.tenant == Some(tenant)))
            .expect("a root row per tenant");
        text_of(&row.values[pk.as_str()])
    }

    fn row(&self, table: &QualifiedName, tenant: Option<usize>) -> Option<&GeneratedRow> {
        let rows = self.rows.get(table)?;
        rows.iter()
            .find(|r| r.tenant == tenant)
            .or_else(|| rows.first())
    }

    fn count(&self, table: &QualifiedName) -> usize {
        self.rows.get(table).map_or(0, Vec::len)
    }
}

/// A JSON value as PostgreSQL text input.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `'text'::type`.
fn typed(text: &str, ty: &SqlType) -> String {
    format!("{}::{}", literal(text), ty.sql())
}

/// Inserts rows type by type, retrying values a check rejected.
struct Generator<'a> {
    catalog: &'a Catalog,
    tenancy: &'a Tenancy,
    /// Makes every generated value distinct, for unique keys.
    counter: u64,
}

impl<'a> Generator<'a> {
    fn new(catalog: &'a Catalog, tenancy: &'a Tenancy) -> Generator<'a> {
        Generator {
            catalog,
            tenancy,
            counter: 0,
        }
    }

    /// Rows for two tenants in every table, in one committed transaction.
    async fn fill(&mut self, conn: &mut PgConnection) -> Data {
        let mut data = Data::default();
        exec(conn, "BEGIN").await;
        for name in self.order() {
            let table = self.catalog.table(&name).expect("ordered tables exist");
            let tenants: Vec<Option<usize>> =
                if table.kind == TableKind::Tenant || table.name == self.tenancy.root {
                    vec![Some(0), Some(1)]
                } else {
                    vec![None]
                };
            for tenant in tenants {
                let row = self
                    .insert(conn, table, tenant, &data, true)
                    .await
                    .unwrap_or_else(|e| panic!("cannot generate a row of {}: {e}", table.name));
                let row = row.expect("RETURNING gives the row");
                data.rows.entry(table.name.clone()).or_default().push(row);
            }
        }
        exec(conn, "COMMIT").await;
        data
    }

    /// Tables with parents first. A nullable foreign key is followed when it can be, and left
    /// NULL when its parent comes later (a cycle, or a table referencing itself).
    fn order(&self) -> Vec<QualifiedName> {
        let mut done: BTreeSet<QualifiedName> = BTreeSet::new();
        let mut order = Vec::new();
        let tables = &self.catalog.tables;
        while order.len() < tables.len() {
            let ready = |strict: bool| {
                tables.iter().find(|t| {
                    !done.contains(&t.name)
                        && t.foreign_keys.iter().all(|fk| {
                            fk.referenced_table == t.name
                                || done.contains(&fk.referenced_table)
                                || (!strict && !self.required(t, fk))
                        })
                })
            };
            let next = ready(true).or_else(|| ready(false)).unwrap_or_else(|| {
                panic!("NOT NULL foreign keys form a cycle: cannot order the tables")
            });
            done.insert(next.name.clone());
            order.push(next.name.clone());
        }
        order
    }

    /// Whether a row cannot be inserted without the foreign key's parent.
    fn required(&self, table: &Table, fk: &ForeignKey) -> bool {
        fk.columns
            .iter()
            .any(|c| c != &self.tenancy.column && table.column(c).is_some_and(|col| !col.nullable))
    }

    /// Inserts one row of `table` for `tenant`, varying the values a failing check names.
    /// `Ok(None)` without `returning`; an error other than a check or unique violation at once.
    async fn insert(
        &mut self,
        conn: &mut PgConnection,
        table: &Table,
        tenant: Option<usize>,
        data: &Data,
        returning: bool,
    ) -> Result<Option<GeneratedRow>, sqlx::Error> {
        self.insert_with(conn, table, tenant, data, returning, &BTreeMap::new())
            .await
    }

    /// `insert`, with the values of some columns given (SQL expressions).
    async fn insert_with(
        &mut self,
        conn: &mut PgConnection,
        table: &Table,
        tenant: Option<usize>,
        data: &Data,
        returning: bool,
        given: &BTreeMap<String, String>,
    ) -> Result<Option<GeneratedRow>, sqlx::Error> {
        let mut columns = self.columns(table, tenant, data);
        for (column, candidates) in &mut columns {
            if let Some(value) = given.get(column) {
                *candidates = vec![value.clone()];
            }
        }
        let mut position = vec![0usize; columns.len()];
        let mut last_error = None;
        for _ in 0..MAX_ATTEMPTS {
            let names: Vec<String> = columns.iter().map(|(c, _)| ident(c)).collect();
            let values: Vec<&str> = columns
                .iter()
                .zip(&position)
                .map(|((_, candidates), &i)| candidates[i].as_str())
                .collect();
            let mut sql = if names.is_empty() {
                format!("INSERT INTO {} AS r DEFAULT VALUES", qualified(&table.name))
            } else {
                format!(
                    "INSERT INTO {} AS r ({}) VALUES ({})",
                    qualified(&table.name),
                    names.join(", "),
                    values.join(", ")
                )
            };
            if returning {
                sql.push_str(" RETURNING row_to_json(r.*)::text");
            }
            exec(conn, "SAVEPOINT generate").await;
            match sqlx::query(&sql).fetch_optional(&mut *conn).await {
                Ok(row) => {
                    exec(conn, "RELEASE SAVEPOINT generate").await;
                    let Some(row) = row else { return Ok(None) };
                    let json: String = row.get(0);
                    let values = match serde_json::from_str(&json) {
                        Ok(Value::Object(map)) => map,
                        other => panic!("row_to_json gave {other:?}"),
                    };
                    return Ok(Some(GeneratedRow { tenant, values }));
                }
                Err(error) => {
                    exec(conn, "ROLLBACK TO SAVEPOINT generate").await;
                    let (code, constraint) = match error.as_database_error() {
                        Some(db) => (
                            db.code().map(|c| c.to_string()),
                            db.constraint().map(str::to_string),
                        ),
                        None => (None, None),
                    };
                    // 23514 check_violation, 23505 unique_violation: try other values.
                    let vary: Vec<usize> = match code.as_deref() {
                        Some("23514") => {
                            let mentioned = constraint
                                .and_then(|name| table.checks.iter().find(|c| c.name == name))
                                .map(|check| words(&check.expr))
                                .unwrap_or_default();
                            let named: Vec<usize> = (0..columns.len())
                                .filter(|&i| mentioned.contains(&columns[i].0))
                                .collect();
                            if named.is_empty() {
                                (0..columns.len()).collect()
                            } else {
                                named
                            }
                        }
                        Some("23505") => (0..columns.len()).collect(),
                        _ => return Err(error),
                    };
                    last_error = Some(error);
                    if !advance(&mut position, &vary, &columns) {
                        break;
                    }
                }
            }
        }
        Err(last_error.unwrap_or_else(|| sqlx::Error::Protocol("no attempt was made".into())))
    }

    /// The columns to write and the values to try for each, first choice first.
    fn columns(
        &mut self,
        table: &Table,
        tenant: Option<usize>,
        data: &Data,
    ) -> Vec<(String, Vec<String>)> {
        let mut fixed: BTreeMap<String, String> = BTreeMap::new();
        let tenant_table = table.kind == TableKind::Tenant;
        if let (true, Some(t)) = (tenant_table, tenant) {
            let key = data.tenant_key(self.tenancy, self.catalog, t);
            fixed.insert(
                self.tenancy.column.clone(),
                typed(&key, &self.tenancy.key_type),
            );
        }
        for fk in &table.foreign_keys {
            if fk.referenced_table == self.tenancy.root
                && fk.columns == [self.tenancy.column.clone()]
            {
                continue;
            }
            let parent_tenant = self
                .catalog
                .table(&fk.referenced_table)
                .filter(|p| p.kind == TableKind::Tenant || p.name == self.tenancy.root)
                .and(tenant);
            let Some(parent) = data.row(&fk.referenced_table, parent_tenant) else {
                continue;
            };
            for (column, referenced) in fk.columns.iter().zip(&fk.referenced_columns) {
                if tenant_table && column == &self.tenancy.column {
                    continue;
                }
                let Some(col) = table.column(column) else {
                    continue;
                };
                let value = &parent.values[referenced.as_str()];
                if !value.is_null() {
                    fixed.insert(column.clone(), typed(&text_of(value), &col.ty));
                }
            }
        }
        let mut columns = Vec::new();
        for column in &table.columns {
            if column.generated.is_some() || column.serial {
                continue;
            }
            if let Some(value) = fixed.get(&column.name) {
                columns.push((column.name.clone(), vec![value.clone()]));
                continue;
            }
            let mut candidates = Vec::new();
            if column.default.is_some() {
                candidates.push("DEFAULT".to_string());
            } else if column.nullable {
                candidates.push("NULL".to_string());
            }
            let references_table = table
                .foreign_keys
                .iter()
                .any(|fk| fk.columns.contains(&column.name));
            // A foreign key column whose parent has no row yet can only be NULL.
            if !references_table {
                candidates.extend(self.values(&column.ty));
                if column.default.is_some() && column.nullable {
                    candidates.push("NULL".to_string());
                }
            }
            if candidates.is_empty() {
                panic!(
                    "{}.{}: NOT NULL, no default, and no value to write (a foreign key whose \
                     parent has no row, or a type the generator does not know)",
                    table.name, column.name
                );
            }
            columns.push((column.name.clone(), candidates));
        }
        columns
    }

    /// Values of a type to try, each distinct from every value generated before.
    fn values(&mut self, ty: &SqlType) -> Vec<String> {
        self.counter += 1;
        let n = self.counter;
        let scalars = self.scalars(&ty.base, n);
        if ty.array {
            let mut arrays = vec![format!("'{{}}'::{}", ty.sql())];
            for value in scalars.iter().take(4) {
                arrays.push(format!("ARRAY[{value}]::{}", ty.sql()));
            }
            arrays
        } else {
            scalars
        }
    }

    fn scalars(&self, base: &BaseType, n: u64) -> Vec<String> {
        let ty = SqlType::scalar(base.clone());
        let texts = |max: Option<u32>| -> Vec<String> {
            let words = [
                format!("v{n}"),
                format!("u{n}@example.com"),
                format!("V{n}"),
                "x".to_string(),
            ];
            words
                .iter()
                .map(|w| match max {
                    Some(max) => w.chars().take(max as usize).collect::<String>(),
                    None => w.clone(),
                })
                .map(|w| typed(&w, &ty))
                .collect()
        };
        let typed_all = |list: &[String]| list.iter().map(|v| typed(v, &ty)).collect::<Vec<_>>();
        match base {
            BaseType::Uuid => vec!["gen_random_uuid()".into()],
            BaseType::Text | BaseType::Citext | BaseType::Varchar(None) => texts(None),
            BaseType::Varchar(Some(max)) => texts(Some(*max)),
            BaseType::Char(len) => {
                let len = *len as usize;
                let mut letters = String::new();
                let mut k = n;
                while letters.len() < len {
                    letters.push(char::from(b'A' + (k % 26) as u8));
                    k /= 26;
                }
                typed_all(&[letters.clone(), letters.to_lowercase()])
            }
            BaseType::SmallInt | BaseType::Integer | BaseType::BigInt => typed_all(&[
                "1".into(),
                "0".into(),
                (n % 30_000).to_string(),
                "100".into(),
                "-1".into(),
            ]),
            BaseType::Real | BaseType::Double | BaseType::Numeric(_) => typed_all(&[
                "1".into(),
                "0".into(),
                "0.5".into(),
                (n % 1000).to_string(),
                "-1".into(),
            ]),
            BaseType::Boolean => typed_all(&["true".into(), "false".into()]),
            BaseType::Date => vec![
                "current_date".into(),
                typed("2000-01-01", &ty),
                typed("2100-01-01", &ty),
            ],
            BaseType::Time => typed_all(&["12:00".into(), "00:00".into(), "23:59".into()]),
            BaseType::Timestamp | BaseType::Timestamptz => vec![
                format!("now()::{}", ty.sql()),
                typed("2000-01-01 00:00", &ty),
                typed("2100-01-01 00:00", &ty),
            ],
            BaseType::Interval => {
                typed_all(&["1 hour".into(), "0 seconds".into(), "-1 hour".into()])
            }
            BaseType::Json | BaseType::Jsonb => typed_all(&[
                "{}".into(),
                format!("{{\"n\": {n}}}"),
                "[]".into(),
                "1".into(),
            ]),
            BaseType::Bytea => {
                let hex: String = (0..32u64)
                    .map(|i| format!("{:02x}", (n.wrapping_mul(31).wrapping_add(i)) % 256))
                    .collect();
                typed_all(&[format!("\\x{hex}"), "\\x00".into()])
            }
            BaseType::Inet => typed_all(&[format!(
                "10.{}.{}.{}",
                n / 65536 % 256,
                n / 256 % 256,
                n % 256
            )]),
            BaseType::Cidr => typed_all(&[format!("10.{}.{}.0/24", n / 256 % 256, n % 256)]),
            BaseType::Enum(name) => self
                .catalog
                .enum_type(name)
                .map(|e| e.values.iter().map(|v| typed(v, &ty)).collect())
                .unwrap_or_default(),
            BaseType::Other(_) => Vec::new(),
        }
    }
}

/// Moves to the next combination of the `vary` columns' candidates (an odometer); false when
/// every combination was tried.
fn advance(position: &mut [usize], vary: &[usize], columns: &[(String, Vec<String>)]) -> bool {
    for &i in vary {
        if position[i] + 1 < columns[i].1.len() {
            position[i] += 1;
            return true;
        }
        position[i] = 0;
    }
    false
}

/// The identifiers an SQL expression mentions (columns, among others).
fn words(expr: &str) -> BTreeSet<String> {
    let mut words = BTreeSet::new();
    let mut word = String::new();
    for c in expr.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else if !word.is_empty() {
            words.insert(std::mem::take(&mut word));
        }
    }
    words
}

// ---------------------------------------------------------------------------------------------
// SQL helpers.

async fn exec(conn: &mut PgConnection, sql: &str) {
    if let Err(e) = conn.execute(sql).await {
        panic!("{sql}: {e}");
    }
}

/// Runs `sql` in a savepoint: rows affected, or the error (the transaction carries on).
async fn attempt(conn: &mut PgConnection, sql: &str) -> Result<u64, DbError> {
    exec(conn, "SAVEPOINT attempt").await;
    match conn.execute(sql).await {
        Ok(done) => {
            exec(conn, "RELEASE SAVEPOINT attempt").await;
            Ok(done.rows_affected())
        }
        Err(error) => {
            exec(conn, "ROLLBACK TO SAVEPOINT attempt").await;
            Err(DbError::from(&error))
        }
    }
}

/// `count(*)` (or any single bigint) from `sql`, or the error, in a savepoint.
async fn count(conn: &mut PgConnection, sql: &str) -> Result<i64, DbError> {
    exec(conn, "SAVEPOINT attempt").await;
    match sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&mut *conn)
        .await
    {
        Ok(n) => {
            exec(conn, "RELEASE SAVEPOINT attempt").await;
            Ok(n)
        }
        Err(error) => {
            exec(conn, "ROLLBACK TO SAVEPOINT attempt").await;
            Err(DbError::from(&error))
        }
    }
}

/// An error's SQLSTATE and message.
#[derive(Debug, Clone)]
struct DbError {
    code: String,
    message: String,
}

impl DbError {
    fn from(error: &sqlx::Error) -> DbError {
        match error.as_database_error() {
            Some(db) => DbError {
                code: db.code().map(|c| c.to_string()).unwrap_or_default(),
                message: db.message().to_string(),
            },
            None => DbError {
                code: String::new(),
                message: error.to_string(),
            },
        }
    }

    /// `new row violates row-level security policy ...` (SQLSTATE 42501).
    fn is_policy_violation(&self) -> bool {
        self.code == "42501" && self.message.contains("row-level security")
    }
}

// ---------------------------------------------------------------------------------------------
// The properties of one tenant table.

struct Probe<'p, 'c> {
    db: &'p TestDb,
    conn: &'p mut PgConnection,
    catalog: &'c Catalog,
    tenancy: &'c Tenancy,
    table: &'c Table,
    data: &'p Data,
    generator: &'p mut Generator<'c>,
    owner: &'p str,
    report: &'p mut Report,
}

impl<'c> Probe<'_, 'c> {
    fn name(&self) -> String {
        self.table.name.to_string()
    }

    fn setting(&self) -> String {
        self.tenancy
            .setting
            .clone()
            .unwrap_or_else(|| format!("app.current_{}", self.tenancy.column))
    }

    fn key(&self, tenant: usize) -> String {
        self.data.tenant_key(self.tenancy, self.catalog, tenant)
    }

    /// `account_id = '<B>'::uuid`.
    fn of_tenant(&self, tenant: usize) -> String {
        format!(
            "{} = {}",
            ident(&self.tenancy.column),
            typed(&self.key(tenant), &self.tenancy.key_type)
        )
    }

    fn privileges(&self, role: &str) -> BTreeSet<Privilege> {
        self.table
            .grants
            .iter()
            .filter(|g| g.role == role)
            .map(|g| g.privilege)
            .collect()
    }

    /// Roles the schema grants something on this table, other than the bypass role.
    fn app_roles(&self) -> Vec<String> {
        let roles: BTreeSet<String> = self
            .table
            .grants
            .iter()
            .map(|g| g.role.clone())
            .filter(|r| Some(r) != self.tenancy.bypass.as_ref() && r != "public")
            .collect();
        roles.into_iter().collect()
    }

    /// The USING of the explicit policies that also let `role` see rows for `command`, OR-ed;
    /// `false` when there are none. Rows they admit are visible across tenants by design.
    fn extra_visibility(&self, role: &str, command: PolicyCommand) -> String {
        let exprs: Vec<String> = self
            .extra_policies(role, command)
            .iter()
            .filter_map(|p| p.using.clone())
            .map(|e| format!("coalesce(({e}), false)"))
            .collect();
        if exprs.is_empty() {
            "false".into()
        } else {
            format!("({})", exprs.join(" or "))
        }
    }

    fn extra_policies(&self, role: &str, command: PolicyCommand) -> Vec<&'c Policy> {
        let bypass = self.tenancy.bypass.as_ref().map(|b| format!("{b}_bypass"));
        let table: &'c Table = self.table;
        table
            .policies
            .iter()
            .filter(|p| p.name != "tenant_isolation" && Some(&p.name) != bypass.as_ref())
            .filter(|p| p.command == command || p.command == PolicyCommand::All)
            .filter(|p| p.roles.is_empty() || p.roles.iter().any(|r| r == role || r == "public"))
            .collect()
    }

    /// `BEGIN`, the superuser statements in `prelude`, then `SET LOCAL ROLE` and the setting.
    async fn begin(&mut self, prelude: &[String], role: &str, tenant: Option<usize>) {
        exec(self.conn, "BEGIN").await;
        for statement in prelude {
            exec(self.conn, statement).await;
        }
        exec(self.conn, &format!("SET LOCAL ROLE {}", ident(role))).await;
        if let Some(tenant) = tenant {
            let sql = format!(
                "SELECT set_config({}, {}, true)",
                literal(&self.setting()),
                literal(&self.key(tenant))
            );
            exec(self.conn, &sql).await;
        }
    }

    async fn rollback(&mut self) {
        exec(self.conn, "ROLLBACK").await;
    }

    async fn run(&mut self) {
        self.shape().await;
        for role in self.app_roles() {
            self.as_role(&role, &[], "role").await;
        }
        if let Some(bypass) = self.tenancy.bypass.clone() {
            self.bypass(&bypass).await;
        }
        let owner = self.owner.to_string();
        let prelude = [format!(
            "ALTER TABLE {} OWNER TO {}",
            qualified(&self.table.name),
            ident(&owner)
        )];
        self.as_role(&owner, &prelude, "owner").await;
        self.owner_without_force(&owner, &prelude).await;
        self.same_tenant_keys().await;
    }

    /// RLS on and forced, and the two generated policies as LANGUAGE.md describes them.
    async fn shape(&mut self) {
        let table = self.name();
        let name = literal(&qualified(&self.table.name));
        let row = sqlx::query(&format!(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = {name}::regclass"
        ))
        .fetch_one(&mut *self.conn)
        .await
        .expect("pg_class row");
        let (enabled, forced): (bool, bool) = (row.get(0), row.get(1));
        self.report.check(enabled && forced, || {
            format!("{table}: RLS enabled {enabled}, forced {forced}")
        });
        let expected = format!(
            "({} = (NULLIF(current_setting({}::text, true), ''::text))::{})",
            self.tenancy.column,
            literal(&self.setting()),
            self.tenancy.key_type.sql()
        );
        let policies = sqlx::query(&format!(
            "SELECT polname::text, polcmd::text, polpermissive, \
               array(SELECT rolname::text FROM pg_roles WHERE oid = any(polroles) ORDER BY 1), \
               polroles = '{{0}}', pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) \
             FROM pg_policy WHERE polrelid = {name}::regclass"
        ))
        .fetch_all(&mut *self.conn)
        .await
        .expect("pg_policy rows");
        let find = |wanted: &str| {
            policies
                .iter()
                .find(|r| r.get::<String, _>(0) == wanted)
                .map(|r| {
                    (
                        r.get::<String, _>(1),
                        r.get::<bool, _>(2),
                        r.get::<Vec<String>, _>(3),
                        r.get::<bool, _>(4),
                        r.get::<Option<String>, _>(5),
                        r.get::<Option<String>, _>(6),
                    )
                })
        };
        let isolation = find("tenant_isolation");
        self.report.check(
            matches!(&isolation, Some((cmd, true, _, true, Some(u), Some(c)))
                if cmd == "*" && u == &expected && c == &expected),
            || format!("{table}: tenant_isolation should be FOR ALL TO PUBLIC USING and WITH CHECK {expected}, is {isolation:?}"),
        );
        if let Some(bypass) = &self.tenancy.bypass {
            let policy = find(&format!("{bypass}_bypass"));
            self.report.check(
                matches!(&policy, Some((cmd, true, roles, false, Some(u), Some(c)))
                    if cmd == "*" && roles.as_slice() == std::slice::from_ref(bypass) && u == "true" && c == "true"),
                || format!("{table}: {bypass}_bypass should be FOR ALL TO {bypass} USING (true) WITH CHECK (true), is {policy:?}"),
            );
        }
    }

    /// The tenant properties as `role`: reads, writes, no setting. `prelude` runs first in every
    /// transaction (as the superuser); `what` names the role in messages.
    async fn as_role(&mut self, role: &str, prelude: &[String], what: &str) {
        let table = self.name();
        let t = qualified(&self.table.name);
        let owner = what == "owner";
        let privileges = if owner {
            Privilege::ALL.into_iter().collect()
        } else {
            self.privileges(role)
        };
        let a_rows = self.data.rows[&self.table.name]
            .iter()
            .filter(|r| r.tenant == Some(0))
            .count() as i64;
        let b_rows = self.data.rows[&self.table.name]
            .iter()
            .filter(|r| r.tenant == Some(1))
            .count() as i64;
        let (a, b) = (self.of_tenant(0), self.of_tenant(1));
        let extra = self.extra_visibility(role, PolicyCommand::Select);
        let who = format!("{table} as {what} {role}");

        if privileges.contains(&Privilege::Select) {
            // Tenant A sees its own rows, and of B's only those an explicit policy shows.
            self.begin(prelude, role, Some(0)).await;
            let own = count(self.conn, &format!("SELECT count(*) FROM {t} WHERE {a}")).await;
            let foreign = count(
                self.conn,
                &format!("SELECT count(*) FROM {t} WHERE {b} AND NOT {extra}"),
            )
            .await;
            let others = count(
                self.conn,
                &format!(
                    "SELECT count(*) FROM {t} WHERE {} IS DISTINCT FROM {} AND NOT {extra}",
                    ident(&self.tenancy.column),
                    typed(&self.key(0), &self.tenancy.key_type)
                ),
            )
            .await;
            self.rollback().await;
            self.report.check(matches!(own, Ok(n) if n == a_rows), || {
                format!("{who}, tenant A: sees {own:?} of A's {a_rows} rows")
            });
            self.report.check(matches!(foreign, Ok(0)), || {
                format!("{who}, tenant A: sees {foreign:?} of B's rows")
            });
            self.report.check(matches!(others, Ok(0)), || {
                format!("{who}, tenant A: sees {others:?} rows of other tenants")
            });

            // No setting at all: a fresh session, where the setting was never set.
            let mut fresh = self.db.connect().await;
            exec(&mut fresh, "BEGIN").await;
            for statement in prelude {
                exec(&mut fresh, statement).await;
            }
            exec(&mut fresh, &format!("SET LOCAL ROLE {}", ident(role))).await;
            let unset = count(
                &mut fresh,
                &format!("SELECT count(*) FROM {t} WHERE NOT {extra}"),
            )
            .await;
            exec(&mut fresh, "ROLLBACK").await;
            drop(fresh);
            self.report.check(matches!(unset, Ok(0)), || {
                format!("{who}, no setting: sees {unset:?} rows")
            });

            // An empty setting (what a pooled session shows after a `SET LOCAL` ended) fails
            // closed: an error or no row, never another tenant's rows.
            self.begin(prelude, role, None).await;
            exec(
                self.conn,
                &format!("SELECT set_config({}, '', true)", literal(&self.setting())),
            )
            .await;
            let empty = count(
                self.conn,
                &format!("SELECT count(*) FROM {t} WHERE NOT {extra}"),
            )
            .await;
            self.rollback().await;
            self.report.check(matches!(empty, Ok(0) | Err(_)), || {
                format!("{who}, empty setting: sees {empty:?} rows")
            });
        }

        if privileges.contains(&Privilege::Insert) {
            if self.extra_policies(role, PolicyCommand::Insert).is_empty() {
                // The control: A's row goes in; then B's row, the same way, is refused. The
                // table is emptied first so that no key of the existing rows gets in the way.
                let mut emptied = prelude.to_vec();
                emptied.push(format!("TRUNCATE {t} CASCADE"));
                self.begin(&emptied, role, Some(0)).await;
                let own = self
                    .generator
                    .insert(self.conn, self.table, Some(0), self.data, false)
                    .await
                    .map_err(|e| DbError::from(&e));
                let foreign = self
                    .generator
                    .insert(self.conn, self.table, Some(1), self.data, false)
                    .await
                    .map_err(|e| DbError::from(&e));
                self.rollback().await;
                self.report.check(own.is_ok(), || {
                    format!("{who}, tenant A: cannot insert its own row: {own:?}")
                });
                self.report
                    .check(matches!(&foreign, Err(e) if e.is_policy_violation()), || {
                        format!("{who}, tenant A: inserting a row of B gives {foreign:?}, not a policy violation")
                    });
            } else {
                self.report.notes.push(format!(
                    "{who}: an explicit INSERT policy applies; insert isolation not checked"
                ));
            }
        }

        if privileges.contains(&Privilege::Update) && privileges.contains(&Privilege::Select) {
            if self.extra_policies(role, PolicyCommand::Update).is_empty() {
                let column = ident(&self.tenancy.column);
                self.begin(prelude, role, Some(0)).await;
                let own = attempt(
                    self.conn,
                    &format!("UPDATE {t} SET {column} = {column} WHERE {a}"),
                )
                .await;
                let foreign = attempt(
                    self.conn,
                    &format!("UPDATE {t} SET {column} = {column} WHERE {b}"),
                )
                .await;
                let moved = attempt(
                    self.conn,
                    &format!(
                        "UPDATE {t} SET {column} = {} WHERE {a}",
                        typed(&self.key(1), &self.tenancy.key_type)
                    ),
                )
                .await;
                self.rollback().await;
                self.report
                    .check(matches!(own, Ok(n) if n as i64 == a_rows), || {
                        format!(
                            "{who}, tenant A: updating its own rows affected {own:?}, not {a_rows}"
                        )
                    });
                self.report.check(matches!(foreign, Ok(0)), || {
                    format!("{who}, tenant A: updating B's rows affected {foreign:?}")
                });
                self.report
                    .check(matches!(&moved, Err(e) if e.is_policy_violation()), || {
                        format!("{who}, tenant A: moving its row to B gives {moved:?}, not a policy violation")
                    });
            } else {
                self.report.notes.push(format!(
                    "{who}: an explicit UPDATE policy applies; update isolation not checked"
                ));
            }
        }

        if privileges.contains(&Privilege::Delete) && privileges.contains(&Privilege::Select) {
            if self.extra_policies(role, PolicyCommand::Delete).is_empty() {
                self.begin(prelude, role, Some(0)).await;
                let foreign = attempt(self.conn, &format!("DELETE FROM {t} WHERE {b}")).await;
                exec(self.conn, "RESET ROLE").await;
                let left = count(self.conn, &format!("SELECT count(*) FROM {t} WHERE {b}")).await;
                self.rollback().await;
                self.report.check(matches!(foreign, Ok(0)), || {
                    format!("{who}, tenant A: deleting B's rows affected {foreign:?}")
                });
                self.report.check(matches!(left, Ok(n) if n == b_rows), || {
                    format!("{who}, tenant A: B's rows after a delete: {left:?}, not {b_rows}")
                });
            } else {
                self.report.notes.push(format!(
                    "{who}: an explicit DELETE policy applies; delete isolation not checked"
                ));
            }
        }
    }

    /// The bypass role sees every tenant's rows, with or without a setting, and may write B's
    /// rows while the setting names A.
    async fn bypass(&mut self, role: &str) {
        let t = qualified(&self.table.name);
        let who = format!("{} as bypass role {role}", self.name());
        let total = self.data.count(&self.table.name) as i64;
        let privileges = self.privileges(role);
        // Without a SELECT grant the policy cannot be observed: grant it for the check only.
        let prelude: Vec<String> = if privileges.contains(&Privilege::Select) {
            Vec::new()
        } else {
            self.report.notes.push(format!(
                "{who}: not granted SELECT; granted in the check's transaction"
            ));
            vec![format!("GRANT SELECT ON {t} TO {}", ident(role))]
        };
        for tenant in [None, Some(0)] {
            self.begin(&prelude, role, tenant).await;
            let seen = count(self.conn, &format!("SELECT count(*) FROM {t}")).await;
            self.rollback().await;
            self.report.check(matches!(seen, Ok(n) if n == total), || {
                format!("{who}, setting {tenant:?}: sees {seen:?} of {total} rows")
            });
        }
        if privileges.contains(&Privilege::Insert) {
            let mut emptied = prelude.clone();
            emptied.push(format!("TRUNCATE {t} CASCADE"));
            self.begin(&emptied, role, Some(0)).await;
            let foreign = self
                .generator
                .insert(self.conn, self.table, Some(1), self.data, false)
                .await
                .map_err(|e| DbError::from(&e));
            self.rollback().await;
            self.report.check(foreign.is_ok(), || {
                format!("{who}, setting A: cannot insert a row of B: {foreign:?}")
            });
        }
    }

    /// The control for FORCE: without it the owner sees B's rows, so the owner checks above
    /// would have failed had FORCE been missing.
    async fn owner_without_force(&mut self, owner: &str, prelude: &[String]) {
        let t = qualified(&self.table.name);
        let b = self.of_tenant(1);
        let mut prelude = prelude.to_vec();
        prelude.push(format!("ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY"));
        self.begin(&prelude, owner, Some(0)).await;
        let seen = count(self.conn, &format!("SELECT count(*) FROM {t} WHERE {b}")).await;
        self.rollback().await;
        let table = self.name();
        self.report.check(matches!(seen, Ok(n) if n > 0), || {
            format!("{table}: control failed: without FORCE the owner should see B's rows, saw {seen:?}")
        });
    }

    /// A row of A cannot point at a parent row of B through a same-tenant key, as a superuser
    /// (for whom RLS does not apply, like the foreign key check itself). The table is emptied
    /// first, so that only the foreign key can refuse the row; a row pointing at A's own parent
    /// is the control.
    async fn same_tenant_keys(&mut self) {
        let t = qualified(&self.table.name);
        let table = self.name();
        let this: &'c Table = self.table;
        for fk in &this.foreign_keys {
            let parent_is_tenant = self
                .catalog
                .table(&fk.referenced_table)
                .is_some_and(|p| p.kind == TableKind::Tenant);
            if !parent_is_tenant {
                continue;
            }
            self.report.check(
                fk.columns.first() == Some(&self.tenancy.column)
                    && fk.referenced_columns.first() == Some(&self.tenancy.column),
                || {
                    format!(
                        "{table}: foreign key {} is not a same-tenant key: {:?}",
                        fk.name, fk.columns
                    )
                },
            );
            let pointing_at = |tenant: usize| -> Option<BTreeMap<String, String>> {
                let parent = self.data.row(&fk.referenced_table, Some(tenant))?;
                let mut given = BTreeMap::new();
                for (column, referenced) in fk.columns.iter().zip(&fk.referenced_columns) {
                    if column == &self.tenancy.column {
                        continue;
                    }
                    let ty = &this.column(column)?.ty;
                    let value = typed(&text_of(&parent.values[referenced.as_str()]), ty);
                    given.insert(column.clone(), value);
                }
                Some(given)
            };
            let (Some(own), Some(foreign)) = (pointing_at(0), pointing_at(1)) else {
                continue;
            };
            exec(self.conn, "BEGIN").await;
            if fk.referenced_table != this.name {
                exec(self.conn, &format!("TRUNCATE {t} CASCADE")).await;
            }
            exec(self.conn, "SAVEPOINT control").await;
            let control = self
                .generator
                .insert_with(self.conn, this, Some(0), self.data, false, &own)
                .await
                .map_err(|e| DbError::from(&e));
            exec(self.conn, "ROLLBACK TO SAVEPOINT control").await;
            let crossed = self
                .generator
                .insert_with(self.conn, this, Some(0), self.data, false, &foreign)
                .await
                .map_err(|e| DbError::from(&e));
            self.rollback().await;
            self.report.check(control.is_ok(), || {
                format!("{table}: control failed: a row of A pointing at A's parent through {} gave {control:?}", fk.name)
            });
            self.report.check(matches!(&crossed, Err(e) if e.code == "23503"), || {
                format!("{table}: a row of A pointing at B's parent through {} gave {crossed:?}, not a foreign key violation", fk.name)
            });
        }
    }
}

/// A global table: no RLS, and every role granted SELECT reads every row under any tenant.
async fn global_table(
    conn: &mut PgConnection,
    catalog: &Catalog,
    tenancy: &Tenancy,
    table: &Table,
    data: &Data,
    report: &mut Report,
) {
    let t = qualified(&table.name);
    let name = table.name.to_string();
    let enabled: bool = sqlx::query_scalar(&format!(
        "SELECT relrowsecurity FROM pg_class WHERE oid = {}::regclass",
        literal(&t)
    ))
    .fetch_one(&mut *conn)
    .await
    .expect("pg_class row");
    report.check(!enabled, || {
        format!("{name}: a global table has RLS enabled")
    });
    let total = data.count(&table.name) as i64;
    let readers: BTreeSet<&String> = table
        .grants
        .iter()
        .filter(|g| g.privilege == Privilege::Select && g.role != "public")
        .map(|g| &g.role)
        .collect();
    let setting = tenancy
        .setting
        .clone()
        .unwrap_or_else(|| format!("app.current_{}", tenancy.column));
    for role in readers {
        for tenant in 0..2 {
            exec(conn, "BEGIN").await;
            exec(conn, &format!("SET LOCAL ROLE {}", ident(role))).await;
            let key = data.tenant_key(tenancy, catalog, tenant);
            exec(
                conn,
                &format!(
                    "SELECT set_config({}, {}, true)",
                    literal(&setting),
                    literal(&key)
                ),
            )
            .await;
            let seen = count(conn, &format!("SELECT count(*) FROM {t}")).await;
            exec(conn, "ROLLBACK").await;
            report.check(matches!(seen, Ok(n) if n == total), || {
                format!("{name} as {role}, tenant {tenant}: sees {seen:?} of {total} rows")
            });
        }
    }
}

//! Synthetic rows for two tenants, A and B, in every table: parents before children, NOT NULL
//! columns filled with values of their type (enum values from the catalog), foreign keys pointing at
//! the same tenant's parent rows. They are inserted inside the proof's transaction, which is rolled
//! back, so the database keeps only its own rows.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sqlx::{PgConnection, Row};

use crate::catalog::{
    BaseType, Catalog, ForeignKey, QualifiedName, SqlType, Table, TableKind, Tenancy,
};
use crate::sql::{ident, literal, qualified};

use super::db::exec;

/// Tries per row before the generator gives up satisfying the table's checks.
const MAX_ATTEMPTS: usize = 400;

/// One inserted row: its tenant (0 = A, 1 = B; `None` outside tenant tables and the root) and
/// its values as `row_to_json` gave them.
#[derive(Debug, Clone)]
pub struct GeneratedRow {
    pub tenant: Option<usize>,
    pub values: serde_json::Map<String, Value>,
}

/// Every generated row, by table.
#[derive(Debug, Default)]
pub struct Data {
    pub rows: BTreeMap<QualifiedName, Vec<GeneratedRow>>,
    /// Whether A and B are the database's own first two tenants (else synthetic ones).
    pub real: bool,
}

impl Data {
    /// The tenant key of A (0) or B (1): the root row's primary key, as text.
    pub fn tenant_key(
        &self,
        tenancy: &Tenancy,
        catalog: &Catalog,
        tenant: usize,
    ) -> Option<String> {
        let root = catalog.table(&tenancy.root)?;
        let pk = root.primary_key.as_ref()?.columns.first()?;
        let row = self
            .rows
            .get(&tenancy.root)
            .and_then(|rows| rows.iter().find(|r| r.tenant == Some(tenant)))?;
        Some(text_of(row.values.get(pk.as_str())?))
    }

    pub fn row(&self, table: &QualifiedName, tenant: Option<usize>) -> Option<&GeneratedRow> {
        let rows = self.rows.get(table)?;
        rows.iter()
            .find(|r| r.tenant == tenant)
            .or_else(|| rows.first())
    }

    pub fn count(&self, table: &QualifiedName) -> usize {
        self.rows.get(table).map_or(0, Vec::len)
    }
}

/// A JSON value as PostgreSQL text input.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `'text'::type`.
pub fn typed(text: &str, ty: &SqlType) -> String {
    format!("{}::{}", literal(text), ty.sql())
}

/// Inserts rows type by type, retrying values a check rejected.
pub struct Generator<'a> {
    catalog: &'a Catalog,
    tenancy: &'a Tenancy,
    /// Makes every generated value distinct, for unique keys.
    counter: u64,
}

impl<'a> Generator<'a> {
    pub fn new(catalog: &'a Catalog, tenancy: &'a Tenancy) -> Generator<'a> {
        Generator {
            catalog,
            tenancy,
            counter: 0,
        }
    }

    /// Rows for two tenants in every table, inside the caller's transaction.
    ///
    /// Where the root already has two rows, they are tenants A and B, and a table's existing row
    /// of A (of B, or any row of a table without a tenant) is used instead of a synthetic one;
    /// rows are generated only where the real data has none.
    pub async fn fill(&mut self, conn: &mut PgConnection) -> Result<Data, String> {
        let mut data = Data::default();
        let root_key = self
            .catalog
            .table(&self.tenancy.root)
            .and_then(|r| r.primary_key.as_ref())
            .and_then(|pk| pk.columns.first())
            .cloned()
            .ok_or_else(|| format!("the tenant root {} has no primary key", self.tenancy.root))?;
        let real: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT {k}::text FROM {} ORDER BY {k} LIMIT 2",
            qualified(&self.tenancy.root),
            k = ident(&root_key)
        ))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| e.to_string())?;
        data.real = real.len() == 2;
        for name in self.order()? {
            let Some(table) = self.catalog.table(&name) else {
                continue;
            };
            let tenants: Vec<Option<usize>> =
                if table.kind == TableKind::Tenant || table.name == self.tenancy.root {
                    vec![Some(0), Some(1)]
                } else {
                    vec![None]
                };
            for tenant in tenants {
                if data.real {
                    let condition = match tenant {
                        Some(t) if table.name == self.tenancy.root => {
                            format!("r.{}::text = {}", ident(&root_key), literal(&real[t]))
                        }
                        Some(t) => format!(
                            "r.{}::text = {}",
                            ident(&self.tenancy.column),
                            literal(&real[t])
                        ),
                        None => "true".to_string(),
                    };
                    let existing: Option<String> = sqlx::query_scalar(&format!(
                        "SELECT row_to_json(r.*)::text FROM {} AS r WHERE {condition} LIMIT 1",
                        qualified(&table.name)
                    ))
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(|e| e.to_string())?;
                    if let Some(Ok(Value::Object(values))) =
                        existing.map(|json| serde_json::from_str::<Value>(&json))
                    {
                        data.rows
                            .entry(table.name.clone())
                            .or_default()
                            .push(GeneratedRow { tenant, values });
                        continue;
                    }
                }
                let row = self
                    .insert(conn, table, tenant, &data, true)
                    .await
                    .map_err(|e| format!("cannot generate a row of {}: {e}", table.name))?
                    .ok_or_else(|| format!("{}: INSERT ... RETURNING gave no row", table.name))?;
                data.rows.entry(table.name.clone()).or_default().push(row);
            }
        }
        Ok(data)
    }

    /// Tables with parents first. A nullable foreign key is followed when it can be, and left
    /// NULL when its parent comes later (a cycle, or a table referencing itself).
    fn order(&self) -> Result<Vec<QualifiedName>, String> {
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
            let next = ready(true).or_else(|| ready(false)).ok_or_else(|| {
                "NOT NULL foreign keys form a cycle: cannot order the tables".to_string()
            })?;
            done.insert(next.name.clone());
            order.push(next.name.clone());
        }
        Ok(order)
    }

    /// Whether a row cannot be inserted without the foreign key's parent.
    fn required(&self, table: &Table, fk: &ForeignKey) -> bool {
        fk.columns
            .iter()
            .any(|c| c != &self.tenancy.column && table.column(c).is_some_and(|col| !col.nullable))
    }

    /// Inserts one row of `table` for `tenant`, varying the values a failing check names.
    /// `Ok(None)` without `returning`; an error other than a check or unique violation at once.
    pub async fn insert(
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
    pub async fn insert_with(
        &mut self,
        conn: &mut PgConnection,
        table: &Table,
        tenant: Option<usize>,
        data: &Data,
        returning: bool,
        given: &BTreeMap<String, String>,
    ) -> Result<Option<GeneratedRow>, sqlx::Error> {
        let mut columns = self
            .columns(table, tenant, data)
            .map_err(sqlx::Error::Protocol)?;
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
            exec(conn, "SAVEPOINT generate").await?;
            match sqlx::query(&sql).fetch_optional(&mut *conn).await {
                Ok(row) => {
                    exec(conn, "RELEASE SAVEPOINT generate").await?;
                    let Some(row) = row else { return Ok(None) };
                    let json: String = row.try_get(0)?;
                    let values = match serde_json::from_str(&json) {
                        Ok(Value::Object(map)) => map,
                        other => {
                            return Err(sqlx::Error::Protocol(format!(
                                "row_to_json gave {other:?}"
                            )))
                        }
                    };
                    return Ok(Some(GeneratedRow { tenant, values }));
                }
                Err(error) => {
                    exec(conn, "ROLLBACK TO SAVEPOINT generate").await?;
                    exec(conn, "RELEASE SAVEPOINT generate").await?;
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
    ) -> Result<Vec<(String, Vec<String>)>, String> {
        let mut fixed: BTreeMap<String, String> = BTreeMap::new();
        let tenant_table = table.kind == TableKind::Tenant;
        if let (true, Some(t)) = (tenant_table, tenant) {
            let key = data
                .tenant_key(self.tenancy, self.catalog, t)
                .ok_or_else(|| "no root row for the tenant".to_string())?;
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
                let Some(value) = parent.values.get(referenced.as_str()) else {
                    continue;
                };
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
                return Err(format!(
                    "{}.{}: NOT NULL, no default, and no value to write (a foreign key whose \
                     parent has no row, or a type the generator does not know)",
                    table.name, column.name
                ));
            }
            columns.push((column.name.clone(), candidates));
        }
        Ok(columns)
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

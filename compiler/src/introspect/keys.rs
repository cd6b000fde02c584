//! The constraint and index queries, and their rows decoded as soon as they are in, on a thread of
//! their own, with their column lists kept as attribute numbers: the checks, operator classes and
//! indexes on the helper session ([`Keys::fetch`]), the other constraints on the main one
//! ([`Keys::fetch_key_constraints`]), while the columns are still being read. Once they are,
//! [`Keys::add_to`] names those numbers and puts each constraint and index in its table.

use std::collections::{BTreeMap, HashMap};

use foldhash::fast::FixedState;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;

use super::fields::{fields, value};
use super::gate::DecodeGate;
use super::queries::{fetch_on, get};
use super::IntrospectError;
use crate::catalog::{
    Catalog, CheckConstraint, FkAction, ForeignKey, Index, IndexKey, IndexOptions, KeyOptions,
    PrimaryKey, QualifiedName, UniqueConstraint,
};

// Column lists come as attribute numbers (`conkey`, in the constraint's key order) and are named
// from the columns query's rows when read: a name looked up per key on the server, three subqueries
// per constraint over 9,000 constraints on 2,000 tables, was half of this query's time. A foreign
// key to a table outside the schemas read has its referenced columns named here instead. Rows come
// unordered and are put in name order when read (the server sorted 9,000 wide rows in ~30 ms).
// Check expressions are printed with pretty-printing on, which drops the redundant outer
// parentheses; canonicalisation reads them with this same query, so both sides print alike.
// Two queries of the same text: printing a check opens its table (a relation cache entry of the
// session, ~25 µs cold), so checks are read with the indexes, whose expressions open the same
// tables; primary keys, unique constraints and foreign keys print nothing and are read on the other
// session (on 2,000 tables the two sessions' shares were 88 and 135 ms with all four together).
macro_rules! constraints {
    ($kinds:literal) => {
        concat!(
            r#"
select con.conrelid::int8 as table_oid, con.conname::text as name, con.contype::text as kind,
  con.conkey as column_numbers,
  con.confrelid::int8 as referenced_oid,
  fn.nspname::text as referenced_schema, fc.relname::text as referenced_table,
  con.confkey as referenced_numbers,
  case when con.contype = 'f' and not fn.nspname = any($1) then
    array(select (select a.attname::text from pg_catalog.pg_attribute a
                  where a.attrelid = con.confrelid and a.attnum = k.num)
          from unnest(con.confkey) k(num)) end as referenced_columns,
  con.confdeltype::text as on_delete, con.confupdtype::text as on_update,
  con.confdelsetcols as on_delete_numbers,
  case when con.contype = 'c' then pg_catalog.pg_get_expr(con.conbin, con.conrelid, true) end
    as check_expr,
  con.convalidated as validated,
  coalesce((select ix.indnullsnotdistinct from pg_catalog.pg_index ix
            where ix.indexrelid = con.conindid and con.contype = 'u'), false) as nulls_not_distinct
from pg_catalog.pg_constraint con
join pg_catalog.pg_class c on c.oid = con.conrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
left join pg_catalog.pg_class fc on fc.oid = con.confrelid
left join pg_catalog.pg_namespace fn on fn.oid = fc.relnamespace
where con.contype in ("#,
            $kinds,
            r#") and n.nspname = any($1)
"#
        )
    };
}

/// Primary keys, unique constraints and foreign keys.
const KEY_CONSTRAINTS: &str = constraints!("'p', 'u', 'f'");
/// Check constraints.
const CHECKS: &str = constraints!("'c'");

// Indexes that back a primary key, unique or exclusion constraint belong to the constraint.
// `indkey` holds the key columns' attribute numbers, then the `INCLUDE` columns' (past
// `indnkeyatts`), named from the columns query's rows when read, as the constraints' are (a name
// looked up per key here was half of this query's time); 0 is an expression key, which
// `pg_get_indexdef(oid, k, true)` prints alone (asked only for expression keys: each call rebuilds
// the index's whole description, ~15 µs). Key options come from `indoption` (bit 1 DESC, bit 2
// NULLS FIRST) and `indclass` (an operator class that is not its type's default: `OPCLASSES`); a
// key's collation only where it is not its column's, looked up only for indexes with a collatable
// key. `[:]` renumbers an `int2vector`/`oidvector` from 1, as array decoding expects. Rows come
// unordered, like the constraints'.
const INDEXES: &str = r#"
select i.indrelid::int8 as table_oid, ic.relname::text as name, i.indisunique as is_unique,
  i.indisvalid as is_valid,
  am.amname::text as method,
  i.indnkeyatts::int4 as key_count,
  (i.indkey::int2[])[:] as column_numbers,
  case when i.indexprs is not null then
    array(select case when i.indkey[k] = 0
                      then pg_catalog.pg_get_indexdef(i.indexrelid, k + 1, true) end
          from generate_series(0, i.indnkeyatts::int - 1) k order by k) end as key_defs,
  (i.indoption::int2[])[:] as key_flags,
  (i.indclass::oid[]::int8[])[:] as key_opclasses,
  case when exists (select 1 from unnest(i.indcollation) co(oid) where co.oid <> 0) then
    array(select (select pg_catalog.quote_ident(co.collname)
                  from pg_catalog.pg_attribute a
                  join pg_catalog.pg_collation co on co.oid = i.indcollation[k]
                  where a.attrelid = i.indrelid and a.attnum = i.indkey[k] and i.indkey[k] <> 0
                    and i.indcollation[k] <> a.attcollation)
          from generate_series(0, i.indnkeyatts::int - 1) k order by k) end as key_collations,
  i.indnullsnotdistinct as nulls_not_distinct,
  pg_catalog.pg_get_expr(i.indpred, i.indrelid, true) as predicate
from pg_catalog.pg_index i
join pg_catalog.pg_class ic on ic.oid = i.indexrelid
join pg_catalog.pg_class c on c.oid = i.indrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_am am on am.oid = ic.relam
where n.nspname = any($1)
  and not exists (
    select 1 from pg_catalog.pg_constraint con
    where con.conindid = i.indexrelid and con.contype in ('p', 'u', 'x'))
"#;

// The operator classes an index key names when it is not its type's default, as
// `pg_get_indexdef` prints them (qualified unless in pg_catalog or public), by oid: a lookup per
// key inside the index query scanned `pg_opclass` each time (~90 ms on 2,000 tables).
const OPCLASSES: &str = r#"
select oc.oid::int8 as oid,
  case when ocn.nspname in ('pg_catalog', 'public') then oc.opcname::text
       else ocn.nspname::text || '.' || oc.opcname::text end as name
from pg_catalog.pg_opclass oc
join pg_catalog.pg_namespace ocn on ocn.oid = oc.opcnamespace
where not oc.opcdefault
"#;

/// The constraints and indexes of the schemas read, column lists still as numbers.
pub(super) struct Keys {
    constraints: Vec<NumberedConstraint>,
    indexes: Vec<NumberedIndex>,
}

/// A constraint whose column lists (empty in `constraint`) are still attribute numbers.
struct NumberedConstraint {
    /// The oid of its table.
    relation: i64,
    validated: bool,
    constraint: Constraint,
    columns: Vec<i16>,
    /// A foreign key's referenced table and columns, when that table is one of those read (else
    /// the server named them).
    referenced: Option<(i64, Vec<i16>)>,
    /// A foreign key's `ON DELETE SET NULL (columns)`.
    on_delete_columns: Vec<i16>,
}

enum Constraint {
    Primary(PrimaryKey),
    Unique(UniqueConstraint),
    Foreign(ForeignKey),
    Check(CheckConstraint),
}

/// An index whose column keys and `INCLUDE` list are still attribute numbers: its column keys
/// hold empty names until then.
struct NumberedIndex {
    /// The oid of its table or materialized view.
    relation: i64,
    valid: bool,
    index: Index,
    /// Each key's attribute number, 0 for an expression key.
    keys: Vec<i16>,
    include: Vec<i16>,
}

/// The rows of [`Keys::fetch`], being decoded.
pub(super) struct Decoding(tokio::task::JoinHandle<Result<Keys, IntrospectError>>);

impl Decoding {
    /// `decode` run on a thread of its own once `gate` is open, while the session goes on.
    fn after(
        mut gate: DecodeGate,
        decode: impl FnOnce() -> Result<Keys, IntrospectError> + Send + 'static,
    ) -> Decoding {
        Decoding(tokio::spawn(async move {
            gate.passed().await;
            joined(tokio::task::spawn_blocking(decode).await)
        }))
    }

    pub(super) async fn keys(self) -> Result<Keys, IntrospectError> {
        joined(self.0.await)
    }
}

/// What a task returned. Decoding does not panic; if it ever did, the panic is the one to report.
fn joined<T>(result: Result<T, tokio::task::JoinError>) -> T {
    result.unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()))
}

impl Keys {
    /// The queries of [`Keys::fetch`]; [`Keys::fetch_key_constraints`]'s is counted with the
    /// main session's.
    pub(super) const QUERIES: usize = 3;

    /// Runs the check, operator class and index queries on `conn` and starts decoding their
    /// rows on a thread of its own, so that the session can go on with other queries, and a
    /// session reading at the same time on this runtime goes on being read, meanwhile.
    pub(super) async fn fetch(
        conn: &mut PgConnection,
        schemas: &[String],
        gate: DecodeGate,
    ) -> Result<Decoding, IntrospectError> {
        let s = Some(schemas);
        let checks = fetch_on(conn, "constraints", CHECKS, s).await?;
        let opclasses = fetch_on(conn, "operator classes", OPCLASSES, None).await?;
        let indexes = fetch_on(conn, "indexes", INDEXES, s).await?;
        Ok(Decoding::after(gate, move || {
            Keys::decode(checks, opclasses, indexes)
        }))
    }

    /// Runs the query of primary keys, unique constraints and foreign keys on `conn` (the other
    /// session's share) and starts decoding its rows, as [`Keys::fetch`] does.
    pub(super) async fn fetch_key_constraints(
        conn: &mut PgConnection,
        schemas: &[String],
        gate: DecodeGate,
    ) -> Result<Decoding, IntrospectError> {
        let rows = fetch_on(conn, "constraints", KEY_CONSTRAINTS, Some(schemas)).await?;
        Ok(Decoding::after(gate, move || {
            Keys::decode(rows, Vec::new(), Vec::new())
        }))
    }

    /// `other`'s constraints and indexes added to these.
    pub(super) fn merge(&mut self, other: Keys) {
        self.constraints.extend(other.constraints);
        self.indexes.extend(other.indexes);
    }

    /// Each row is freed once decoded: the rows and what they decode to, both whole, were ~6 MB
    /// of `plan`'s peak, reached while the other thread compiles the schema.
    fn decode(
        constraints: Vec<PgRow>,
        opclasses: Vec<PgRow>,
        indexes: Vec<PgRow>,
    ) -> Result<Keys, IntrospectError> {
        let mut keys = Keys {
            constraints: Vec::with_capacity(constraints.len()),
            indexes: Vec::with_capacity(indexes.len()),
        };
        if let Some(fields) = constraints.first().map(ConstraintFields::of).transpose()? {
            for row in constraints {
                keys.constraints.extend(constraint(&row, &fields)?);
            }
        }
        let mut names: BTreeMap<i64, String> = BTreeMap::new();
        for row in opclasses {
            names.insert(
                get(&row, "operator classes", "oid")?,
                get(&row, "operator classes", "name")?,
            );
        }
        if let Some(fields) = indexes.first().map(IndexFields::of).transpose()? {
            for row in indexes {
                keys.indexes.push(index(&row, &fields, &names)?);
            }
        }
        Ok(keys)
    }

    /// Names every column number and puts each constraint and index in its table (`tables`: oid →
    /// position in `catalog.tables`), a materialized view's indexes in the view (`views`), each
    /// list in name order. Those of relations not read are left out.
    pub(super) fn add_to(
        self,
        catalog: &mut Catalog,
        tables: &BTreeMap<i64, usize>,
        views: &BTreeMap<i64, usize>,
        names: &ColumnNames,
    ) -> Result<(), IntrospectError> {
        for numbered in self.constraints {
            let Some(table) = tables
                .get(&numbered.relation)
                .and_then(|&at| catalog.tables.get_mut(at))
            else {
                continue;
            };
            if !numbered.validated {
                table
                    .not_valid
                    .insert(numbered.constraint.name().to_string());
            }
            match numbered.named(names)? {
                Constraint::Primary(key) => table.primary_key = Some(key),
                Constraint::Unique(unique) => table.uniques.push(unique),
                Constraint::Foreign(fk) => table.foreign_keys.push(fk),
                Constraint::Check(check) => table.checks.push(check),
            }
        }
        for numbered in self.indexes {
            let relation = numbered.relation;
            if let Some(&at) = tables.get(&relation) {
                let valid = numbered.valid;
                let index = numbered.named(names)?;
                let table = &mut catalog.tables[at];
                // An INVALID index (a concurrent build that failed or was killed) is rebuilt by
                // the plan.
                if !valid {
                    table.not_valid.insert(index.name.clone());
                }
                table.indexes.push(index);
            } else if let Some(&at) = views.get(&relation) {
                let index = numbered.named(names)?;
                catalog.views[at].indexes.push(index);
            }
        }
        // Each list in name order, bytewise (as `collate "C"` orders them): sorted table by table,
        // the lists are short; the rows come unordered.
        for table in catalog.tables.iter_mut() {
            table.uniques.sort_by(|a, b| a.name.cmp(&b.name));
            table.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
            table.checks.sort_by(|a, b| a.name.cmp(&b.name));
            table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        }
        for view in &mut catalog.views {
            view.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(())
    }
}

impl Constraint {
    fn name(&self) -> &str {
        match self {
            Constraint::Primary(key) => &key.name,
            Constraint::Unique(unique) => &unique.name,
            Constraint::Foreign(fk) => &fk.name,
            Constraint::Check(check) => &check.name,
        }
    }
}

impl NumberedConstraint {
    fn named(self, names: &ColumnNames) -> Result<Constraint, IntrospectError> {
        const WHAT: &str = "constraints";
        let columns = names.of(WHAT, self.relation, &self.columns)?;
        Ok(match self.constraint {
            Constraint::Primary(key) => Constraint::Primary(PrimaryKey { columns, ..key }),
            Constraint::Unique(unique) => {
                Constraint::Unique(UniqueConstraint { columns, ..unique })
            }
            Constraint::Foreign(fk) => Constraint::Foreign(ForeignKey {
                columns,
                referenced_columns: match &self.referenced {
                    Some((table, numbers)) => names.of(WHAT, *table, numbers)?,
                    None => fk.referenced_columns,
                },
                on_delete_columns: names.of(WHAT, self.relation, &self.on_delete_columns)?,
                ..fk
            }),
            check @ Constraint::Check(_) => check,
        })
    }
}

impl NumberedIndex {
    fn named(self, names: &ColumnNames) -> Result<Index, IntrospectError> {
        const WHAT: &str = "indexes";
        let mut index = self.index;
        for (key, &number) in index.keys.iter_mut().zip(&self.keys) {
            if number != 0 {
                *key = IndexKey::Column(names.one(WHAT, self.relation, number)?);
            }
        }
        index.options.include = names.of(WHAT, self.relation, &self.include)?;
        Ok(index)
    }
}

fields!(ConstraintFields, "constraints", {
    table_oid, name, kind, column_numbers, referenced_oid, referenced_schema, referenced_table,
    referenced_numbers, referenced_columns, on_delete, on_update, on_delete_numbers, check_expr,
    validated, nulls_not_distinct,
});

fields!(IndexFields, "indexes", {
    table_oid, name, is_unique, is_valid, method, key_count, column_numbers, key_defs, key_flags,
    key_opclasses, key_collations, nulls_not_distinct, predicate,
});

fn constraint(
    row: &PgRow,
    f: &ConstraintFields,
) -> Result<Option<NumberedConstraint>, IntrospectError> {
    const WHAT: &str = "constraints";
    let name: String = value(row, WHAT, f.name)?;
    let numbers = |column: usize| -> Result<Vec<i16>, IntrospectError> {
        Ok(value::<Option<Vec<i16>>>(row, WHAT, column)?.unwrap_or_default())
    };
    let mut referenced = None;
    let constraint = match value::<String>(row, WHAT, f.kind)?.as_str() {
        "p" => Constraint::Primary(PrimaryKey {
            name,
            columns: Vec::new(),
            origin: None,
        }),
        "u" => Constraint::Unique(UniqueConstraint {
            name,
            columns: Vec::new(),
            nulls_not_distinct: value(row, WHAT, f.nulls_not_distinct)?,
            origin: None,
        }),
        "f" => {
            let named: Option<Vec<String>> = value(row, WHAT, f.referenced_columns)?;
            if named.is_none() {
                referenced = Some((
                    value(row, WHAT, f.referenced_oid)?,
                    numbers(f.referenced_numbers)?,
                ));
            }
            Constraint::Foreign(ForeignKey {
                name,
                columns: Vec::new(),
                referenced_table: QualifiedName::new(
                    value::<Option<String>>(row, WHAT, f.referenced_schema)?.unwrap_or_default(),
                    value::<Option<String>>(row, WHAT, f.referenced_table)?.unwrap_or_default(),
                ),
                // A table outside the schemas read: named by the server.
                referenced_columns: named.unwrap_or_default(),
                on_delete: fk_action(&value::<String>(row, WHAT, f.on_delete)?),
                on_delete_columns: Vec::new(),
                on_update: fk_action(&value::<String>(row, WHAT, f.on_update)?),
                origin: None,
            })
        }
        "c" => Constraint::Check(CheckConstraint {
            name,
            expr: value::<Option<String>>(row, WHAT, f.check_expr)?.unwrap_or_default(),
            origin: None,
        }),
        // The query asks for no other kind.
        _ => return Ok(None),
    };
    Ok(Some(NumberedConstraint {
        relation: value(row, WHAT, f.table_oid)?,
        validated: value(row, WHAT, f.validated)?,
        constraint,
        columns: numbers(f.column_numbers)?,
        referenced,
        on_delete_columns: numbers(f.on_delete_numbers)?,
    }))
}

fn index(
    row: &PgRow,
    f: &IndexFields,
    opclasses: &BTreeMap<i64, String>,
) -> Result<NumberedIndex, IntrospectError> {
    const WHAT: &str = "indexes";
    let mut numbers: Vec<i16> = value(row, WHAT, f.column_numbers)?;
    let key_count = usize::try_from(value::<i32>(row, WHAT, f.key_count)?)
        .unwrap_or_default()
        .min(numbers.len());
    let include = numbers.split_off(key_count);
    let mut definitions = value::<Option<Vec<Option<String>>>>(row, WHAT, f.key_defs)?
        .unwrap_or_default()
        .into_iter();
    let keys = numbers
        .iter()
        .map(|&number| {
            let definition = definitions.next().flatten();
            match number {
                0 => {
                    IndexKey::Expr(strip_outer_parens(&definition.unwrap_or_default()).to_string())
                }
                // Named by `NumberedIndex::named`.
                _ => IndexKey::Column(String::new()),
            }
        })
        .collect();
    let flags: Vec<i16> = value(row, WHAT, f.key_flags)?;
    let key_opclasses: Vec<i64> = value(row, WHAT, f.key_opclasses)?;
    let opclasses = key_opclasses.iter().map(|oid| opclasses.get(oid).cloned());
    // None for an index with no collatable key: no key has a collation of its own.
    let collations = value::<Option<Vec<Option<String>>>>(row, WHAT, f.key_collations)?
        .unwrap_or_default()
        .into_iter()
        .chain(std::iter::repeat(None));
    let key_options = flags
        .iter()
        .zip(opclasses)
        .zip(collations)
        .map(|((flags, opclass), collation)| KeyOptions {
            collation,
            opclass: opclass.filter(|o| !o.is_empty()),
            descending: flags & 1 != 0,
            nulls_first: flags & 2 != 0,
        })
        .collect();
    Ok(NumberedIndex {
        relation: value(row, WHAT, f.table_oid)?,
        valid: value(row, WHAT, f.is_valid)?,
        index: Index {
            name: value(row, WHAT, f.name)?,
            unique: value(row, WHAT, f.is_unique)?,
            method: value(row, WHAT, f.method)?,
            keys,
            predicate: value(row, WHAT, f.predicate)?,
            options: IndexOptions::new(
                key_options,
                Vec::new(),
                value(row, WHAT, f.nulls_not_distinct)?,
            ),
            origin: None,
        },
        keys: numbers,
        include,
    })
}

fn fk_action(code: &str) -> FkAction {
    // pg_constraint.confdeltype / confupdtype.
    // https://www.postgresql.org/docs/current/catalog-pg-constraint.html
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

/// `(a + b)` → `a + b`: `pg_get_indexdef` parenthesises an expression key unless it is a function
/// call; the catalog keeps the bare expression and `sql::ddl::create_index` adds the parentheses.
fn strip_outer_parens(text: &str) -> &str {
    // Only when the first parenthesis closes at the very end: `(a) + (b)` keeps its parentheses.
    crate::vocab::sql_text::unparen(text).map_or_else(|| text.trim(), str::trim)
}

/// Column names by relation oid and attribute number, from the columns query's rows, for the
/// constraint and index queries, which send numbers.
#[derive(Default)]
pub(super) struct ColumnNames(ByColumn<String>);

impl ColumnNames {
    pub(super) fn add(&mut self, relation: i64, number: i32, name: String) {
        self.0.insert((relation, number), name);
    }

    /// The name of column `number` of `relation`. A number with no name means the relation
    /// changed between the queries (each reads its own snapshot): said so, rather than a wrong
    /// name.
    fn one(
        &self,
        what: &'static str,
        relation: i64,
        number: i16,
    ) -> Result<String, IntrospectError> {
        self.0
            .get(&(relation, i32::from(number)))
            .cloned()
            .ok_or(IntrospectError::Changed { what })
    }

    /// The names of `numbers` in `relation`, in their order.
    fn of(
        &self,
        what: &'static str,
        relation: i64,
        numbers: &[i16],
    ) -> Result<Vec<String>, IntrospectError> {
        numbers
            .iter()
            .map(|&number| self.one(what, relation, number))
            .collect()
    }
}

/// A map keyed by relation oid and attribute number: `ColumnNames`, and the columns that own
/// sequences. Hashed with foldhash: SipHash, which guards against keys chosen to collide, cost
/// ~100 ns a key over the 20,000 columns and 15,000 key columns of 2,000 tables, and these keys
/// come from the server's catalog.
pub(super) type ByColumn<V> = HashMap<(i64, i32), V, FixedState>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_enclosing_parentheses() {
        assert_eq!(strip_outer_parens("(a + b)"), "a + b");
        assert_eq!(strip_outer_parens("lower(email)"), "lower(email)");
        assert_eq!(strip_outer_parens("(a) + (b)"), "(a) + (b)");
        assert_eq!(strip_outer_parens("((a))"), "(a)");
        assert_eq!(strip_outer_parens("(')' || a)"), "')' || a");
    }

    #[test]
    fn reads_foreign_key_actions() {
        assert_eq!(fk_action("n"), FkAction::SetNull);
        assert_eq!(fk_action("a"), FkAction::NoAction);
    }

    /// Key columns are named from the columns query's rows, per relation, in key order; a number
    /// that query did not see (the schema changed between the two snapshots) is an error that
    /// says so, never a wrong or empty name.
    #[test]
    fn names_key_columns_by_relation_and_number() {
        let mut names = ColumnNames::default();
        names.add(10, 1, "id".to_string());
        names.add(10, 3, "email".to_string());
        names.add(11, 1, "other".to_string());
        assert_eq!(
            names.of("indexes", 10, &[3, 1]).unwrap(),
            ["email".to_string(), "id".to_string()]
        );
        assert!(names.of("indexes", 10, &[]).unwrap().is_empty());
        let error = names.of("constraints", 10, &[1, 2]).unwrap_err();
        assert!(matches!(
            error,
            IntrospectError::Changed {
                what: "constraints"
            }
        ));
        assert!(
            error.to_string().contains("run the command again"),
            "{error}"
        );
        assert!(names.of("indexes", 12, &[1]).is_err());
    }
}

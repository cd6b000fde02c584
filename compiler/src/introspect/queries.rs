//! The pg_catalog queries behind introspection: a fixed list, one per object kind, each reading
//! every object of that kind in the chosen schemas at once and ordered by name (`COLLATE "C"`, so the
//! order is the same on every server). In: a connection and the schemas to read. Out: a `Catalog`.
//! The number of round trips never depends on how many tables there are.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::fields::{fields, value};
use super::gate::DecodeGate;
use super::keys::{ByColumn, ColumnNames, Decoding, Keys};
use super::types::{sql_type, RawType};
use super::IntrospectError;
use crate::catalog::BaseType;
use crate::catalog::{
    Catalog, Column, EnumType, FillTrigger, Grant, Identity, Policy, PolicyCommand, Privilege,
    QualifiedName, Role, Sequence, SqlType, Table, Unmanaged,
};
use crate::vocab::{
    partitions::split_top_level, Partition, PartitionBound, PartitionStrategy, Partitioning,
};

/// Which schemas to read.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    /// Every user schema: not `pg_*`, not `information_schema`, not schemac's own `schemac_*`,
    /// not owned by an extension.
    User,
    /// Exactly these schemas (canonicalisation reads its scratch schemas this way).
    Schemas(Vec<String>),
}

/// Runs the queries and counts the round trips.
pub(crate) struct Reader<'c> {
    conn: &'c mut PgConnection,
    /// A second session on the same database, where the constraint and index queries run while
    /// `conn` runs the others: each query is one server process's work, so two sessions use two
    /// cores. Only for plain reads: a read that must see a transaction's own uncommitted objects
    /// (canonicalisation's scratch tables) has no helper.
    helper: Option<&'c mut PgConnection>,
    /// Queries sent so far.
    pub queries: usize,
    /// What decoding the columns and keys waits for.
    gate: DecodeGate,
}

/// The rows of the queries that follow the schemas', fetched before any is decoded so that two
/// sessions can fetch them at once.
struct Rows {
    sequences: Vec<PgRow>,
    tables: Vec<PgRow>,
    columns: Vec<ColumnRow>,
}

/// The enums, functions and domains, and what belongs to tables besides their columns and keys:
/// small queries, fetched on the helper session after its others, since the columns query alone
/// is about a third of the server's work.
struct ObjectRows {
    enums: Vec<PgRow>,
    functions: Vec<PgRow>,
    domains: Vec<PgRow>,
    policies: Vec<PgRow>,
    grants: Vec<PgRow>,
    fill_triggers: Vec<PgRow>,
}

impl ObjectRows {
    const QUERIES: usize = 6;

    async fn fetch(
        conn: &mut PgConnection,
        schemas: &[String],
    ) -> Result<ObjectRows, IntrospectError> {
        let s = Some(schemas);
        Ok(ObjectRows {
            enums: fetch_on(conn, "enums", ENUMS, s).await?,
            functions: fetch_on(conn, "functions", super::routines::FUNCTIONS, s).await?,
            domains: fetch_on(conn, "domains", super::routines::DOMAINS, s).await?,
            policies: fetch_on(conn, "policies", POLICIES, s).await?,
            grants: fetch_on(conn, "grants", GRANTS, s).await?,
            fill_triggers: fetch_on(conn, "fill triggers", FILL_TRIGGERS, s).await?,
        })
    }
}

/// What only a read of the whole database asks: the objects the language does not manage, the
/// extensions and the roles.
struct DatabaseRows {
    unmanaged: Vec<PgRow>,
    extensions: Vec<PgRow>,
    roles: Vec<PgRow>,
}

impl DatabaseRows {
    const QUERIES: usize = 3;

    async fn fetch(
        conn: &mut PgConnection,
        schemas: &[String],
    ) -> Result<DatabaseRows, IntrospectError> {
        Ok(DatabaseRows {
            unmanaged: fetch_on(conn, "unmanaged objects", UNMANAGED, Some(schemas)).await?,
            extensions: fetch_on(conn, "extensions", EXTENSIONS, None).await?,
            roles: fetch_on(conn, "roles", ROLES, None).await?,
        })
    }

    fn read_into(self, catalog: &mut Catalog) -> Result<(), IntrospectError> {
        for row in self.unmanaged {
            catalog.unmanaged.push(Unmanaged::new(
                get::<String>(&row, "unmanaged objects", "kind")?,
                get::<String>(&row, "unmanaged objects", "name")?,
            ));
        }
        for row in self.extensions {
            let name: String = get(&row, "extensions", "name")?;
            let schema: String = get(&row, "extensions", "schema")?;
            if schema != "public" {
                catalog.extension_schemas.insert(name.clone(), schema);
            }
            catalog.extensions.insert(name);
        }
        for row in self.roles {
            catalog.roles.push(Role {
                name: get(&row, "roles", "name")?,
                origin: None,
            });
        }
        Ok(())
    }
}

/// What the helper session fetches.
struct HelperRows {
    keys: Keys,
    database: Option<DatabaseRows>,
    objects: ObjectRows,
}

/// The helper session's share: [`Keys`], then [`DatabaseRows`] when reading the whole database,
/// then [`ObjectRows`], while the keys' rows are decoded. The main session's is [`Rows`]: on 2,000
/// tables each share is ~140 ms on the server (the check expressions open every table they belong
/// to, the columns query prints every default).
async fn fetch_helper_rows(
    conn: &mut PgConnection,
    schemas: &[String],
    database: bool,
    gate: &DecodeGate,
) -> Result<HelperRows, IntrospectError> {
    let decoding = Keys::fetch(conn, schemas, gate.clone()).await?;
    let database = match database {
        true => Some(DatabaseRows::fetch(conn, schemas).await?),
        false => None,
    };
    let objects = ObjectRows::fetch(conn, schemas).await?;
    Ok(HelperRows {
        keys: decoding.keys().await?,
        database,
        objects,
    })
}

impl Rows {
    const QUERIES: usize = 4;

    /// The rows, and the primary keys, unique constraints and foreign keys being decoded.
    async fn fetch(
        conn: &mut PgConnection,
        schemas: &[String],
        gate: &DecodeGate,
    ) -> Result<(Rows, Decoding), IntrospectError> {
        let s = Some(schemas);
        let sequences = fetch_on(conn, "sequences", SEQUENCES, s).await?;
        let tables = fetch_on(conn, "tables", TABLES, s).await?;
        let key_constraints = Keys::fetch_key_constraints(conn, schemas, gate.clone()).await?;
        let columns = fetch_columns(conn, schemas, gate.clone()).await?;
        let rows = Rows {
            sequences,
            tables,
            columns,
        };
        Ok((rows, key_constraints))
    }

    /// The rows fetched, then assembled at once, while the helper session may still be fetching.
    /// Here, not on a thread of its own: that was ~5 ms faster but kept ~2 MB of its freed memory
    /// in a malloc arena of its own, and put `introspect`'s peak at 60 MB.
    async fn fetch_and_assemble(
        conn: &mut PgConnection,
        schemas: &[String],
        gate: &DecodeGate,
    ) -> Result<(Assembled, Decoding), IntrospectError> {
        let (rows, key_constraints) = Rows::fetch(conn, schemas, gate).await?;
        Ok((rows.assembled()?, key_constraints))
    }

    /// The catalog as far as these rows tell: sequences, and tables and views with their columns.
    fn assembled(mut self) -> Result<Assembled, IntrospectError> {
        let mut catalog = Catalog::default();
        // Kept with their oids until the columns say which are `serial` columns' own.
        let mut sequences: Vec<(i64, Sequence)> = Vec::new();
        let mut owners = SequenceOwners::default();
        if let Some(f) = self.sequences.first().map(SequenceFields::of).transpose()? {
            for row in &self.sequences {
                const WHAT: &str = "sequences";
                let ty = match value::<&str>(row, WHAT, f.type_name)? {
                    "int2" => BaseType::SmallInt,
                    "int4" => BaseType::Integer,
                    _ => BaseType::BigInt,
                };
                let oid: i64 = value(row, WHAT, f.oid)?;
                if let (Some(table), Some(column), Some(literal)) = (
                    value::<Option<i64>>(row, WHAT, f.owner_oid)?,
                    value::<Option<i32>>(row, WHAT, f.owner_column)?,
                    value::<Option<&str>>(row, WHAT, f.literal)?,
                ) {
                    owners.add(table, column, oid, literal, ty.clone());
                }
                if !value::<bool>(row, WHAT, f.listed)? {
                    continue;
                }
                sequences.push((
                    oid,
                    Sequence {
                        name: QualifiedName::new(
                            value::<String>(row, WHAT, f.schema)?,
                            value::<String>(row, WHAT, f.name)?,
                        ),
                        ty: SqlType::scalar(ty),
                        start: value(row, WHAT, f.start)?,
                        increment: value(row, WHAT, f.increment)?,
                        min: value(row, WHAT, f.min)?,
                        max: value(row, WHAT, f.max)?,
                        cache: value(row, WHAT, f.cache)?,
                        cycle: value(row, WHAT, f.cycle)?,
                        origin: None,
                    },
                ));
            }
        }

        // Table oid → index into `catalog.tables`; rows of tables that were filtered out are skipped.
        let mut by_oid: BTreeMap<i64, usize> = BTreeMap::new();
        // View oid → index into `catalog.views` (their columns and indexes come with the tables').
        let mut views_by_oid: BTreeMap<i64, usize> = BTreeMap::new();
        // Partitions: (parent oid, name, bound as the server prints it, itself partitioned).
        let mut partitions: Vec<(i64, QualifiedName, String, bool)> = Vec::new();
        if let Some(f) = self.tables.first().map(TableFields::of).transpose()? {
            for row in &self.tables {
                const WHAT: &str = "tables";
                let oid: i64 = value(row, WHAT, f.oid)?;
                if matches!(value::<&str>(row, WHAT, f.kind)?, "v" | "m") {
                    if let Some(view) = super::views::view(row)? {
                        views_by_oid.insert(oid, catalog.views.len());
                        catalog.views.push(view);
                    }
                    continue;
                }
                let name = QualifiedName::new(
                    value::<String>(row, WHAT, f.schema)?,
                    value::<String>(row, WHAT, f.name)?,
                );
                let key: Option<&str> = value(row, WHAT, f.partition_key)?;
                if let Some(parent) = value::<Option<i64>>(row, WHAT, f.partition_of)? {
                    let bound: Option<String> = value(row, WHAT, f.partition_bound)?;
                    partitions.push((parent, name, bound.unwrap_or_default(), key.is_some()));
                    continue;
                }
                let mut table = Table::new(name);
                table.partitioning = key.and_then(partition_key);
                table.rls_enabled = value(row, WHAT, f.rls_enabled)?;
                table.rls_forced = value(row, WHAT, f.rls_forced)?;
                table.comment = value(row, WHAT, f.comment)?;
                by_oid.insert(oid, catalog.tables.len());
                catalog.tables.push(table);
            }
        }

        // The sequences of `serial` columns (left out of the catalog's own sequences).
        let mut serial_sequences: BTreeSet<i64> = BTreeSet::new();
        let mut names = ColumnNames::default();
        // (table or view index, attnum, at in `self.columns`), sorted, then each column moved
        // once into its table: sorting the entries themselves moved 20,000 columns of a few
        // hundred bytes some fifteen times each.
        let mut order: Vec<(usize, i32, usize)> = Vec::with_capacity(self.columns.len());
        let mut view_order: Vec<(usize, i32, usize)> = Vec::new();
        for (at, row) in self.columns.iter_mut().enumerate() {
            let (oid, num) = (row.table_oid, row.num);
            names.add(oid, num, row.column.name.clone());
            if let Some(&index) = by_oid.get(&oid) {
                order.push((index, num, at));
            } else if let Some(&view) = views_by_oid.get(&oid) {
                view_order.push((view, num, at));
            } else {
                continue;
            }
            if let Some(sequence) = owners.serial_sequence(oid, num, &row.column) {
                row.column.serial = true;
                serial_sequences.insert(sequence);
            }
        }
        order.sort_unstable();
        view_order.sort_unstable();
        let mut columns: Vec<Option<Box<Column>>> = self
            .columns
            .into_iter()
            .map(|row| Some(row.column))
            .collect();
        // Each table's list at its exact length: lists grown by pushing held up to twice theirs,
        // 4 MB over 2,000 tables, kept for the whole run.
        for (index, group) in order.chunk_by(|a, b| a.0 == b.0).map(|g| (g[0].0, g.len())) {
            catalog.tables[index].columns.reserve_exact(group);
        }
        for (index, _, at) in order {
            catalog.tables[index]
                .columns
                .extend(columns[at].take().map(|c| *c));
        }
        for (index, _, at) in view_order {
            catalog.views[index]
                .columns
                .extend(columns[at].take().map(|c| *c));
        }
        drop(columns);
        catalog.sequences = sequences
            .into_iter()
            .filter(|(oid, _)| !serial_sequences.contains(oid))
            .map(|(_, sequence)| sequence)
            .collect();

        Ok(Assembled {
            catalog,
            by_oid,
            views_by_oid,
            names,
            partitions,
        })
    }
}

/// The catalog as far as the main session's rows tell ([`Rows::assembled`]), and where the rest
/// of the rows find their tables.
struct Assembled {
    catalog: Catalog,
    /// Table oid → index into `catalog.tables`; rows of tables that were filtered out are skipped.
    by_oid: BTreeMap<i64, usize>,
    /// View oid → index into `catalog.views` (their indexes come with the tables').
    views_by_oid: BTreeMap<i64, usize>,
    names: ColumnNames,
    /// Partitions: (parent oid, name, bound as the server prints it, itself partitioned).
    partitions: Vec<(i64, QualifiedName, String, bool)>,
}

async fn setting(conn: &mut PgConnection, name: &str) -> Result<String, IntrospectError> {
    sqlx::query_scalar("select pg_catalog.current_setting($1)")
        .bind(name)
        .persistent(false)
        .fetch_one(conn)
        .await
        .map_err(|source| IntrospectError::Query {
            what: "settings",
            source,
        })
}

async fn set_setting(
    conn: &mut PgConnection,
    name: &str,
    value: &str,
) -> Result<(), IntrospectError> {
    sqlx::query("select pg_catalog.set_config($1, $2, false)")
        .bind(name)
        .bind(value)
        .persistent(false)
        .execute(conn)
        .await
        .map_err(|source| IntrospectError::Query {
            what: "settings",
            source,
        })?;
    Ok(())
}

pub(super) async fn fetch_on(
    conn: &mut PgConnection,
    what: &'static str,
    sql: &'static str,
    schemas: Option<&[String]>,
) -> Result<Vec<PgRow>, IntrospectError> {
    let query = sqlx::query(sql);
    let query = match schemas {
        Some(schemas) => query.bind(schemas),
        None => query,
    };
    query
        .fetch_all(conn)
        .await
        .map_err(|source| IntrospectError::Query { what, source })
}

// Schemas that hold user objects. Names starting with `pg_` are reserved for the system
// (https://www.postgresql.org/docs/current/ddl-schemas.html), which covers pg_toast and pg_temp_N;
// a schema an extension created is the extension's.
const SCHEMAS: &str = r#"
select n.nspname::text as name from pg_catalog.pg_namespace n
  where n.nspname !~ '^pg_'
    and n.nspname <> 'information_schema'
    and n.nspname not like 'schemac\_%'
    and not exists (
      select 1 from pg_catalog.pg_depend d
      where d.classid = 'pg_catalog.pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')
order by n.nspname collate "C"
"#;

// Every object in the user schemas `$1` (or the database) that the language does not manage
// (LANGUAGE.md, "What else real databases hold"), named by `pg_identify_object`; a query of its
// own, sent beside the others, because it costs more than all the small ones together (~45 ms of
// scanning pg_type and pg_depend on 2,000 tables) and the others wait for the schema names.
// Extension members (deptype 'e') and objects that exist only as part of another (deptype 'i':
// array types, a range's multirange) are left out. Views, functions, triggers, domains and
// partitions are not listed: the language manages them (those with a name it cannot spell, and
// what depends on them, are set aside after reading: `unspellable.rs`). A partition is declared by its bound and
// holds what its parent declares, so an index, constraint or trigger of one partition alone (not
// attached to a parent's index, `pg_inherits`; not inherited, `coninhcount`, nor cloned,
// `conparentid`, `tgparentid`) is not managed; a constraint's own index goes with it (deptype 'i').
// Rows come unordered: the catalog's list is sorted when read.
const UNMANAGED: &str = r#"
with user_ns as (
  select n.oid from pg_catalog.pg_namespace n where n.nspname = any($1)
),
unmanaged (classid, objid) as (
  select 'pg_catalog.pg_proc'::regclass, p.oid from pg_catalog.pg_proc p
  where p.prokind = 'a' and p.pronamespace in (select oid from user_ns)
  union all
  select 'pg_catalog.pg_operator'::regclass, o.oid from pg_catalog.pg_operator o
  where o.oprnamespace in (select oid from user_ns)
  union all
  select 'pg_catalog.pg_cast'::regclass, c.oid from pg_catalog.pg_cast c where c.oid >= 16384
  union all
  select 'pg_catalog.pg_event_trigger'::regclass, e.oid from pg_catalog.pg_event_trigger e
  where e.evtname not like 'schemac\_%'
  union all
  select 'pg_catalog.pg_publication'::regclass, p.oid from pg_catalog.pg_publication p
  union all
  select 'pg_catalog.pg_foreign_server'::regclass, s.oid from pg_catalog.pg_foreign_server s
  union all
  select 'pg_catalog.pg_foreign_data_wrapper'::regclass, w.oid from pg_catalog.pg_foreign_data_wrapper w
  union all
  select 'pg_catalog.pg_class'::regclass, c.oid from pg_catalog.pg_class c
  where c.relkind = 'f' and c.relnamespace in (select oid from user_ns)
  union all
  select 'pg_catalog.pg_type'::regclass, t.oid from pg_catalog.pg_type t
  where t.typnamespace in (select oid from user_ns)
    and (t.typtype = 'r'
         or t.typtype = 'b' and not exists (select 1 from pg_catalog.pg_type e
                                            where e.oid = t.typelem and e.typarray = t.oid)
         or t.typtype = 'c' and exists (select 1 from pg_catalog.pg_class c
                                        where c.oid = t.typrelid and c.relkind = 'c'))
  union all
  select 'pg_catalog.pg_collation'::regclass, c.oid from pg_catalog.pg_collation c
  where c.collnamespace in (select oid from user_ns)
  union all
  select 'pg_catalog.pg_statistic_ext'::regclass, s.oid from pg_catalog.pg_statistic_ext s
  where s.stxnamespace in (select oid from user_ns)
  union all
  select 'pg_catalog.pg_ts_config'::regclass, c.oid from pg_catalog.pg_ts_config c
  where c.cfgnamespace in (select oid from user_ns)
  union all
  select 'pg_catalog.pg_opclass'::regclass, c.oid from pg_catalog.pg_opclass c
  where c.opcnamespace in (select oid from user_ns)
  union all
  select 'pg_catalog.pg_conversion'::regclass, c.oid from pg_catalog.pg_conversion c
  where c.connamespace in (select oid from user_ns)
  union all
  select 'pg_catalog.pg_class'::regclass, i.indexrelid from pg_catalog.pg_index i
  join pg_catalog.pg_class t on t.oid = i.indrelid
  where t.relispartition and t.relnamespace in (select oid from user_ns)
    and not exists (select 1 from pg_catalog.pg_inherits h where h.inhrelid = i.indexrelid)
  union all
  select 'pg_catalog.pg_constraint'::regclass, c.oid from pg_catalog.pg_constraint c
  join pg_catalog.pg_class t on t.oid = c.conrelid
  where t.relispartition and t.relnamespace in (select oid from user_ns)
    and c.contype <> 'n' and c.coninhcount = 0 and c.conparentid = 0
  union all
  select 'pg_catalog.pg_trigger'::regclass, tg.oid from pg_catalog.pg_trigger tg
  join pg_catalog.pg_class t on t.oid = tg.tgrelid
  where t.relispartition and t.relnamespace in (select oid from user_ns)
    and not tg.tgisinternal and tg.tgparentid = 0 and tg.tgname not like 'schemac\_%'
)
select i.type::text as kind, i.identity::text as name
from unmanaged u cross join lateral pg_catalog.pg_identify_object(u.classid, u.objid, 0) i
-- A subquery per object, by pg_depend's (classid, objid) index: as `not exists` the planner
-- sorted all of pg_depend for a merge anti-join, 20 of the query's 47 ms on 2,000 tables.
where (select d.deptype from pg_catalog.pg_depend d
       where d.classid = u.classid and d.objid = u.objid and d.deptype in ('e', 'i')
       limit 1) is null
"#;
// plpgsql is installed in every database by `initdb`; no schema asks for it.
const EXTENSIONS: &str = r#"
select e.extname::text as name, n.nspname::text as schema
from pg_catalog.pg_extension e
join pg_catalog.pg_namespace n on n.oid = e.extnamespace
where e.extname <> 'plpgsql'
order by e.extname collate "C"
"#;

const ROLES: &str = r#"
select r.rolname::text as name
from pg_catalog.pg_roles r
where r.rolname !~ '^pg_'
order by r.rolname collate "C"
"#;

const ENUMS: &str = r#"
select n.nspname::text as schema, t.typname::text as name,
  array(select e.enumlabel::text from pg_catalog.pg_enum e
        where e.enumtypid = t.oid order by e.enumsortorder) as labels,
  pg_catalog.obj_description(t.oid, 'pg_type') as comment
from pg_catalog.pg_type t
join pg_catalog.pg_namespace n on n.oid = t.typnamespace
where t.typtype = 'e' and n.nspname = any($1)
  and not exists (
    select 1 from pg_catalog.pg_depend d
    where d.classid = 'pg_catalog.pg_type'::regclass and d.objid = t.oid and d.deptype = 'e')
order by n.nspname collate "C", t.typname collate "C"
"#;

/// `extension_members`: the oids of the relations that belong to an extension, found from
/// `pg_extension` through pg_depend's index on the referenced object, as a hashed list: a
/// `not exists` per relation probed pg_depend once for each (~5 ms on 2,000 tables).
macro_rules! extension_members {
    () => {
        r#"
with extension_members as (
  select d.objid from pg_catalog.pg_extension x
  join pg_catalog.pg_depend d on d.refclassid = 'pg_catalog.pg_extension'::regclass
    and d.refobjid = x.oid
  where d.classid = 'pg_catalog.pg_class'::regclass and d.deptype = 'e'
)"#
    };
}

// Every sequence of the schemas read, with the column that owns it (pg_depend 'a', `OWNED BY`, or
// 'i', an identity column's) and, when owned, its name as a `regclass` literal. A sequence stands
// alone (`listed`) unless it is an identity column's, an extension's, schemac's own, or a `serial`
// column's: owned by a column whose default is its `nextval`. That last test is made on the
// columns' rows when they are read: asked per column in the columns query it was an eighth of that
// query's time, and comparing every owner's printed default here made the planner print each
// default once per sequence.
const SEQUENCES: &str = concat!(
    extension_members!(),
    r#"
select c.oid::int8 as oid, n.nspname::text as schema, c.relname::text as name, t.typname::text as type_name,
  s.seqstart as start, s.seqincrement as increment, s.seqmin as min, s.seqmax as max,
  s.seqcache as cache, s.seqcycle as cycle,
  own.refobjid::int8 as owner_oid, own.refobjsubid::int4 as owner_column,
  case when own.deptype = 'a' then pg_catalog.quote_literal(c.oid::regclass::text) end as literal,
  c.relname not like 'schemac\_%' and own.deptype is distinct from 'i'
    and c.oid not in (select objid from extension_members) as listed
from pg_catalog.pg_sequence s
join pg_catalog.pg_class c on c.oid = s.seqrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_type t on t.oid = s.seqtypid
left join lateral (
  select d.deptype, d.refobjid, d.refobjsubid from pg_catalog.pg_depend d
  where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid
    and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjsubid > 0
    and d.deptype in ('a', 'i')
  limit 1) own on true
where n.nspname = any($1)
order by n.nspname collate "C", c.relname collate "C"
"#
);

// Ordinary and partitioned tables; schemac's own tables and tables owned by extensions are not
// part of any schema. A partition (`relispartition`) is read with its parent and its bound, and
// becomes a `Partition` of the parent, not a table (vocab/partitions.rs).
// Views and materialized views come in the same query (`kind` 'v' or 'm'):
// their query as the server prints it, their options, and what their rewrite rule depends on
// (`[schema, relation, column or null]`, as JSON) — read here so that the count stays fixed.
// Comments come from a join, not `obj_description` (a SQL function, run once per row: half of
// this query's time on 2,000 tables).
const TABLES: &str = concat!(
    extension_members!(),
    r#"
select c.oid::int8 as oid, n.nspname::text as schema, c.relname::text as name,
  c.relrowsecurity as rls_enabled, c.relforcerowsecurity as rls_forced,
  ds.description as comment,
  case when c.relkind = 'p' then pg_catalog.pg_get_partkeydef(c.oid) end as partition_key,
  (select i.inhparent::int8 from pg_catalog.pg_inherits i
   where c.relispartition and i.inhrelid = c.oid) as partition_of,
  case when c.relispartition then pg_catalog.pg_get_expr(c.relpartbound, c.oid) end
    as partition_bound,
  c.relkind::text as kind,
  case when c.relkind in ('v', 'm') then pg_catalog.pg_get_viewdef(c.oid, true) end
    as view_definition,
  case when c.relkind in ('v', 'm') then coalesce(c.reloptions::text[], '{}') end as view_options,
  case when c.relkind in ('v', 'm') then (
    select coalesce(json_agg(json_build_array(dn.nspname, dc.relname, da.attname)
                             order by dn.nspname, dc.relname, da.attname), '[]')::text
    from (select distinct d.refobjid, d.refobjsubid
          from pg_catalog.pg_rewrite rw
          join pg_catalog.pg_depend d on d.classid = 'pg_catalog.pg_rewrite'::regclass
            and d.objid = rw.oid and d.refclassid = 'pg_catalog.pg_class'::regclass
            and d.refobjid <> c.oid
          where rw.ev_class = c.oid) dep
    join pg_catalog.pg_class dc on dc.oid = dep.refobjid
    join pg_catalog.pg_namespace dn on dn.oid = dc.relnamespace
    left join pg_catalog.pg_attribute da on dep.refobjsubid > 0
      and da.attrelid = dep.refobjid and da.attnum = dep.refobjsubid) end as view_depends
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
left join pg_catalog.pg_description ds on ds.objoid = c.oid
  and ds.classoid = 'pg_catalog.pg_class'::regclass and ds.objsubid = 0
where c.relkind in ('r', 'p', 'v', 'm') and n.nspname = any($1)
  and c.relname not like 'schemac\_%'
  and c.oid not in (select objid from extension_members)
order by n.nspname collate "C", c.relname collate "C"
"#
);

// PostgreSQL 18 sets `attnotnull` also for a `NOT NULL ... NOT VALID` constraint (contype 'n'),
// which old rows may still violate: such a column is nullable until the constraint is validated.
// `serial` is `integer` + a sequence of the column's type (`ALTER COLUMN ... TYPE bigint` alone
// leaves an `integer` one: not `bigserial`) owned by the column (pg_depend deptype 'a', which
// identity columns do not use: theirs is 'i') + `DEFAULT nextval('<that sequence>'::regclass)`: the
// sequences query says which column owns each sequence, and the default is compared with its
// `nextval` when the columns are put in their tables.
// https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-SERIAL
// A default cannot read a column, so it is printed with no relation (`pg_get_expr(adbin, 0)`):
// with one, the server opens the table and builds its cache entry (~50 µs a table, cold), for
// nothing. A generated column's expression reads columns and needs its table.
// Comments come from a join, not `col_description` (a SQL function, run once per row); rows come
// unordered (sorting 20,000 wide rows spilled to disk) and are put in `attnum` order when read.
// `format_type` only where `types::sql_type` may read it: not for enums and `NAMED_BUILTINS`.
const COLUMNS: &str = r#"
select a.attrelid::int8 as table_oid, a.attnum::int4 as num, a.attname::text as name,
  a.attnotnull and not exists (
    select 1 from pg_catalog.pg_constraint nn
    where nn.conrelid = a.attrelid and nn.contype = 'n' and not nn.convalidated
      and nn.conkey[1] = a.attnum) as not_null,
  a.attgenerated::text as generated_kind,
  a.attidentity::text as identity_kind,
  pg_catalog.pg_get_expr(ad.adbin, case when a.attgenerated = '' then 0 else ad.adrelid end) as expr,
  ds.description as comment,
  a.atttypmod as typmod,
  t.typname::text as type_name, tn.nspname::text as type_schema, t.typtype::text as type_kind,
  case when t.typtype = 'e' or tn.nspname = 'pg_catalog' and t.typname in (
    'uuid', 'text', 'int2', 'int4', 'int8', 'float4', 'float8', 'bool', 'date', 'json', 'jsonb',
    'bytea', 'inet', 'cidr') then null
    else pg_catalog.format_type(a.atttypid, a.atttypmod) end as type_formatted,
  et.typname::text as element_name, etn.nspname::text as element_schema,
  et.typtype::text as element_kind,
  case when et.typtype = 'e' or etn.nspname = 'pg_catalog' and et.typname in (
    'uuid', 'text', 'int2', 'int4', 'int8', 'float4', 'float8', 'bool', 'date', 'json', 'jsonb',
    'bytea', 'inet', 'cidr') then null
    else pg_catalog.format_type(et.oid, a.atttypmod) end as element_formatted
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_type t on t.oid = a.atttypid
join pg_catalog.pg_namespace tn on tn.oid = t.typnamespace
left join pg_catalog.pg_type et on t.typcategory = 'A' and t.typelem <> 0 and et.oid = t.typelem
left join pg_catalog.pg_namespace etn on etn.oid = et.typnamespace
left join pg_catalog.pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
left join pg_catalog.pg_description ds on ds.objoid = a.attrelid
  and ds.classoid = 'pg_catalog.pg_class'::regclass and ds.objsubid = a.attnum
where c.relkind in ('r', 'p', 'v', 'm') and n.nspname = any($1) and a.attnum > 0 and not a.attisdropped
"#;

// `polroles = {0}` means PUBLIC, which the catalog spells as no roles.
const POLICIES: &str = r#"
select p.polrelid::int8 as table_oid, p.polname::text as name, p.polcmd::text as command,
  array(select r.rolname::text from pg_catalog.pg_roles r where r.oid = any(p.polroles)) as roles,
  pg_catalog.pg_get_expr(p.polqual, p.polrelid) as using_expr,
  pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as check_expr
from pg_catalog.pg_policy p
join pg_catalog.pg_class c on c.oid = p.polrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where n.nspname = any($1)
order by n.nspname collate "C", c.relname collate "C", p.polname collate "C"
"#;

// schemac's own fill triggers (LANGUAGE.md, "Fill triggers"): named `schemac_*_fill`, each with a
// function of the same name. They are not user objects: read only so the planner can tell whether
// the wanted ones are there; `tgattr` lists the columns of `UPDATE OF`. The clones PostgreSQL makes
// on each partition of a partitioned table (`tgparentid`) belong to the parent's trigger.
const FILL_TRIGGERS: &str = r#"
select n.nspname::text as schema, c.relname::text as table_name, t.tgname::text as name,
  array(select a.attname::text from unnest(t.tgattr::int2[]) with ordinality k(attnum, ord)
        join pg_catalog.pg_attribute a on a.attrelid = t.tgrelid and a.attnum = k.attnum
        order by k.ord) as update_of,
  p.prosrc::text as body,
  (t.tgname like 'schemac\_%') as schemac, t.tgtype::int2 as tgtype,
  pg_catalog.pg_get_triggerdef(t.oid) as def, (t.tgqual is not null) as has_when,
  pg_catalog.encode(t.tgargs, 'escape') as args,
  pn.nspname::text as function_schema, p.proname::text as function_name
from pg_catalog.pg_trigger t
join pg_catalog.pg_class c on c.oid = t.tgrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_proc p on p.oid = t.tgfoid
join pg_catalog.pg_namespace pn on pn.oid = p.pronamespace
where not t.tgisinternal and n.nspname = any($1) and c.relkind in ('r', 'p')
  and c.relname not like 'schemac\_%'
  and t.tgparentid = 0
order by n.nspname collate "C", c.relname collate "C", t.tgname collate "C"
"#;

// The owner's own privileges are implicit (and listed in relacl only once something is granted),
// so they are not grants the schema could have written. Grantee 0 is PUBLIC.
// INSERT counts only when the grantee may also call `nextval` (USAGE or UPDATE) on the sequence of
// every `serial` column (owned, deptype 'a'): without it the role cannot insert, and a schema's
// `grant insert` grants both (plan/recipes/security.rs), so a sequence revoked by hand is drift.
const GRANTS: &str = r#"
select c.oid::int8 as table_oid,
  case when a.grantee = 0 then 'public' else pg_catalog.pg_get_userbyid(a.grantee)::text end as role,
  a.privilege_type::text as privilege
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
cross join lateral pg_catalog.aclexplode(c.relacl) a
where c.relkind in ('r', 'p') and n.nspname = any($1) and a.grantee <> c.relowner
  and not (a.privilege_type = 'INSERT' and exists (
    select 1 from pg_catalog.pg_depend d
    join pg_catalog.pg_class s on s.oid = d.objid and s.relkind = 'S'
    where d.classid = 'pg_catalog.pg_class'::regclass
      and d.refclassid = 'pg_catalog.pg_class'::regclass
      and d.refobjid = c.oid and d.refobjsubid > 0 and d.deptype = 'a'
      and a.grantee <> s.relowner
      and not exists (
        select 1 from pg_catalog.aclexplode(s.relacl) sa
        where sa.grantee = a.grantee and sa.privilege_type in ('USAGE', 'UPDATE'))))
order by n.nspname collate "C", c.relname collate "C"
"#;

impl<'c> Reader<'c> {
    pub(crate) fn new(conn: &'c mut PgConnection) -> Reader<'c> {
        Reader {
            conn,
            helper: None,
            queries: 0,
            gate: DecodeGate::open(),
        }
    }

    /// A reader that sends the constraint and index queries on `helper`, a second session on
    /// the same database, while `conn` sends the others.
    pub(crate) fn with_helper(
        conn: &'c mut PgConnection,
        helper: Option<&'c mut PgConnection>,
    ) -> Reader<'c> {
        Reader {
            conn,
            helper,
            queries: 0,
            gate: DecodeGate::open(),
        }
    }

    /// This reader, decoding the columns and keys only once `gate` is open.
    pub(crate) fn after(self, gate: DecodeGate) -> Reader<'c> {
        Reader { gate, ..self }
    }

    async fn fetch(
        &mut self,
        what: &'static str,
        sql: &'static str,
        schemas: Option<&[String]>,
    ) -> Result<Vec<PgRow>, IntrospectError> {
        self.queries += 1;
        fetch_on(self.conn, what, sql, schemas).await
    }

    /// Reads the whole catalog of `scope`, with JIT compilation off for the session meanwhile.
    pub(crate) async fn read(&mut self, scope: &Scope) -> Result<Catalog, IntrospectError> {
        // The planner's cost estimates for these queries (a subquery per index key, per column)
        // are far above `jit_above_cost`, so with JIT on (the default) the index query spent
        // ~0.4 s compiling and ~5 ms running, on each read (canonicalisation reads once per batch).
        // https://www.postgresql.org/docs/current/jit-decision.html
        let jit = setting(self.conn, "jit").await?;
        set_setting(self.conn, "jit", "off").await?;
        if let Some(helper) = self.helper.as_deref_mut() {
            // The helper is this read's own session; its setting need not be restored.
            set_setting(helper, "jit", "off").await?;
        }
        let catalog = self.read_catalog(scope).await;
        // Restored also when a read failed; the read's error is the one to report.
        let restored = set_setting(self.conn, "jit", &jit).await;
        let catalog = catalog?;
        restored?;
        Ok(catalog)
    }

    async fn read_catalog(&mut self, scope: &Scope) -> Result<Catalog, IntrospectError> {
        let schemas: Vec<String> = match scope {
            Scope::User => {
                let mut schemas = Vec::new();
                for row in self.fetch("schemas", SCHEMAS, None).await? {
                    schemas.push(get(&row, "schemas", "name")?);
                }
                schemas
            }
            Scope::Schemas(schemas) => schemas.clone(),
        };
        let namespaces = schemas
            .iter()
            .filter(|s| s.as_str() != "public")
            .cloned()
            .collect();
        let schemas = schemas.as_slice();

        let user = matches!(scope, Scope::User);
        let ((assembled, key_constraints), helper_rows) = match self.helper.as_deref_mut() {
            Some(helper) => tokio::try_join!(
                Rows::fetch_and_assemble(self.conn, schemas, &self.gate),
                fetch_helper_rows(helper, schemas, user, &self.gate)
            )?,
            None => (
                Rows::fetch_and_assemble(self.conn, schemas, &self.gate).await?,
                fetch_helper_rows(self.conn, schemas, user, &self.gate).await?,
            ),
        };
        let Assembled {
            mut catalog,
            by_oid,
            views_by_oid,
            names,
            partitions,
        } = assembled;
        catalog.namespaces = namespaces;
        let HelperRows {
            mut keys,
            database,
            objects,
        } = helper_rows;
        self.queries += Rows::QUERIES + Keys::QUERIES + ObjectRows::QUERIES;
        if let Some(database) = database {
            self.queries += DatabaseRows::QUERIES;
            database.read_into(&mut catalog)?;
        }

        for row in objects.enums {
            catalog.enums.push(EnumType {
                name: QualifiedName::new(
                    get::<String>(&row, "enums", "schema")?,
                    get::<String>(&row, "enums", "name")?,
                ),
                values: get(&row, "enums", "labels")?,
                comment: get(&row, "enums", "comment")?,
                renamed_from: None,
                origin: None,
            });
        }

        for row in objects.functions {
            catalog.functions.extend(super::routines::function(&row)?);
        }
        for row in objects.domains {
            catalog.domains.push(super::routines::domain(&row)?);
        }

        keys.merge(key_constraints.keys().await?);
        keys.add_to(&mut catalog, &by_oid, &views_by_oid, &names)?;

        for row in objects.policies {
            let Some(table) = table_of(&row, "policies", &by_oid, &mut catalog)? else {
                continue;
            };
            table.policies.push(policy(&row)?);
        }

        for row in objects.grants {
            let Some(table) = table_of(&row, "grants", &by_oid, &mut catalog)? else {
                continue;
            };
            let privilege: String = get(&row, "grants", "privilege")?;
            // Privileges on tables that the language has no word for (`MAINTAIN`, PostgreSQL 17)
            // are not grants a schema can declare.
            if let Some(privilege) = privilege_from_sql(&privilege) {
                table.grants.push(Grant {
                    role: get(&row, "grants", "role")?,
                    privilege,
                });
            }
        }
        for table in &mut catalog.tables {
            table.grants.sort();
            table.grants.dedup();
        }
        // A partition of a partition (sub-partitioning) has a parent that is not a table here:
        // the language does not describe it, and it is left alone (`to_source` warns).
        for (parent, name, bound, subpartitioned) in partitions {
            let Some(&index) = by_oid.get(&parent) else {
                continue;
            };
            let table = &mut catalog.tables[index];
            let Some(partitioning) = table.partitioning.as_mut() else {
                continue;
            };
            if let Some(bound) = PartitionBound::parse(&bound) {
                partitioning
                    .partitions
                    .get_or_insert_with(Vec::new)
                    .push(Partition {
                        name,
                        bound,
                        subpartitioned,
                        origin: None,
                    });
            }
        }
        for table in &mut catalog.tables {
            // Borrowed field by field: cloning every table's columns for the few partitioned
            // ones was ~20 M instructions on 2,000 tables.
            let Table {
                columns,
                partitioning,
                ..
            } = table;
            if let Some(partitioning) = partitioning {
                partitioning.canonicalize(|name| {
                    columns
                        .iter()
                        .find(|c| c.name == name)
                        .map(|c| c.ty.clone())
                });
            }
        }
        for row in objects.fill_triggers {
            // User triggers; schemac's own other than fill triggers are leftovers of a step.
            if !get::<bool>(&row, "fill triggers", "schemac")? {
                catalog.triggers.push(super::routines::trigger(&row)?);
                continue;
            }
            let name: String = get(&row, "fill triggers", "name")?;
            if !name.ends_with("_fill") {
                continue;
            }
            catalog.fill_triggers.push(FillTrigger {
                table: QualifiedName::new(
                    get::<String>(&row, "fill triggers", "schema")?,
                    get::<String>(&row, "fill triggers", "table_name")?,
                ),
                name: get(&row, "fill triggers", "name")?,
                update_of: get(&row, "fill triggers", "update_of")?,
                body: get(&row, "fill triggers", "body")?,
            });
        }
        super::unspellable::set_aside(&mut catalog);
        // By kind, then name, byte-wise (as `collate "C"` orders them).
        catalog.unmanaged.sort();
        Ok(catalog)
    }
}

fields!(SequenceFields, "sequences", {
    oid, schema, name, type_name, start, increment, min, max, cache, cycle, owner_oid,
    owner_column, literal, listed,
});

fields!(TableFields, "tables", {
    oid, schema, name, kind, partition_of, partition_bound, partition_key, rls_enabled,
    rls_forced, comment,
});

/// `RANGE (at)` (`pg_get_partkeydef`) → a partitioning with no partitions yet.
fn partition_key(text: &str) -> Option<Partitioning> {
    let (strategy, rest) = text.trim().split_once(' ')?;
    let strategy = match strategy {
        "RANGE" => PartitionStrategy::Range,
        "LIST" => PartitionStrategy::List,
        "HASH" => PartitionStrategy::Hash,
        _ => return None,
    };
    let keys = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(Partitioning {
        strategy,
        keys: split_top_level(keys).join(", "),
        partitions: Some(Vec::new()),
    })
}

pub(super) fn get<T>(
    row: &PgRow,
    what: &'static str,
    column: &'static str,
) -> Result<T, IntrospectError>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column)
        .map_err(|source| IntrospectError::Query { what, source })
}

fn table_of<'a>(
    row: &PgRow,
    what: &'static str,
    by_oid: &BTreeMap<i64, usize>,
    catalog: &'a mut Catalog,
) -> Result<Option<&'a mut Table>, IntrospectError> {
    let oid: i64 = get(row, what, "table_oid")?;
    Ok(by_oid
        .get(&oid)
        .and_then(|&index| catalog.tables.get_mut(index)))
}

fields!(ColumnFields, "columns", {
    table_oid, num, name, not_null, generated_kind, identity_kind, expr, comment, typmod,
    type_name, type_schema, type_kind, type_formatted, element_name, element_schema, element_kind,
    element_formatted,
});

/// A row of the columns query, decoded.
struct ColumnRow {
    table_oid: i64,
    num: i32,
    /// Boxed: a list of 20,000 columns grown by doubling held up to twice their size, and the
    /// rows are reordered before the columns go into their tables.
    column: Box<Column>,
}

/// The columns query, each row decoded as it arrives: 20,000 rows held undecoded until the other
/// queries were done were ~12 MB, the largest part of introspection's peak of memory. Decoding
/// starts once `gate` is open; the server has done the query's work by the first row, and the
/// rows after it wait on the server meanwhile.
async fn fetch_columns(
    conn: &mut PgConnection,
    schemas: &[String],
    mut gate: DecodeGate,
) -> Result<Vec<ColumnRow>, IntrospectError> {
    let error = |source| IntrospectError::Query {
        what: "columns",
        source,
    };
    let mut rows = sqlx::query(COLUMNS).bind(schemas).fetch(conn);
    let mut columns = Vec::new();
    let mut fields = None;
    while let Some(row) = rows.try_next().await.map_err(error)? {
        let f = match &fields {
            Some(f) => f,
            None => {
                gate.passed().await;
                fields.insert(ColumnFields::of(&row)?)
            }
        };
        columns.push(ColumnRow {
            table_oid: value(&row, "columns", f.table_oid)?,
            num: value(&row, "columns", f.num)?,
            column: Box::new(column(&row, f)?),
        });
    }
    Ok(columns)
}

/// A column from its row (`serial` is set later, from the sequences' owners).
fn column(row: &PgRow, f: &ColumnFields) -> Result<Column, IntrospectError> {
    let column_type = RawType {
        name: value(row, "columns", f.type_name)?,
        schema: value(row, "columns", f.type_schema)?,
        kind: value(row, "columns", f.type_kind)?,
        formatted: value::<Option<&str>>(row, "columns", f.type_formatted)?.unwrap_or_default(),
    };
    let element = match value::<Option<&str>>(row, "columns", f.element_name)? {
        Some(name) => Some(RawType {
            name,
            schema: value::<Option<&str>>(row, "columns", f.element_schema)?.unwrap_or_default(),
            kind: value::<Option<&str>>(row, "columns", f.element_kind)?.unwrap_or_default(),
            formatted: value::<Option<&str>>(row, "columns", f.element_formatted)?
                .unwrap_or_default(),
        }),
        None => None,
    };
    let typmod: i32 = value(row, "columns", f.typmod)?;
    let mut column = Column::new(
        value::<String>(row, "columns", f.name)?,
        sql_type(&column_type, element.as_ref(), typmod),
    );
    column.nullable = !value::<bool>(row, "columns", f.not_null)?;
    let expr: Option<String> = value(row, "columns", f.expr)?;
    // attgenerated is 's' for a stored generated column, 'v' for a virtual one (PostgreSQL 18);
    // its pg_attrdef entry is the generation expression, not a default.
    let generated_kind = value::<&str>(row, "columns", f.generated_kind)?;
    if generated_kind == "s" || generated_kind == "v" {
        column.generated = expr;
        column.generated_virtual = generated_kind == "v";
    } else {
        column.default = expr;
    }
    // attidentity: 'a' GENERATED ALWAYS, 'd' BY DEFAULT, '' not an identity column.
    // https://www.postgresql.org/docs/current/catalog-pg-attribute.html
    column.identity = match value::<&str>(row, "columns", f.identity_kind)? {
        "a" => Some(Identity::Always),
        "d" => Some(Identity::ByDefault),
        _ => None,
    };
    column.comment = value(row, "columns", f.comment)?;
    Ok(column)
}

/// The sequences owned by a column (`OWNED BY`), by the owner's relation oid and attribute number.
#[derive(Default)]
struct SequenceOwners(ByColumn<Vec<OwnedSequence>>);

struct OwnedSequence {
    oid: i64,
    /// Its `nextval` default, as the server prints it.
    nextval: String,
    ty: SqlType,
}

impl SequenceOwners {
    fn add(&mut self, relation: i64, number: i32, oid: i64, literal: &str, ty: BaseType) {
        self.0
            .entry((relation, number))
            .or_default()
            .push(OwnedSequence {
                oid,
                nextval: format!("nextval({literal}::regclass)"),
                ty: SqlType::scalar(ty),
            });
    }

    /// The oid of `column`'s sequence when it is a `serial` column: it owns a sequence of its own
    /// type and its default is that sequence's `nextval`.
    fn serial_sequence(&self, relation: i64, number: i32, column: &Column) -> Option<i64> {
        let default = column.default.as_deref()?;
        self.0
            .get(&(relation, number))?
            .iter()
            .find(|owned| default == owned.nextval && column.ty == owned.ty)
            .map(|owned| owned.oid)
    }
}

fn policy(row: &PgRow) -> Result<Policy, IntrospectError> {
    const WHAT: &str = "policies";
    // pg_policy.polcmd: r = SELECT, a = INSERT, w = UPDATE, d = DELETE, * = ALL.
    let command = match get::<String>(row, WHAT, "command")?.as_str() {
        "r" => PolicyCommand::Select,
        "a" => PolicyCommand::Insert,
        "w" => PolicyCommand::Update,
        "d" => PolicyCommand::Delete,
        _ => PolicyCommand::All,
    };
    let mut roles: Vec<String> = get(row, WHAT, "roles")?;
    roles.sort();
    Ok(Policy {
        name: get(row, WHAT, "name")?,
        command,
        roles,
        using: get(row, WHAT, "using_expr")?,
        with_check: get(row, WHAT, "check_expr")?,
        origin: None,
    })
}

fn privilege_from_sql(name: &str) -> Option<Privilege> {
    Privilege::ALL.into_iter().find(|p| p.sql() == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_columns_query_formats_every_type_but_the_named_builtins() {
        let list: Vec<String> = super::super::types::NAMED_BUILTINS
            .iter()
            .map(|name| format!("'{name}'"))
            .collect();
        let spelled: String = super::COLUMNS
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let expected = format!("in ( {}) then null", list.join(", "));
        assert_eq!(spelled.matches(&expected).count(), 2, "{spelled}");
    }

    use super::*;

    #[test]
    fn reads_privileges_and_actions() {
        assert_eq!(privilege_from_sql("TRUNCATE"), Some(Privilege::Truncate));
        assert_eq!(privilege_from_sql("MAINTAIN"), None);
    }
}

//! Functions, procedures, domains and user triggers read from `pg_catalog`: two fixed queries
//! (functions, domains); triggers come with the fill-trigger query. Objects of extensions
//! (pg_depend 'e') and schemac's own (`schemac_*`) are not user objects.

use sqlx::postgres::PgRow;
use sqlx::Row;

use super::types::{sql_type, RawType};
use super::IntrospectError;
use crate::catalog::{Domain, DomainCheck, Function, QualifiedName, Trigger};
use crate::model::routines::parse_header;

// Functions and procedures (not aggregates or window-only kinds), with the server's own text of
// each; SQL-standard bodies (`BEGIN ATOMIC`, prosqlbody) have no dollar-quoted source and are
// left out, like C functions.
pub(crate) const FUNCTIONS: &str = r#"
select n.nspname::text as schema, p.proname::text as name, (p.prokind = 'p') as procedure,
  pg_catalog.pg_get_functiondef(p.oid) as def, p.prosrc::text as body,
  exists (
    select 1 from pg_catalog.pg_depend d
    left join pg_catalog.pg_proc dp on d.classid = 'pg_catalog.pg_proc'::regclass and dp.oid = d.objid
    where d.refclassid = 'pg_catalog.pg_proc'::regclass and d.refobjid = p.oid
      and (d.classid in ('pg_catalog.pg_event_trigger'::regclass, 'pg_catalog.pg_operator'::regclass,
                         'pg_catalog.pg_cast'::regclass, 'pg_catalog.pg_amproc'::regclass,
                         'pg_catalog.pg_type'::regclass, 'pg_catalog.pg_foreign_data_wrapper'::regclass,
                         'pg_catalog.pg_ts_parser'::regclass, 'pg_catalog.pg_ts_template'::regclass)
           or dp.prokind = 'a')) as used_by_unmanaged
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
where n.nspname = any($1) and p.prokind in ('f', 'p') and p.proname not like 'schemac\_%'
  and p.prosqlbody is null
  and not exists (
    select 1 from pg_catalog.pg_depend d
    where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid and d.deptype in ('e', 'i'))
order by n.nspname collate "C", p.proname collate "C", p.oid
"#;

pub(crate) const DOMAINS: &str = r#"
select n.nspname::text as schema, t.typname::text as name,
  b.typname::text as type_name, bn.nspname::text as type_schema, b.typtype::text as type_kind,
  pg_catalog.format_type(t.typbasetype, t.typtypmod) as type_formatted, t.typtypmod as typmod,
  et.typname::text as element_name, etn.nspname::text as element_schema,
  et.typtype::text as element_kind, pg_catalog.format_type(et.oid, t.typtypmod) as element_formatted,
  t.typnotnull as not_null, pg_catalog.pg_get_expr(t.typdefaultbin, 0) as default_expr,
  array(select c.conname::text from pg_catalog.pg_constraint c
        where c.contypid = t.oid and c.contype = 'c' order by c.conname collate "C") as check_names,
  array(select pg_catalog.pg_get_constraintdef(c.oid, true) from pg_catalog.pg_constraint c
        where c.contypid = t.oid and c.contype = 'c' order by c.conname collate "C") as check_defs
from pg_catalog.pg_type t
join pg_catalog.pg_namespace n on n.oid = t.typnamespace
join pg_catalog.pg_type b on b.oid = t.typbasetype
join pg_catalog.pg_namespace bn on bn.oid = b.typnamespace
left join pg_catalog.pg_type et on b.typcategory = 'A' and b.typelem <> 0 and et.oid = b.typelem
left join pg_catalog.pg_namespace etn on etn.oid = et.typnamespace
where t.typtype = 'd' and n.nspname = any($1)
  and not exists (
    select 1 from pg_catalog.pg_depend d
    where d.classid = 'pg_catalog.pg_type'::regclass and d.objid = t.oid and d.deptype = 'e')
order by n.nspname collate "C", t.typname collate "C"
"#;

fn get<T>(row: &PgRow, what: &'static str, column: &'static str) -> Result<T, IntrospectError>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column)
        .map_err(|source| IntrospectError::Query { what, source })
}

/// A function row; `None` when its definition is not one the language can hold.
pub(crate) fn function(row: &PgRow) -> Result<Option<Function>, IntrospectError> {
    const WHAT: &str = "functions";
    let def: String = get(row, WHAT, "def")?;
    let procedure: bool = get(row, WHAT, "procedure")?;
    let Some(header) = header_of(&def) else {
        return Ok(None);
    };
    let Ok(signature) = parse_header(&header, procedure) else {
        return Ok(None);
    };
    Ok(Some(Function {
        name: QualifiedName::new(
            get::<String>(row, WHAT, "schema")?,
            get::<String>(row, WHAT, "name")?,
        ),
        procedure,
        signature,
        body: get(row, WHAT, "body")?,
        used_by_unmanaged: get(row, WHAT, "used_by_unmanaged")?,
        origin: None,
    }))
}

/// From `pg_get_functiondef`: the text from the argument list's `(` up to and including `AS`.
pub(crate) fn header_of(def: &str) -> Option<String> {
    let as_at = def.find("\nAS $")?;
    let head = &def[..as_at];
    // `CREATE OR REPLACE FUNCTION schema.name(`: the first `(` outside a quoted name.
    let mut quoted = false;
    let mut open = None;
    for (i, c) in head.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => {
                open = Some(i);
                break;
            }
            _ => {}
        }
    }
    Some(format!("{}\nAS", &head[open?..]))
}

pub(crate) fn domain(row: &PgRow) -> Result<Domain, IntrospectError> {
    const WHAT: &str = "domains";
    // Read into strings here for the type to borrow (a domain is one row of a few).
    let text = |field| get::<String>(row, WHAT, field);
    let (name, schema) = (text("type_name")?, text("type_schema")?);
    let (kind, formatted) = (text("type_kind")?, text("type_formatted")?);
    let base = RawType {
        name: &name,
        schema: &schema,
        kind: &kind,
        formatted: &formatted,
    };
    let optional = |field| get::<Option<String>>(row, WHAT, field);
    let element_name = optional("element_name")?;
    let element_schema = optional("element_schema")?.unwrap_or_default();
    let element_kind = optional("element_kind")?.unwrap_or_default();
    let element_formatted = optional("element_formatted")?.unwrap_or_default();
    let element = element_name.as_deref().map(|name| RawType {
        name,
        schema: &element_schema,
        kind: &element_kind,
        formatted: &element_formatted,
    });
    let names: Vec<String> = get(row, WHAT, "check_names")?;
    let defs: Vec<String> = get(row, WHAT, "check_defs")?;
    let checks = names
        .into_iter()
        .zip(defs)
        .map(|(name, def)| DomainCheck {
            name,
            expr: check_expr(&def),
        })
        .collect();
    Ok(Domain {
        name: QualifiedName::new(
            get::<String>(row, WHAT, "schema")?,
            get::<String>(row, WHAT, "name")?,
        ),
        ty: sql_type(&base, element.as_ref(), get(row, WHAT, "typmod")?),
        default: get(row, WHAT, "default_expr")?,
        not_null: get(row, WHAT, "not_null")?,
        checks,
        origin: None,
    })
}

/// `CHECK (cond)` → `cond`.
pub(crate) fn check_expr(def: &str) -> String {
    def.strip_prefix("CHECK (")
        .and_then(|d| d.strip_suffix(')'))
        .unwrap_or(def)
        .to_string()
}

/// A user trigger from the trigger query's row (`tgtype` bits from PostgreSQL's
/// `catalog/pg_trigger.h`: ROW 1, BEFORE 2, INSERT 4, DELETE 8, UPDATE 16, TRUNCATE 32, INSTEAD 64).
pub(crate) fn trigger(row: &PgRow) -> Result<Trigger, IntrospectError> {
    const WHAT: &str = "triggers";
    let tgtype: i16 = get(row, WHAT, "tgtype")?;
    let timing = if tgtype & 64 != 0 {
        "instead of"
    } else if tgtype & 2 != 0 {
        "before"
    } else {
        "after"
    };
    let mut events = Vec::new();
    for (bit, event) in [
        (4, "insert"),
        (8, "delete"),
        (16, "update"),
        (32, "truncate"),
    ] {
        if tgtype & bit != 0 {
            events.push(event.to_string());
        }
    }
    let def: String = get(row, WHAT, "def")?;
    let when = get::<bool>(row, WHAT, "has_when")?
        .then(|| {
            let start = def.find(" WHEN (")? + " WHEN (".len();
            let end = def.rfind(") EXECUTE ")?;
            def.get(start..end).map(str::to_string)
        })
        .flatten();
    let args: String = get(row, WHAT, "args")?;
    let mut args: Vec<String> = args
        .split("\\000")
        .map(|a| a.replace("\\\\", "\\"))
        .collect();
    args.pop();
    Ok(Trigger {
        table: QualifiedName::new(
            get::<String>(row, WHAT, "schema")?,
            get::<String>(row, WHAT, "table_name")?,
        ),
        name: get(row, WHAT, "name")?,
        timing: timing.to_string(),
        events,
        update_of: get(row, WHAT, "update_of")?,
        for_each_row: tgtype & 1 != 0,
        when,
        function: QualifiedName::new(
            get::<String>(row, WHAT, "function_schema")?,
            get::<String>(row, WHAT, "function_name")?,
        ),
        args,
        origin: None,
    })
}

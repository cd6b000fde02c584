//! Hashes of a `Catalog`: the fingerprint a plan file carries (the database it was made against)
//! and the schema hash `apply` keeps with a run (the schema it was made from).
//!
//! Both hash an explicit serialization, never Debug text: a JSON object per item that names every
//! field and leaves out source positions (`origin`), so a comment or `schemac fmt` changes no hash.
//! A field holding its default (`None`, `false`, empty) is left out, so a field added to a type in
//! a later version changes no hash until something uses it. Each struct is destructured without
//! `..`: a new field does not compile until this file says whether it is hashed. The hash starts
//! with [`VERSION`]; a change to what is hashed for existing fields bumps it, and a hash of another
//! version is told apart from a changed database ([`version_of`]).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::io::Write;

use super::{
    Backfill, Catalog, CheckConstraint, Column, EnumType, FillTrigger, ForeignKey, Grant, Index,
    IndexKey, IndexOptions, KeyOptions, Partition, PartitionBound, Partitioning, Policy,
    PrimaryKey, Role, Sequence, SqlType, Table, TableKind, Tenancy, UniqueConstraint, Unmanaged,
    View,
};
use crate::vocab::{Domain, DomainCheck, Function, RoutineArg, RoutineSignature, Trigger};

/// The version of the serialization, the prefix of every hash (`v1:<sha256>`).
pub const VERSION: &str = "v1";

/// The version a hash was made with: `None` for one made before hashes carried a version.
pub fn version_of(hash: &str) -> Option<&str> {
    hash.split_once(':').map(|(version, _)| version)
}

/// `VERSION:` and the SHA-256 of the catalog's serialization, in hex.
pub fn hash(catalog: &Catalog) -> String {
    let mut hasher = Sha256::new();
    write_json(&mut hasher, catalog).expect("hashing writes to memory and cannot fail");
    let digest: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{VERSION}:{digest}")
}

/// The catalog as the JSON value that is hashed.
pub fn serialize(catalog: &Catalog) -> Value {
    fields(catalog, list(&catalog.tables, table)).into()
}

/// Writes `serialize(catalog)` as compact JSON text, one table's value at a time: the value of a
/// whole catalog is about five times the catalog (26 MB for 2,000 tables), and building it was
/// the peak of `plan`'s memory.
fn write_json(out: &mut impl Write, catalog: &Catalog) -> std::io::Result<()> {
    // A stand-in that `Object::put` keeps exactly when the real list would be kept.
    let tables_stand_in = Value::Bool(!catalog.tables.is_empty());
    let Object(fields) = fields(catalog, tables_stand_in);
    out.write_all(b"{")?;
    for (n, (key, value)) in fields.iter().enumerate() {
        if n > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, key)?;
        out.write_all(b":")?;
        if key == "tables" {
            out.write_all(b"[")?;
            for (n, item) in catalog.tables.iter().enumerate() {
                if n > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, &table(item))?;
            }
            out.write_all(b"]")?;
        } else {
            serde_json::to_writer(&mut *out, value)?;
        }
    }
    out.write_all(b"}")
}

/// The catalog's fields as the object that is hashed, with `tables` given.
fn fields(catalog: &Catalog, tables_value: Value) -> Object {
    let Catalog {
        namespaces,
        extensions,
        extension_schemas,
        enums,
        sequences,
        tables: _, // `tables_value`: written one at a time when hashing
        roles,
        tenancy,
        fill_triggers,
        unmanaged,
        views,
        functions,
        triggers,
        domains,
    } = catalog;
    Object::new()
        .put("namespaces", strings(namespaces))
        .put(
            "extensions",
            Value::from_iter(extensions.iter().map(|e| e.as_str())),
        )
        .put(
            "extension_schemas",
            Value::Object(
                extension_schemas
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                    .collect(),
            ),
        )
        .put("enums", list(enums, enum_type))
        .put("sequences", list(sequences, sequence))
        .put("tables", tables_value)
        .put("roles", list(roles, role))
        .put("tenancy", tenancy.as_ref().map(self::tenancy))
        .put("fill_triggers", list(fill_triggers, fill_trigger))
        .put("unmanaged", list(unmanaged, self::unmanaged))
        .put("views", list(views, view))
        .put("functions", list(functions, function))
        .put("triggers", list(triggers, trigger))
        .put("domains", list(domains, domain))
}

/// A JSON object that leaves out fields holding their default.
struct Object(Map<String, Value>);

impl Object {
    fn new() -> Object {
        Object(Map::new())
    }

    fn put(mut self, key: &str, value: impl Into<Value>) -> Object {
        let value = value.into();
        let default = match &value {
            Value::Null | Value::Bool(false) => true,
            Value::Array(items) => items.is_empty(),
            Value::Object(fields) => fields.is_empty(),
            _ => false,
        };
        if !default {
            self.0.insert(key.to_string(), value);
        }
        self
    }
}

impl From<Object> for Value {
    fn from(object: Object) -> Value {
        Value::Object(object.0)
    }
}

fn list<T>(items: &[T], each: fn(&T) -> Value) -> Value {
    Value::Array(items.iter().map(each).collect())
}

fn strings<'a>(items: impl IntoIterator<Item = &'a String>) -> Value {
    Value::from_iter(items.into_iter().map(String::as_str))
}

fn name(name: &super::QualifiedName) -> Value {
    Value::from(vec![name.schema.as_str(), name.name.as_str()])
}

/// A type as its DDL: two types spelled alike are the same type to PostgreSQL.
fn ty(ty: &SqlType) -> Value {
    Value::from(ty.sql())
}

fn tenancy(tenancy: &Tenancy) -> Value {
    let Tenancy {
        root,
        column,
        key_type,
        setting,
        bypass,
        rls,
        fill,
    } = tenancy;
    Object::new()
        .put("root", name(root))
        .put("column", column.as_str())
        .put("key_type", ty(key_type))
        .put("setting", setting.as_deref())
        .put("bypass", bypass.as_deref())
        .put("rls", *rls)
        .put("fill", *fill)
        .into()
}

fn enum_type(item: &EnumType) -> Value {
    let EnumType {
        name: enum_name,
        values,
        comment,
        renamed_from,
        origin: _,
    } = item;
    Object::new()
        .put("name", name(enum_name))
        .put("values", strings(values))
        .put("comment", comment.as_deref())
        .put("renamed_from", renamed_from.as_ref().map(name))
        .into()
}

fn sequence(item: &Sequence) -> Value {
    let Sequence {
        name: sequence_name,
        ty: sequence_type,
        start,
        increment,
        min,
        max,
        cache,
        cycle,
        origin: _,
    } = item;
    Object::new()
        .put("name", name(sequence_name))
        .put("type", ty(sequence_type))
        .put("start", *start)
        .put("increment", *increment)
        .put("min", *min)
        .put("max", *max)
        .put("cache", *cache)
        .put("cycle", *cycle)
        .into()
}

fn role(item: &Role) -> Value {
    let Role {
        name: role_name,
        origin: _,
    } = item;
    Object::new().put("name", role_name.as_str()).into()
}

fn fill_trigger(item: &FillTrigger) -> Value {
    let FillTrigger {
        table,
        name: trigger_name,
        update_of,
        body,
    } = item;
    Object::new()
        .put("table", name(table))
        .put("name", trigger_name.as_str())
        .put("update_of", strings(update_of))
        .put("body", body.as_str())
        .into()
}

fn table(item: &Table) -> Value {
    let Table {
        name: table_name,
        kind,
        columns,
        primary_key,
        uniques,
        foreign_keys,
        checks,
        indexes,
        rls_enabled,
        rls_forced,
        not_valid,
        policies,
        grants,
        comment,
        renamed_from,
        partitioning,
        origin: _,
    } = item;
    let kind = match kind {
        TableKind::Plain => None,
        TableKind::Tenant => Some("tenant"),
        TableKind::Global => Some("global"),
    };
    Object::new()
        .put("name", name(table_name))
        .put("kind", kind)
        .put("columns", list(columns, column))
        .put("primary_key", primary_key.as_ref().map(self::primary_key))
        .put("uniques", list(uniques, unique))
        .put("foreign_keys", list(foreign_keys, foreign_key))
        .put("checks", list(checks, check))
        .put("indexes", list(indexes, index))
        .put("rls_enabled", *rls_enabled)
        .put("rls_forced", *rls_forced)
        .put("not_valid", strings(not_valid))
        .put("policies", list(policies, policy))
        .put("grants", list(grants, grant))
        .put("comment", comment.as_deref())
        .put("renamed_from", renamed_from.as_ref().map(name))
        .put(
            "partitioning",
            partitioning.as_ref().map(self::partitioning),
        )
        .into()
}

fn column(item: &Column) -> Value {
    let Column {
        name: column_name,
        ty: column_type,
        nullable,
        default,
        serial,
        generated,
        generated_virtual,
        identity,
        comment,
        renamed_from,
        using,
        backfill,
        origin: _,
    } = item;
    Object::new()
        .put("name", column_name.as_str())
        .put("type", ty(column_type))
        .put("nullable", *nullable)
        .put("default", default.as_deref())
        .put("serial", *serial)
        .put("generated", generated.as_deref())
        .put("generated_virtual", *generated_virtual)
        .put("identity", identity.map(|i| i.sql()))
        .put("comment", comment.as_deref())
        .put("renamed_from", renamed_from.as_deref())
        .put("using", using.as_deref())
        .put("backfill", backfill.as_ref().map(self::backfill))
        .into()
}

fn backfill(item: &Backfill) -> Value {
    match item {
        Backfill::FromForeignKey {
            fk_column,
            origin: _,
        } => Object::new().put("from_foreign_key", fk_column.as_str()),
        Backfill::Expr { expr, origin: _ } => Object::new().put("expr", expr.as_str()),
    }
    .into()
}

fn primary_key(item: &PrimaryKey) -> Value {
    let PrimaryKey {
        name: key_name,
        columns,
        origin: _,
    } = item;
    Object::new()
        .put("name", key_name.as_str())
        .put("columns", strings(columns))
        .into()
}

fn unique(item: &UniqueConstraint) -> Value {
    let UniqueConstraint {
        name: unique_name,
        columns,
        nulls_not_distinct,
        origin: _,
    } = item;
    Object::new()
        .put("name", unique_name.as_str())
        .put("columns", strings(columns))
        .put("nulls_not_distinct", *nulls_not_distinct)
        .into()
}

fn foreign_key(item: &ForeignKey) -> Value {
    let ForeignKey {
        name: key_name,
        columns,
        referenced_table,
        referenced_columns,
        on_delete,
        on_delete_columns,
        on_update,
        origin: _,
    } = item;
    Object::new()
        .put("name", key_name.as_str())
        .put("columns", strings(columns))
        .put("referenced_table", name(referenced_table))
        .put("referenced_columns", strings(referenced_columns))
        .put("on_delete", on_delete.sql())
        .put("on_delete_columns", strings(on_delete_columns))
        .put("on_update", on_update.sql())
        .into()
}

fn check(item: &CheckConstraint) -> Value {
    let CheckConstraint {
        name: check_name,
        expr,
        origin: _,
    } = item;
    Object::new()
        .put("name", check_name.as_str())
        .put("expr", expr.as_str())
        .into()
}

fn index(item: &Index) -> Value {
    let Index {
        name: index_name,
        unique,
        method,
        keys,
        predicate,
        options,
        origin: _,
    } = item;
    let key = |key: &IndexKey| match key {
        IndexKey::Column(column) => Object::new().put("column", column.as_str()),
        IndexKey::Expr(expr) => Object::new().put("expr", expr.as_str()),
    };
    Object::new()
        .put("name", index_name.as_str())
        .put("unique", *unique)
        .put("method", method.as_str())
        .put("keys", Value::from_iter(keys.iter().map(key)))
        .put("predicate", predicate.as_deref())
        .put("options", index_options(options))
        .into()
}

fn index_options(options: &IndexOptions) -> Value {
    let IndexOptions {
        keys,
        include,
        nulls_not_distinct,
    } = options;
    let key = |key: &KeyOptions| {
        let KeyOptions {
            collation,
            opclass,
            descending,
            nulls_first,
        } = key;
        Object::new()
            .put("collation", collation.as_deref())
            .put("opclass", opclass.as_deref())
            .put("descending", *descending)
            .put("nulls_first", *nulls_first)
    };
    Object::new()
        .put("keys", Value::from_iter(keys.iter().map(key)))
        .put("include", strings(include))
        .put("nulls_not_distinct", *nulls_not_distinct)
        .into()
}

fn partitioning(item: &Partitioning) -> Value {
    let Partitioning {
        strategy,
        keys,
        partitions,
    } = item;
    Object::new()
        .put("strategy", strategy.sql())
        .put("keys", keys.as_str())
        // `None` (unmanaged) and no partitions are told apart.
        .put(
            "partitions",
            partitions.as_ref().map(|list| {
                Object::new().put("list", Value::from_iter(list.iter().map(partition)))
            }),
        )
        .into()
}

fn partition(item: &Partition) -> Value {
    let Partition {
        name: partition_name,
        bound,
        subpartitioned,
        origin: _,
    } = item;
    let bound = match bound {
        PartitionBound::Range { from, to } => Object::new()
            .put("from", strings(from))
            .put("to", strings(to)),
        PartitionBound::List(values) => Object::new().put("in", strings(values)),
        PartitionBound::Hash { modulus, remainder } => Object::new()
            .put("modulus", *modulus)
            .put("remainder", *remainder),
        PartitionBound::Default => Object::new().put("default", true),
    };
    Object::new()
        .put("name", name(partition_name))
        .put("bound", bound)
        .put("subpartitioned", *subpartitioned)
        .into()
}

fn unmanaged(item: &Unmanaged) -> Value {
    let Unmanaged { kind, name, note } = item;
    let object = Object::new()
        .put("kind", kind.as_str())
        .put("name", name.as_str());
    match note {
        Some(note) => object.put("note", note.as_str()).into(),
        None => object.into(),
    }
}

fn function(item: &Function) -> Value {
    let Function {
        name: function_name,
        procedure,
        signature,
        body,
        used_by_unmanaged,
        origin: _,
    } = item;
    Object::new()
        .put("name", name(function_name))
        .put("procedure", *procedure)
        .put("signature", routine_signature(signature))
        .put("body", body.as_str())
        .put("used_by_unmanaged", *used_by_unmanaged)
        .into()
}

fn routine_signature(item: &RoutineSignature) -> Value {
    let RoutineSignature {
        args,
        returns,
        language,
        volatility,
        strict,
        security_definer,
        leakproof,
        parallel,
        cost,
        rows,
        window,
        config,
        support,
    } = item;
    let arg = |arg: &RoutineArg| {
        let RoutineArg {
            mode,
            name: arg_name,
            ty,
            default,
        } = arg;
        Object::new()
            .put("mode", mode.as_str())
            .put("name", arg_name.as_deref())
            .put("type", ty.as_str())
            .put("default", default.as_deref())
    };
    let setting = |(name, values): &(String, Vec<String>)| {
        Value::from(vec![Value::from(name.as_str()), strings(values)])
    };
    Object::new()
        .put("args", Value::from_iter(args.iter().map(arg)))
        .put("returns", returns.as_deref())
        .put("language", language.as_str())
        .put("volatility", volatility.as_str())
        .put("strict", *strict)
        .put("security_definer", *security_definer)
        .put("leakproof", *leakproof)
        .put("parallel", parallel.as_str())
        .put("cost", cost.as_deref())
        .put("rows", rows.as_deref())
        .put("window", *window)
        .put("config", Value::from_iter(config.iter().map(setting)))
        .put("support", support.as_deref())
        .into()
}

fn trigger(item: &Trigger) -> Value {
    let Trigger {
        table,
        name: trigger_name,
        timing,
        events,
        update_of,
        for_each_row,
        when,
        function,
        args,
        origin: _,
    } = item;
    Object::new()
        .put("table", name(table))
        .put("name", trigger_name.as_str())
        .put("timing", timing.as_str())
        .put("events", strings(events))
        .put("update_of", strings(update_of))
        .put("for_each_row", *for_each_row)
        .put("when", when.as_deref())
        .put("function", name(function))
        .put("args", strings(args))
        .into()
}

fn domain(item: &Domain) -> Value {
    let Domain {
        name: domain_name,
        ty: domain_type,
        default,
        not_null,
        checks,
        origin: _,
    } = item;
    let check = |check: &DomainCheck| {
        let DomainCheck {
            name: check_name,
            expr,
        } = check;
        Object::new()
            .put("name", check_name.as_str())
            .put("expr", expr.as_str())
    };
    Object::new()
        .put("name", name(domain_name))
        .put("type", ty(domain_type))
        .put("default", default.as_deref())
        .put("not_null", *not_null)
        .put("checks", Value::from_iter(checks.iter().map(check)))
        .into()
}

fn view(item: &View) -> Value {
    let View {
        name: view_name,
        materialized,
        definition,
        source,
        options,
        columns,
        indexes,
        depends_on,
        depends_on_columns,
        origin: _,
    } = item;
    Object::new()
        .put("name", name(view_name))
        .put("materialized", *materialized)
        .put("definition", definition.as_str())
        .put("source", source.as_deref())
        .put("options", strings(options))
        .put("columns", list(columns, column))
        .put("indexes", list(indexes, index))
        .put("depends_on", Value::from_iter(depends_on.iter().map(name)))
        .put(
            "depends_on_columns",
            Value::from_iter(depends_on_columns.iter().map(|(table, column)| {
                Value::from(vec![name(table), Value::from(column.as_str())])
            })),
        )
        .into()
}

fn policy(item: &Policy) -> Value {
    let Policy {
        name: policy_name,
        command,
        roles,
        using,
        with_check,
        origin: _,
    } = item;
    Object::new()
        .put("name", policy_name.as_str())
        .put("command", command.sql())
        .put("roles", strings(roles))
        .put("using", using.as_deref())
        .put("with_check", with_check.as_deref())
        .into()
}

fn grant(item: &Grant) -> Value {
    let Grant { role, privilege } = item;
    Object::new()
        .put("role", role.as_str())
        .put("privilege", privilege.sql())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::QualifiedName;
    use crate::source::Span;

    fn catalog() -> Catalog {
        let mut table = Table::new(QualifiedName::public("users"));
        let mut id = Column::new("id", SqlType::scalar(super::super::BaseType::BigInt));
        id.serial = true;
        table.columns.push(id);
        Catalog {
            tables: vec![table].into(),
            ..Catalog::default()
        }
    }

    #[test]
    fn positions_in_the_source_change_no_hash() {
        let before = catalog();
        let mut after = catalog();
        after.tables[0].origin = Some(Span::new(crate::source::FileId(0), 10, 20));
        after.tables[0].columns[0].origin = Some(Span::new(crate::source::FileId(0), 30, 40));
        assert_eq!(hash(&before), hash(&after));
        after.tables[0].columns[0].nullable = true;
        assert_ne!(hash(&before), hash(&after));
    }

    #[test]
    fn a_field_at_its_default_is_left_out() {
        let value = serialize(&catalog());
        assert_eq!(
            value.to_string(),
            r#"{"tables":[{"columns":[{"name":"id","serial":true,"type":"bigint"}],"name":["public","users"]}]}"#
        );
    }

    #[test]
    fn the_hash_is_of_the_serialization_written_one_table_at_a_time() {
        let mut two_tables = catalog();
        let mut posts = Table::new(QualifiedName::public("posts"));
        posts.comment = Some("a \"quoted\" comment".to_string());
        two_tables.tables.push(posts);
        two_tables.namespaces.insert("app".to_string());
        for catalog in [Catalog::default(), catalog(), two_tables] {
            let mut written = Vec::new();
            write_json(&mut written, &catalog).unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serialize(&catalog).to_string()
            );
            let digest = Sha256::digest(serialize(&catalog).to_string().as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hash(&catalog), format!("{VERSION}:{hex}"));
        }
    }

    #[test]
    fn a_hash_says_its_version() {
        let hash = hash(&catalog());
        assert_eq!(version_of(&hash), Some(VERSION));
        assert_eq!(version_of("0123abcd"), None);
    }
}

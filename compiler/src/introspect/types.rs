//! Column types read from `pg_type` (name, namespace, kind, `atttypmod`) → `SqlType`, so that a
//! column created from a schema reads back as the very `SqlType` the schema lowered to.
//! Pure: the query in `queries.rs` supplies the raw facts.

use crate::catalog::{BaseType, QualifiedName, SqlType};

/// `varlena` header size that PostgreSQL adds to every length/precision typmod.
/// https://www.postgresql.org/docs/current/catalog-pg-attribute.html (`atttypmod`)
const VARHDRSZ: i32 = 4;

/// One type as `pg_type` describes it, borrowed from the row it is read from (20,000 columns'
/// types copied into strings were ~60,000 allocations, most of them freed right away).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawType<'a> {
    /// `typname`, e.g. `int4`, `varchar`, `status`.
    pub name: &'a str,
    /// Namespace of the type, e.g. `pg_catalog`.
    pub schema: &'a str,
    /// `typtype`: `b` base, `e` enum, `d` domain, ...
    pub kind: &'a str,
    /// `format_type(oid, typmod)`: the fallback spelling for types the language has no name for.
    pub formatted: &'a str,
}

/// `pg_catalog` types that map to a `BaseType` whatever their typmod, so that their
/// `RawType::formatted` is never read: the columns query leaves `format_type` out for them (and
/// for enums), some 20 ms of server time for 20,000 columns. The query spells this list out; a test
/// there keeps the two equal.
#[cfg(test)]
pub(crate) const NAMED_BUILTINS: [&str; 14] = [
    "uuid", "text", "int2", "int4", "int8", "float4", "float8", "bool", "date", "json", "jsonb",
    "bytea", "inet", "cidr",
];

/// Maps a column's type; `element` is set when the column type is an array (`typcategory = 'A'`),
/// and `typmod` is the column's `atttypmod` (which applies to the element of an array).
pub(crate) fn sql_type(column_type: &RawType, element: Option<&RawType>, typmod: i32) -> SqlType {
    match element {
        Some(element) => SqlType::array_of(base_type(element, typmod)),
        None => SqlType::scalar(base_type(column_type, typmod)),
    }
}

fn base_type(raw: &RawType, typmod: i32) -> BaseType {
    let other = || BaseType::Other(raw.formatted.to_string());
    if raw.kind == "e" {
        return BaseType::Enum(QualifiedName::new(raw.schema, raw.name));
    }
    // `citext` lives in whatever schema its extension was installed into.
    if raw.name == "citext" && raw.kind == "b" {
        return BaseType::Citext;
    }
    if raw.schema != "pg_catalog" {
        return other();
    }
    let unmodified = typmod < 0;
    let length = || u32::try_from(typmod - VARHDRSZ).ok();
    match raw.name {
        "uuid" => BaseType::Uuid,
        "text" => BaseType::Text,
        "varchar" if unmodified => BaseType::Varchar(None),
        "varchar" => length().map_or_else(other, |n| BaseType::Varchar(Some(n))),
        // An unmodified `bpchar` is the rare `bpchar` without a length, which the language cannot
        // write (`char` alone means `char(1)`).
        "bpchar" if unmodified => other(),
        "bpchar" => length().map_or_else(other, BaseType::Char),
        "int2" => BaseType::SmallInt,
        "int4" => BaseType::Integer,
        "int8" => BaseType::BigInt,
        "float4" => BaseType::Real,
        "float8" => BaseType::Double,
        "bool" => BaseType::Boolean,
        "numeric" if unmodified => BaseType::Numeric(None),
        "numeric" => numeric_typmod(typmod).map_or_else(other, |ps| BaseType::Numeric(Some(ps))),
        // A fractional-seconds precision (`timestamp(3)`) has no spelling in the language.
        "date" => BaseType::Date,
        "time" if unmodified => BaseType::Time,
        "timestamp" if unmodified => BaseType::Timestamp,
        "timestamptz" if unmodified => BaseType::Timestamptz,
        "interval" if unmodified => BaseType::Interval,
        "json" => BaseType::Json,
        "jsonb" => BaseType::Jsonb,
        "bytea" => BaseType::Bytea,
        "inet" => BaseType::Inet,
        "cidr" => BaseType::Cidr,
        _ => other(),
    }
}

/// `(precision, scale)` from a `numeric` typmod; `None` for a negative scale (PostgreSQL 15+),
/// which the language cannot write.
/// https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/utils/adt/numeric.c
/// (`make_numeric_typmod`: `((precision << 16) | (scale & 0x7ff)) + VARHDRSZ`)
fn numeric_typmod(typmod: i32) -> Option<(u32, u32)> {
    let packed = typmod.checked_sub(VARHDRSZ)?;
    let precision = (packed >> 16) & 0xffff;
    let scale = ((packed & 0x7ff) ^ 1024) - 1024;
    Some((u32::try_from(precision).ok()?, u32::try_from(scale).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(name: &str) -> RawType<'_> {
        // Leaked: a test's few strings, so that the type can borrow them.
        let formatted: &'static str = Box::leak(format!("formatted {name}").into_boxed_str());
        RawType {
            name,
            schema: "pg_catalog",
            kind: "b",
            formatted,
        }
    }

    #[test]
    fn maps_builtin_types_with_modifiers() {
        let scalar = |name: &str, typmod: i32| sql_type(&pg(name), None, typmod).base;
        assert_eq!(scalar("int4", -1), BaseType::Integer);
        assert_eq!(scalar("varchar", -1), BaseType::Varchar(None));
        assert_eq!(scalar("varchar", 24), BaseType::Varchar(Some(20)));
        assert_eq!(scalar("bpchar", 5), BaseType::Char(1));
        assert_eq!(
            scalar("bpchar", -1),
            BaseType::Other("formatted bpchar".into())
        );
        assert_eq!(scalar("numeric", -1), BaseType::Numeric(None));
        // numeric(10,2): ((10 << 16) | 2) + 4
        assert_eq!(scalar("numeric", 655_366), BaseType::Numeric(Some((10, 2))));
        // numeric(3,-1) is not expressible: the scale is stored as 11-bit two's complement (0x7ff).
        assert_eq!(
            scalar("numeric", ((3 << 16) | 0x7ff) + 4),
            BaseType::Other("formatted numeric".into())
        );
        assert_eq!(scalar("timestamptz", -1), BaseType::Timestamptz);
        assert_eq!(
            scalar("timestamptz", 3),
            BaseType::Other("formatted timestamptz".into())
        );
        assert_eq!(
            scalar("point", -1),
            BaseType::Other("formatted point".into())
        );
    }

    #[test]
    fn named_builtins_map_without_their_formatted_spelling() {
        for name in NAMED_BUILTINS {
            let raw = RawType {
                formatted: "",
                ..pg(name)
            };
            for typmod in [-1, 0, 24] {
                let base = sql_type(&raw, None, typmod).base;
                assert!(!matches!(base, BaseType::Other(_)), "{name}: {base:?}");
            }
        }
    }

    #[test]
    fn maps_enums_arrays_and_extension_types() {
        let status = RawType {
            name: "status",
            schema: "app",
            kind: "e",
            formatted: "app.status",
        };
        assert_eq!(
            sql_type(&pg("_status"), Some(&status), -1),
            SqlType::array_of(BaseType::Enum(QualifiedName::new("app", "status")))
        );
        let citext = RawType {
            name: "citext",
            schema: "public",
            kind: "b",
            formatted: "citext",
        };
        assert_eq!(
            sql_type(&citext, None, -1),
            SqlType::scalar(BaseType::Citext)
        );
        assert_eq!(
            sql_type(&pg("_varchar"), Some(&pg("varchar")), 24),
            SqlType::array_of(BaseType::Varchar(Some(20)))
        );
        let domain = RawType {
            name: "email",
            schema: "public",
            kind: "d",
            formatted: "email",
        };
        assert_eq!(
            sql_type(&domain, None, -1),
            SqlType::scalar(BaseType::Other("email".into()))
        );
    }
}

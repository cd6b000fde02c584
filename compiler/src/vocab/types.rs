//! Column types in one normalised spelling, so that `int`, `integer` and `int4` compare equal and a
//! type read back from `pg_catalog` equals the one the schema wrote.

use std::fmt;

use super::QualifiedName;

/// A column type without array dimensions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BaseType {
    Uuid,
    Text,
    /// `varchar(n)`; `None` is unbounded `varchar`.
    Varchar(Option<u32>),
    /// `char(n)`; PostgreSQL's `bpchar`. Plain `char` is `char(1)`.
    Char(u32),
    SmallInt,
    Integer,
    BigInt,
    Real,
    Double,
    Boolean,
    /// `numeric(p, s)`; `None` is unconstrained `numeric`.
    Numeric(Option<(u32, u32)>),
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Interval,
    Json,
    Jsonb,
    Bytea,
    Inet,
    Cidr,
    Citext,
    /// A declared enum type.
    Enum(QualifiedName),
    /// Any other type, spelled as `format_type` prints it (introspection only).
    Other(String),
}

/// A column type: a base type, possibly an array of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SqlType {
    pub base: BaseType,
    pub array: bool,
}

impl SqlType {
    pub fn scalar(base: BaseType) -> SqlType {
        SqlType { base, array: false }
    }

    pub fn array_of(base: BaseType) -> SqlType {
        SqlType { base, array: true }
    }
}

impl BaseType {
    /// The type as written in DDL (PostgreSQL's preferred spelling, enum names qualified).
    pub fn sql(&self) -> String {
        match self {
            BaseType::Uuid => "uuid".into(),
            BaseType::Text => "text".into(),
            BaseType::Varchar(None) => "varchar".into(),
            BaseType::Varchar(Some(n)) => format!("varchar({n})"),
            BaseType::Char(n) => format!("char({n})"),
            BaseType::SmallInt => "smallint".into(),
            BaseType::Integer => "integer".into(),
            BaseType::BigInt => "bigint".into(),
            BaseType::Real => "real".into(),
            BaseType::Double => "double precision".into(),
            BaseType::Boolean => "boolean".into(),
            BaseType::Numeric(None) => "numeric".into(),
            BaseType::Numeric(Some((p, s))) => format!("numeric({p},{s})"),
            BaseType::Date => "date".into(),
            BaseType::Time => "time".into(),
            BaseType::Timestamp => "timestamp".into(),
            BaseType::Timestamptz => "timestamptz".into(),
            BaseType::Interval => "interval".into(),
            BaseType::Json => "json".into(),
            BaseType::Jsonb => "jsonb".into(),
            BaseType::Bytea => "bytea".into(),
            BaseType::Inet => "inet".into(),
            BaseType::Cidr => "cidr".into(),
            BaseType::Citext => "citext".into(),
            BaseType::Enum(name) => super::qualified(name),
            BaseType::Other(text) => text.clone(),
        }
    }

    /// The type as written in `.schema` source (enum names unqualified in `public`).
    pub fn source(&self) -> String {
        match self {
            BaseType::Double => "float8".into(),
            BaseType::Integer => "int".into(),
            BaseType::Enum(name) if name.schema == "public" => name.name.clone(),
            BaseType::Enum(name) => format!("{}.{}", name.schema, name.name),
            // A `.schema` string: `"` is written `""`.
            BaseType::Other(text) => format!("\"{}\"", text.replace('"', "\"\"")),
            other => other.sql(),
        }
    }
}

impl BaseType {
    /// The `serial` pseudo-type that makes a column of this integer type (`smallserial`,
    /// `serial`, `bigserial`); `None` for any other type.
    pub fn serial_name(&self) -> Option<&'static str> {
        match self {
            BaseType::SmallInt => Some("smallserial"),
            BaseType::Integer => Some("serial"),
            BaseType::BigInt => Some("bigserial"),
            _ => None,
        }
    }

    /// The smallest and largest value of an integer type (a sequence's bounds by default);
    /// `None` for any other type.
    pub fn integer_range(&self) -> Option<(i64, i64)> {
        match self {
            BaseType::SmallInt => Some((i64::from(i16::MIN), i64::from(i16::MAX))),
            BaseType::Integer => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
            BaseType::BigInt => Some((i64::MIN, i64::MAX)),
            _ => None,
        }
    }
}

impl SqlType {
    /// DDL spelling, e.g. `varchar(20)[]`.
    pub fn sql(&self) -> String {
        let base = self.base.sql();
        if self.array {
            format!("{base}[]")
        } else {
            base
        }
    }

    /// `.schema` spelling, e.g. `text[]`.
    pub fn source(&self) -> String {
        let base = self.base.source();
        if self.array {
            format!("{base}[]")
        } else {
            base
        }
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql())
    }
}

//! Type normalisation: every spelling the language accepts (`int`, `int4`, `integer`,
//! `"character varying(20)"`, `serial`, enum names) to one `SqlType`.

use crate::vocab::BaseType;

/// A built-in type by name with its arguments: `Some(Ok((base, serial)))`, `Some(Err(reason))`
/// for bad arguments, `None` when the name is not a built-in type.
pub fn builtin(name: &str, args: &[u32]) -> Option<Result<(BaseType, bool), &'static str>> {
    let plain = |base: BaseType| -> Result<(BaseType, bool), &'static str> {
        if args.is_empty() {
            Ok((base, false))
        } else {
            Err("this type takes no arguments")
        }
    };
    let serial = |base: BaseType| -> Result<(BaseType, bool), &'static str> {
        if args.is_empty() {
            Ok((base, true))
        } else {
            Err("this type takes no arguments")
        }
    };
    Some(match name {
        "uuid" => plain(BaseType::Uuid),
        "text" => plain(BaseType::Text),
        "varchar" | "character varying" => match args {
            [] => Ok((BaseType::Varchar(None), false)),
            [n] if (1..=10_485_760).contains(n) => Ok((BaseType::Varchar(Some(*n)), false)),
            [_] => Err("the length must be between 1 and 10485760"),
            _ => Err("it takes one length"),
        },
        "char" | "character" | "bpchar" => match args {
            [] => Ok((BaseType::Char(1), false)),
            [n] if (1..=10_485_760).contains(n) => Ok((BaseType::Char(*n), false)),
            [_] => Err("the length must be between 1 and 10485760"),
            _ => Err("it takes one length"),
        },
        "smallint" | "int2" => plain(BaseType::SmallInt),
        "int" | "integer" | "int4" => plain(BaseType::Integer),
        "bigint" | "int8" => plain(BaseType::BigInt),
        "smallserial" | "serial2" => serial(BaseType::SmallInt),
        "serial" | "serial4" => serial(BaseType::Integer),
        "bigserial" | "serial8" => serial(BaseType::BigInt),
        "bool" | "boolean" => plain(BaseType::Boolean),
        "real" | "float4" => plain(BaseType::Real),
        "float8" | "double precision" => plain(BaseType::Double),
        // `float(p)` is `real` up to 24 bits of precision, else `double precision`.
        // https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-FLOAT
        "float" => match args {
            [] => Ok((BaseType::Double, false)),
            [p] if (1..=24).contains(p) => Ok((BaseType::Real, false)),
            [p] if (25..=53).contains(p) => Ok((BaseType::Double, false)),
            _ => Err("the precision must be between 1 and 53"),
        },
        "numeric" | "decimal" => match args {
            [] => Ok((BaseType::Numeric(None), false)),
            [p] if (1..=1000).contains(p) => Ok((BaseType::Numeric(Some((*p, 0))), false)),
            [p, s] if (1..=1000).contains(p) && s <= p => {
                Ok((BaseType::Numeric(Some((*p, *s))), false))
            }
            _ => {
                Err("the precision must be between 1 and 1000 and the scale at most the precision")
            }
        },
        "date" => plain(BaseType::Date),
        "time" | "time without time zone" => plain(BaseType::Time),
        "timestamp" | "timestamp without time zone" => plain(BaseType::Timestamp),
        "timestamptz" | "timestamp with time zone" => plain(BaseType::Timestamptz),
        "interval" => plain(BaseType::Interval),
        "json" => plain(BaseType::Json),
        "jsonb" => plain(BaseType::Jsonb),
        "bytea" => plain(BaseType::Bytea),
        "inet" => plain(BaseType::Inet),
        "cidr" => plain(BaseType::Cidr),
        "citext" => plain(BaseType::Citext),
        _ => return None,
    })
}

/// Every unquoted built-in spelling, for "did you mean" suggestions.
pub const BUILTIN_NAMES: &[&str] = &[
    "uuid",
    "text",
    "varchar",
    "char",
    "character",
    "bpchar",
    "smallint",
    "int2",
    "int",
    "integer",
    "int4",
    "bigint",
    "int8",
    "smallserial",
    "serial",
    "bigserial",
    "serial2",
    "serial4",
    "serial8",
    "bool",
    "boolean",
    "real",
    "float4",
    "float8",
    "float",
    "numeric",
    "decimal",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "interval",
    "json",
    "jsonb",
    "bytea",
    "inet",
    "cidr",
    "citext",
];

/// A quoted type: a known PostgreSQL spelling normalises to its `BaseType` (with a trailing `[]`
/// meaning an array); anything else is kept verbatim as `BaseType::Other`.
pub fn quoted(text: &str) -> (BaseType, bool, bool) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let normal = words.join(" ").to_lowercase();
    let (body, array) = match normal.strip_suffix("[]") {
        Some(body) => (body.trim_end().to_string(), true),
        None => (normal.clone(), false),
    };
    let parsed = match body.split_once('(') {
        None => Some((body.clone(), Vec::new())),
        Some((head, rest)) => rest.strip_suffix(')').and_then(|inner| {
            let args: Option<Vec<u32>> = inner.split(',').map(|a| a.trim().parse().ok()).collect();
            Some((head.trim_end().to_string(), args?))
        }),
    };
    if let Some((name, args)) = parsed {
        if let Some(Ok((base, serial))) = builtin(&name, &args) {
            return (base, serial, array);
        }
    }
    (BaseType::Other(text.trim().to_string()), false, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_normalise_to_one_type() {
        for name in ["int", "integer", "int4"] {
            assert_eq!(builtin(name, &[]), Some(Ok((BaseType::Integer, false))));
        }
        assert_eq!(builtin("int8", &[]), Some(Ok((BaseType::BigInt, false))));
        assert_eq!(builtin("float4", &[]), Some(Ok((BaseType::Real, false))));
        assert_eq!(
            builtin("decimal", &[10, 2]),
            Some(Ok((BaseType::Numeric(Some((10, 2))), false)))
        );
        assert_eq!(
            builtin("numeric", &[5]),
            Some(Ok((BaseType::Numeric(Some((5, 0))), false)))
        );
        assert_eq!(
            builtin("bigserial", &[]),
            Some(Ok((BaseType::BigInt, true)))
        );
        assert_eq!(builtin("char", &[]), Some(Ok((BaseType::Char(1), false))));
        assert!(matches!(builtin("varchar", &[0]), Some(Err(_))));
        assert!(matches!(builtin("text", &[3]), Some(Err(_))));
        assert!(matches!(builtin("numeric", &[2, 5]), Some(Err(_))));
        assert_eq!(builtin("my_enum", &[]), None);
    }

    #[test]
    fn quoted_spellings_normalise_or_pass_through() {
        assert_eq!(quoted("double precision"), (BaseType::Double, false, false));
        assert_eq!(
            quoted("timestamp  with time zone"),
            (BaseType::Timestamptz, false, false)
        );
        assert_eq!(
            quoted("Character Varying(20)"),
            (BaseType::Varchar(Some(20)), false, false)
        );
        assert_eq!(
            quoted("numeric(10, 2)"),
            (BaseType::Numeric(Some((10, 2))), false, false)
        );
        assert_eq!(quoted("integer[]"), (BaseType::Integer, false, true));
        assert_eq!(
            quoted("tsvector"),
            (BaseType::Other("tsvector".into()), false, false)
        );
        assert_eq!(
            quoted("timestamp(3) with time zone"),
            (
                BaseType::Other("timestamp(3) with time zone".into()),
                false,
                false
            )
        );
    }
}

//! The Rust type of each column type: `SqlType` → tokens of a type that `sqlx` decodes from and
//! binds to that PostgreSQL type, and that `serde` can (de)serialize.
//! In: a column's `SqlType`, the enum names already chosen, the time crate setting. Out: tokens and
//! which support types (`support.rs`) they need. Nullability (`Option`) is added by the caller.
//! Crate paths (`uuid::Uuid`) cannot be shadowed: a table module declares only UpperCamelCase
//! structs and `columns`, and prelude names (`String`, `Vec`, `Option`) are never given to a struct.

use std::collections::BTreeMap;

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::catalog::{BaseType, QualifiedName, SqlType};

use super::TimeCrate;

/// Support types that `support.rs` defines only when some column needs them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SupportNeeds {
    /// `support::Interval`: `interval` with serde (sqlx's `PgInterval` has none).
    pub(crate) interval: bool,
    /// `support::Opaque`: raw binary value for types without a Rust mapping.
    pub(crate) opaque: bool,
}

impl SupportNeeds {
    pub(crate) fn any(self) -> bool {
        self.interval || self.opaque
    }

    pub(crate) fn merge(&mut self, other: SupportNeeds) {
        self.interval |= other.interval;
        self.opaque |= other.opaque;
    }
}

/// What the type map needs beyond the column type itself.
pub(crate) struct TypeContext<'a> {
    /// Rust name of each enum of the catalog.
    pub(crate) enums: &'a BTreeMap<QualifiedName, Ident>,
    pub(crate) time: TimeCrate,
}

/// The Rust type of a non-null value of `ty`, and the support types it uses.
pub(crate) fn rust_type(ty: &SqlType, ctx: &TypeContext<'_>) -> (TokenStream, SupportNeeds) {
    let mut needs = SupportNeeds::default();
    let base = match base_type(&ty.base, ctx) {
        Mapped::Plain(tokens) => tokens,
        Mapped::Interval => {
            needs.interval = true;
            quote!(super::support::Interval)
        }
        Mapped::Opaque => {
            // A whole array of an unmapped type is one opaque value too: PostgreSQL's binary array
            // format carries the element type, so the bytes bind back as they came.
            needs.opaque = true;
            return (quote!(super::support::Opaque), needs);
        }
    };
    if ty.array {
        (quote!(Vec<#base>), needs)
    } else {
        (base, needs)
    }
}

enum Mapped {
    Plain(TokenStream),
    Interval,
    Opaque,
}

fn base_type(base: &BaseType, ctx: &TypeContext<'_>) -> Mapped {
    let chrono = ctx.time == TimeCrate::Chrono;
    let tokens = match base {
        BaseType::Uuid => quote!(uuid::Uuid),
        // sqlx decodes `String` from text, varchar, bpchar (`char(n)`, blank-padded to n) and citext.
        BaseType::Text | BaseType::Varchar(_) | BaseType::Char(_) | BaseType::Citext => {
            quote!(String)
        }
        BaseType::SmallInt => quote!(i16),
        BaseType::Integer => quote!(i32),
        BaseType::BigInt => quote!(i64),
        BaseType::Real => quote!(f32),
        BaseType::Double => quote!(f64),
        BaseType::Boolean => quote!(bool),
        BaseType::Numeric(_) => quote!(rust_decimal::Decimal),
        BaseType::Date if chrono => quote!(chrono::NaiveDate),
        BaseType::Date => quote!(time::Date),
        BaseType::Time if chrono => quote!(chrono::NaiveTime),
        BaseType::Time => quote!(time::Time),
        BaseType::Timestamp if chrono => quote!(chrono::NaiveDateTime),
        BaseType::Timestamp => quote!(time::PrimitiveDateTime),
        BaseType::Timestamptz if chrono => quote!(chrono::DateTime<chrono::Utc>),
        BaseType::Timestamptz => quote!(time::OffsetDateTime),
        // `chrono::Duration` cannot hold months, so only a months/days/microseconds triple
        // round-trips every interval.
        BaseType::Interval => return Mapped::Interval,
        BaseType::Json | BaseType::Jsonb => quote!(serde_json::Value),
        BaseType::Bytea => quote!(Vec<u8>),
        BaseType::Inet | BaseType::Cidr => quote!(ipnetwork::IpNetwork),
        BaseType::Enum(name) => match ctx.enums.get(name) {
            Some(ident) => quote!(super::enums::#ident),
            // A column of an enum the catalog does not declare still needs a type that decodes.
            None => return Mapped::Opaque,
        },
        BaseType::Other(_) => return Mapped::Opaque,
    };
    Mapped::Plain(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::SqlType;

    fn render(ty: SqlType, time: TimeCrate) -> String {
        let enums = BTreeMap::from([(
            QualifiedName::public("mood"),
            proc_macro2::Ident::new("Mood", proc_macro2::Span::call_site()),
        )]);
        let ctx = TypeContext {
            enums: &enums,
            time,
        };
        let (tokens, needs) = rust_type(&ty, &ctx);
        let file: syn::File = syn::parse_quote!(type T = #tokens;);
        let printed = prettyplease::unparse(&file);
        let rust = printed
            .trim()
            .trim_start_matches("type T = ")
            .trim_end_matches(';');
        let support = match (needs.interval, needs.opaque) {
            (true, _) => " (support: Interval)",
            (_, true) => " (support: Opaque)",
            _ => "",
        };
        format!("{:<16} {rust}{support}", ty.sql())
    }

    #[test]
    fn every_base_type_has_a_rust_type() {
        let bases = [
            BaseType::Uuid,
            BaseType::Text,
            BaseType::Varchar(Some(3)),
            BaseType::Char(2),
            BaseType::SmallInt,
            BaseType::Integer,
            BaseType::BigInt,
            BaseType::Real,
            BaseType::Double,
            BaseType::Boolean,
            BaseType::Numeric(None),
            BaseType::Date,
            BaseType::Time,
            BaseType::Timestamp,
            BaseType::Timestamptz,
            BaseType::Interval,
            BaseType::Json,
            BaseType::Jsonb,
            BaseType::Bytea,
            BaseType::Inet,
            BaseType::Cidr,
            BaseType::Citext,
            BaseType::Enum(QualifiedName::public("mood")),
            BaseType::Enum(QualifiedName::public("undeclared")),
            BaseType::Other("money".into()),
        ];
        let mut lines: Vec<String> = bases
            .iter()
            .map(|base| render(SqlType::scalar(base.clone()), TimeCrate::Chrono))
            .collect();
        lines.push(render(
            SqlType::array_of(BaseType::Interval),
            TimeCrate::Chrono,
        ));
        lines.push(render(
            SqlType::array_of(BaseType::Other("money".into())),
            TimeCrate::Chrono,
        ));
        for base in [
            BaseType::Date,
            BaseType::Time,
            BaseType::Timestamp,
            BaseType::Timestamptz,
        ] {
            lines.push(render(SqlType::scalar(base), TimeCrate::Time));
        }
        insta::assert_snapshot!(lines.join("\n"));
    }
}

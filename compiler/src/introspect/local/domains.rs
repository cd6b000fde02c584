//! Domain checks and defaults as the server prints them: a check is a boolean expression over
//! `VALUE`, read here as a column `value` of the domain's base type (pretty, like
//! `pg_get_constraintdef(oid, true)`), the keyword put back in capitals; a default is coerced to
//! the base type like a column default. What is not known here stays as written, compared
//! token-normalised.

use std::collections::{BTreeMap, BTreeSet};

use super::{print_bool, print_default, Scope, Ty};
use crate::catalog::Domain;
use crate::model::routines::replace_value;

pub(super) fn print(domain: &mut Domain, enums: &BTreeSet<String>) {
    let Some(ty) = Ty::of(&domain.ty) else {
        return;
    };
    let mut columns = BTreeMap::new();
    columns.insert("value".to_string(), ty.clone());
    let scope = Scope {
        columns: &columns,
        enums,
    };
    for check in &mut domain.checks {
        if let Some(printed) = print_bool(&value_lowercase(&check.expr), &scope, true) {
            check.expr = value_keyword(&printed);
        }
    }
    if let Some(default) = &mut domain.default {
        if let Some(printed) = print_default(default, &ty, &scope) {
            *default = printed;
        }
    }
}

fn value_lowercase(text: &str) -> String {
    replace_value(text, "value")
}

fn value_keyword(text: &str) -> String {
    replace_value(text, "VALUE")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{BaseType, DomainCheck, QualifiedName, SqlType};

    #[test]
    fn checks_print_like_the_server() {
        let mut domain = Domain {
            name: QualifiedName::public("amount"),
            ty: SqlType::scalar(BaseType::Numeric(Some((12, 2)))),
            default: Some("0".into()),
            not_null: false,
            checks: vec![DomainCheck {
                name: "amount_check".into(),
                expr: "value >= 0 and VALUE < 100".into(),
            }],
            origin: None,
        };
        print(&mut domain, &BTreeSet::new());
        assert_eq!(
            domain.checks[0].expr,
            "VALUE >= 0::numeric AND VALUE < 100::numeric"
        );
        assert_eq!(replace_value("'value' = value_x", "V"), "'value' = value_x");
    }
}

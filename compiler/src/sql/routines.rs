//! DDL of functions, procedures, triggers and domains.

use super::{ident, literal, qualified};
use crate::catalog::{Domain, DomainCheck, Function, QualifiedName, Trigger};

/// `name(a integer, b text DEFAULT 'x')`: the argument list as declared.
fn arguments(function: &Function) -> String {
    let args: Vec<String> = function
        .signature
        .args
        .iter()
        .map(|a| {
            let mut text = String::new();
            if !a.mode.is_empty() {
                text.push_str(&a.mode.to_uppercase());
                text.push(' ');
            }
            if let Some(name) = &a.name {
                text.push_str(&ident(name));
                text.push(' ');
            }
            text.push_str(&a.ty);
            if let Some(default) = &a.default {
                text.push_str(" DEFAULT ");
                text.push_str(default);
            }
            text
        })
        .collect();
    args.join(", ")
}

/// The identity of a routine for `DROP`: `name(integer, text)`.
pub fn routine_identity(function: &Function) -> String {
    format!(
        "{}({})",
        qualified(&function.name),
        function.identity_types().join(", ")
    )
}

/// A dollar quote tag the body does not contain.
fn dollar_tag(body: &str) -> String {
    let mut tag = "$function$".to_string();
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$function{n}$");
    }
    tag
}

/// `CREATE [OR REPLACE] FUNCTION name(args) RETURNS t LANGUAGE l ... AS $function$body$function$`.
pub fn create_function(function: &Function, or_replace: bool) -> String {
    let s = &function.signature;
    let mut sql = format!(
        "CREATE {}{} {}({})",
        if or_replace { "OR REPLACE " } else { "" },
        if function.procedure {
            "PROCEDURE"
        } else {
            "FUNCTION"
        },
        qualified(&function.name),
        arguments(function)
    );
    if let Some(returns) = &s.returns {
        sql.push_str(&format!(" RETURNS {returns}"));
    }
    sql.push_str(&format!(" LANGUAGE {}", ident(&s.language)));
    if s.window {
        sql.push_str(" WINDOW");
    }
    if !function.procedure {
        sql.push_str(&format!(" {}", s.volatility.to_uppercase()));
        if s.strict {
            sql.push_str(" STRICT");
        }
        if s.leakproof {
            sql.push_str(" LEAKPROOF");
        }
        sql.push_str(&format!(" PARALLEL {}", s.parallel.to_uppercase()));
        if let Some(cost) = &s.cost {
            sql.push_str(&format!(" COST {cost}"));
        }
        if let Some(rows) = &s.rows {
            sql.push_str(&format!(" ROWS {rows}"));
        }
        if let Some(support) = &s.support {
            sql.push_str(&format!(" SUPPORT {support}"));
        }
    }
    if s.security_definer {
        sql.push_str(" SECURITY DEFINER");
    }
    for (name, values) in &s.config {
        let values: Vec<String> = values.iter().map(|v| literal(v)).collect();
        sql.push_str(&format!(" SET {} TO {}", ident(name), values.join(", ")));
    }
    let tag = dollar_tag(&function.body);
    sql.push_str(&format!(" AS {tag}{}{tag}", function.body));
    sql
}

pub fn drop_function(function: &Function) -> String {
    format!(
        "DROP {} {}",
        if function.procedure {
            "PROCEDURE"
        } else {
            "FUNCTION"
        },
        routine_identity(function)
    )
}

/// `CREATE [OR REPLACE] TRIGGER name BEFORE UPDATE OF a ON t FOR EACH ROW WHEN (...) EXECUTE
/// FUNCTION f('x')`.
pub fn create_trigger(trigger: &Trigger, or_replace: bool) -> String {
    let events: Vec<String> = trigger
        .events
        .iter()
        .map(|e| {
            if e == "update" && !trigger.update_of.is_empty() {
                let columns: Vec<String> = trigger.update_of.iter().map(|c| ident(c)).collect();
                format!("UPDATE OF {}", columns.join(", "))
            } else {
                e.to_uppercase()
            }
        })
        .collect();
    let mut sql = format!(
        "CREATE {}TRIGGER {} {} {} ON {} FOR EACH {}",
        if or_replace { "OR REPLACE " } else { "" },
        ident(&trigger.name),
        trigger.timing.to_uppercase(),
        events.join(" OR "),
        qualified(&trigger.table),
        if trigger.for_each_row {
            "ROW"
        } else {
            "STATEMENT"
        }
    );
    if let Some(when) = &trigger.when {
        sql.push_str(&format!(" WHEN ({when})"));
    }
    let args: Vec<String> = trigger.args.iter().map(|a| literal(a)).collect();
    sql.push_str(&format!(
        " EXECUTE FUNCTION {}({})",
        qualified(&trigger.function),
        args.join(", ")
    ));
    sql
}

pub fn drop_trigger(trigger: &Trigger) -> String {
    format!(
        "DROP TRIGGER {} ON {}",
        ident(&trigger.name),
        qualified(&trigger.table)
    )
}

/// `DROP TRIGGER IF EXISTS`: for steps that run again after an interruption.
pub fn drop_trigger_if_exists(name: &str, table: &QualifiedName) -> String {
    format!(
        "DROP TRIGGER IF EXISTS {} ON {}",
        ident(name),
        qualified(table)
    )
}

fn check_clause(check: &DomainCheck) -> String {
    format!("CONSTRAINT {} CHECK ({})", ident(&check.name), check.expr)
}

/// `CREATE DOMAIN name AS t [DEFAULT e] [NOT NULL] [CONSTRAINT c CHECK (e)]...`.
pub fn create_domain(domain: &Domain) -> String {
    let mut sql = format!(
        "CREATE DOMAIN {} AS {}",
        qualified(&domain.name),
        domain.ty.sql()
    );
    if let Some(default) = &domain.default {
        sql.push_str(&format!(" DEFAULT {default}"));
    }
    if domain.not_null {
        sql.push_str(" NOT NULL");
    }
    for check in &domain.checks {
        sql.push(' ');
        sql.push_str(&check_clause(check));
    }
    sql
}

pub fn drop_domain(name: &QualifiedName) -> String {
    format!("DROP DOMAIN {}", qualified(name))
}

pub fn alter_domain(name: &QualifiedName, action: &str) -> String {
    format!("ALTER DOMAIN {} {action}", qualified(name))
}

pub fn add_domain_check(name: &QualifiedName, check: &DomainCheck) -> String {
    alter_domain(name, &format!("ADD {} NOT VALID", check_clause(check)))
}

pub fn validate_domain_check(name: &QualifiedName, check: &str) -> String {
    alter_domain(name, &format!("VALIDATE CONSTRAINT {}", ident(check)))
}

pub fn drop_domain_check(name: &QualifiedName, check: &str) -> String {
    alter_domain(name, &format!("DROP CONSTRAINT {}", ident(check)))
}

pub fn rename_domain_check(name: &QualifiedName, from: &str, to: &str) -> String {
    alter_domain(
        name,
        &format!("RENAME CONSTRAINT {} TO {}", ident(from), ident(to)),
    )
}

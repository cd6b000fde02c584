//! Functions and procedures (paired by name and argument types), triggers (by table and name) and
//! domains (by name). A routine whose return type or arguments change is dropped and created again,
//! with the triggers that call it; any other change is `CREATE OR REPLACE`.

use super::Change;
use crate::catalog::{Catalog, Domain, Function, QualifiedName, Trigger};
use crate::model::routines::{comparable_default, comparable_expr};
use crate::pair::Pair;

pub fn diff_routines(catalogs: Pair<&Catalog>, changes: &mut Vec<Change>) {
    let Pair { current, desired } = catalogs;
    let mut recreated: Vec<&Function> = Vec::new();
    for function in &desired.functions {
        match current.functions.iter().find(|f| f.same_object(function)) {
            None => changes.push(Change::CreateFunction(function.clone())),
            Some(existing) if same_function(existing, function) => {}
            Some(existing)
                if existing.signature.returns == function.signature.returns
                    && same_args(existing, function) =>
            {
                changes.push(Change::ReplaceFunction(function.clone()));
            }
            Some(existing) => {
                changes.push(Change::RecreateFunction {
                    current: existing.clone(),
                    desired: function.clone(),
                });
                recreated.push(existing);
            }
        }
    }
    for function in &current.functions {
        if !function.used_by_unmanaged && !desired.functions.iter().any(|f| f.same_object(function))
        {
            changes.push(Change::DropFunction(function.clone()));
            recreated.push(function);
        }
    }

    // A renamed table keeps its triggers: they are found under the table's current name.
    let current_table = |desired_table: &QualifiedName| -> QualifiedName {
        desired
            .tables
            .iter()
            .find(|t| &t.name == desired_table)
            .and_then(|t| t.renamed_from.clone())
            .filter(|old| current.tables.iter().any(|t| &t.name == old))
            .unwrap_or_else(|| desired_table.clone())
    };
    for trigger in &desired.triggers {
        let calls_recreated = recreated.iter().any(|f| f.name == trigger.function);
        let table = current_table(&trigger.table);
        match current
            .triggers
            .iter()
            .find(|t| t.table == table && t.name == trigger.name)
        {
            None => changes.push(Change::CreateTrigger(trigger.clone())),
            // Dropped with its function (`DROP FUNCTION` refuses while a trigger calls it).
            Some(existing) if calls_recreated => {
                changes.push(Change::DropTrigger(existing.clone()));
                changes.push(Change::CreateTrigger(trigger.clone()));
            }
            Some(existing) if same_trigger(existing, trigger) => {}
            Some(_) => changes.push(Change::ReplaceTrigger(trigger.clone())),
        }
    }
    for trigger in &current.triggers {
        if !desired
            .triggers
            .iter()
            .any(|t| current_table(&t.table) == trigger.table && t.name == trigger.name)
            // A dropped table takes its triggers with it.
            && desired
                .tables
                .iter()
                .any(|t| current_table(&t.name) == trigger.table)
        {
            changes.push(Change::DropTrigger(trigger.clone()));
        }
    }

    for domain in &desired.domains {
        match current.domains.iter().find(|d| d.name == domain.name) {
            None => changes.push(Change::CreateDomain(domain.clone())),
            Some(existing) if same_domain(existing, domain) => {}
            Some(existing) => changes.push(Change::AlterDomain {
                current: existing.clone(),
                desired: domain.clone(),
            }),
        }
    }
    for domain in &current.domains {
        if !desired.domains.iter().any(|d| d.name == domain.name) {
            changes.push(Change::DropDomain(domain.clone()));
        }
    }
}

fn same_function(a: &Function, b: &Function) -> bool {
    let without_args = |f: &Function| {
        let mut s = f.signature.clone();
        s.args.clear();
        s
    };
    without_args(a) == without_args(b)
        && same_args(a, b)
        && a.body == b.body
        && a.procedure == b.procedure
}

/// Arguments equal but for how a default is spelt (the server adds casts to literals).
fn same_args(a: &Function, b: &Function) -> bool {
    let args = |f: &Function| -> Vec<_> {
        f.signature
            .args
            .iter()
            .map(|arg| {
                let mut arg = arg.clone();
                arg.default = arg.default.as_deref().map(comparable_default);
                arg
            })
            .collect()
    };
    args(a) == args(b)
}

fn same_trigger(a: &Trigger, b: &Trigger) -> bool {
    let when = |t: &Trigger| t.when.as_deref().map(comparable_expr);
    a.timing == b.timing
        && a.events == b.events
        && a.update_of == b.update_of
        && a.for_each_row == b.for_each_row
        && when(a) == when(b)
        && a.function == b.function
        && a.args == b.args
}

/// A check the domain has with the same name and condition.
pub fn same_check(a: &crate::catalog::DomainCheck, b: &crate::catalog::DomainCheck) -> bool {
    a.name == b.name && comparable_expr(&a.expr) == comparable_expr(&b.expr)
}

fn same_domain(a: &Domain, b: &Domain) -> bool {
    a.ty == b.ty
        && a.not_null == b.not_null
        && a.default.as_deref().map(comparable_expr) == b.default.as_deref().map(comparable_expr)
        && a.checks.len() == b.checks.len()
        && a.checks
            .iter()
            .all(|c| b.checks.iter().any(|d| same_check(c, d)))
}

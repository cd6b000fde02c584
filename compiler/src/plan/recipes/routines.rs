//! Functions, procedures, triggers and domains. Routines are created with `check_function_bodies =
//! off` (as pg_dump does), so an SQL body may name tables the plan creates later; they come before
//! the tables (domains are column types) and triggers after the tables, columns and backfills they
//! fire on, so a new trigger never fires on the plan's own batched backfill. A domain check is
//! added `NOT VALID` and validated without blocking writes; a changed one replaces the old under a
//! temporary name.

use super::create::example_key;
use super::{phase, Context, Planned};
use crate::catalog::{Domain, QualifiedName};
use crate::diff::diff_helpers::same_check;
use crate::diff::Change;
use crate::plan::hazards::Hazard;
use crate::plan::step::{LockLevel, Resource, Step, StepKind};
use crate::sql::routines as ddl;

pub fn plan(ctx: &Context, change: &Change, planned: &mut Planned) {
    match change {
        Change::CreateFunction(f) | Change::ReplaceFunction(f) => {
            let replace = matches!(change, Change::ReplaceFunction(_));
            let kind = if replace {
                StepKind::ReplaceFunction
            } else {
                StepKind::CreateFunction
            };
            planned.steps.push(
                Step::sql(
                    kind,
                    f.display(),
                    phase::TYPES,
                    vec![
                        "SET LOCAL check_function_bodies = off".to_string(),
                        ddl::create_function(f, replace),
                    ],
                )
                .needs(namespace(&f.name.schema))
                .needs(f.signature.args.iter().flat_map(|a| type_needs(&a.ty)))
                .needs(
                    f.signature
                        .returns
                        .iter()
                        .flat_map(|r| type_needs(r.strip_prefix("setof ").unwrap_or(r))),
                )
                .provides([Resource::Function(f.name.clone())]),
            );
        }
        // One transaction: callers never see the function missing.
        Change::RecreateFunction { current, desired } => planned.steps.push(
            Step::sql(
                StepKind::ReplaceFunction,
                desired.display(),
                phase::TYPES,
                vec![
                    "SET LOCAL check_function_bodies = off".to_string(),
                    ddl::drop_function(current),
                    ddl::create_function(desired, false),
                ],
            )
            .needs(namespace(&desired.name.schema))
            .removes([Resource::Function(desired.name.clone())])
            .provides([Resource::Function(desired.name.clone())]),
        ),
        Change::DropFunction(f) => planned.steps.push(
            Step::sql(
                StepKind::DropFunction,
                f.display(),
                phase::DROP_TYPES,
                vec![ddl::drop_function(f)],
            )
            .hazard(Hazard::drops_routine(&f.display()))
            .removes([Resource::Function(f.name.clone())]),
        ),
        Change::CreateTrigger(t) | Change::ReplaceTrigger(t) => {
            let replace = matches!(change, Change::ReplaceTrigger(_));
            let kind = if replace {
                StepKind::ReplaceTrigger
            } else {
                StepKind::CreateTrigger
            };
            let mut needs = vec![
                Resource::Table(t.table.clone()),
                Resource::Function(t.function.clone()),
            ];
            needs.extend(
                t.update_of
                    .iter()
                    .map(|c| Resource::Column(t.table.clone(), c.clone())),
            );
            planned.steps.push(
                Step::sql(
                    kind,
                    format!("{}.{}", t.table, t.name),
                    phase::KEYS,
                    vec![ddl::create_trigger(t, replace)],
                )
                .on_table(&t.table)
                .lock(LockLevel::ShareRowExclusiveInstant)
                .needs(needs),
            );
        }
        Change::DropTrigger(t) => planned.steps.push(
            Step::sql(
                StepKind::DropTrigger,
                format!("{}.{}", t.table, t.name),
                // Before any rename, while the table has the name the trigger was read under.
                phase::SETUP,
                vec![ddl::drop_trigger(t)],
            )
            .on_table(&t.table)
            .lock(LockLevel::AccessExclusiveInstant)
            .releases([Resource::Function(t.function.clone())]),
        ),
        Change::CreateDomain(d) => planned.steps.push(create_domain(d)),
        Change::DropDomain(d) => planned.steps.push(drop_domain(d)),
        Change::AlterDomain { current, desired } => alter_domain(ctx, current, desired, planned),
        _ => {}
    }
}

fn create_domain(d: &Domain) -> Step {
    Step::sql(
        StepKind::CreateDomain,
        d.name.to_string(),
        phase::TYPES,
        vec![ddl::create_domain(d)],
    )
    .needs(namespace(&d.name.schema))
    .provides([Resource::Type(d.name.clone())])
}

fn drop_domain(d: &Domain) -> Step {
    Step::sql(
        StepKind::DropDomain,
        d.name.to_string(),
        phase::DROP_TYPES,
        vec![ddl::drop_domain(&d.name)],
    )
    .lock(LockLevel::AccessExclusiveInstant)
    .removes([Resource::Type(d.name.clone())])
}

fn alter_domain(ctx: &Context, current: &Domain, desired: &Domain, planned: &mut Planned) {
    let name = &desired.name;
    let target = name.to_string();
    let brief = |statements: Vec<String>| {
        Step::sql(
            StepKind::AlterDomain,
            target.clone(),
            phase::TYPES,
            statements,
        )
        .lock(LockLevel::AccessExclusiveInstant)
    };
    if current.ty != desired.ty {
        // A domain's base type cannot change in place.
        planned.steps.push(
            Step::sql(
                StepKind::DropDomain,
                target.clone(),
                phase::SETUP,
                vec![ddl::drop_domain(name)],
            )
            .lock(LockLevel::AccessExclusiveInstant),
        );
        planned.steps.push(create_domain(desired));
        return;
    }
    let comparable = |d: &Domain| {
        d.default
            .as_deref()
            .map(crate::model::routines::comparable_expr)
    };
    if comparable(current) != comparable(desired) {
        let action = match &desired.default {
            Some(default) => format!("SET DEFAULT {default}"),
            None => "DROP DEFAULT".to_string(),
        };
        planned
            .steps
            .push(brief(vec![ddl::alter_domain(name, &action)]));
    }
    if current.not_null != desired.not_null {
        let (action, lock) = if desired.not_null {
            // Checks every column of the domain's type for NULLs.
            ("SET NOT NULL", LockLevel::ShareForScan)
        } else {
            ("DROP NOT NULL", LockLevel::AccessExclusiveInstant)
        };
        planned.steps.push(
            Step::sql(
                StepKind::AlterDomain,
                target.clone(),
                phase::TYPES,
                vec![ddl::alter_domain(name, action)],
            )
            .lock(lock),
        );
        if desired.not_null {
            if let Some(step) = planned.steps.last_mut() {
                step.hazards.push(Hazard::validates_domain(&target));
            }
        }
    }
    for check in &desired.checks {
        if current.checks.iter().any(|c| same_check(c, check)) {
            continue;
        }
        let replaced = current.checks.iter().any(|c| c.name == check.name);
        let added_name = if replaced {
            format!("{}_schemac_new", check.name)
        } else {
            check.name.clone()
        };
        let added = crate::catalog::DomainCheck {
            name: added_name.clone(),
            expr: check.expr.clone(),
        };
        check_preflight(ctx, desired, check, planned);
        planned
            .steps
            .push(brief(vec![ddl::add_domain_check(name, &added)]));
        // Up to PostgreSQL 18, VALIDATE holds SHARE on every table with a column of the domain
        // while it scans them (19 lowers it to SHARE UPDATE EXCLUSIVE); new rows are checked from
        // the NOT VALID step on.
        planned.steps.push(
            Step::sql(
                StepKind::AlterDomain,
                target.clone(),
                phase::TYPES,
                vec![ddl::validate_domain_check(name, &added_name)],
            )
            .lock(LockLevel::ShareForScan)
            .hazard(Hazard::validates_domain(&target)),
        );
        if replaced {
            planned.steps.push(brief(vec![
                ddl::drop_domain_check(name, &check.name),
                ddl::rename_domain_check(name, &added_name, &check.name),
            ]));
        }
    }
    for check in &current.checks {
        if !desired.checks.iter().any(|c| c.name == check.name) {
            planned.steps.push(
                brief(vec![ddl::drop_domain_check(name, &check.name)])
                    .hazard(Hazard::drops_constraint(&check.name)),
            );
        }
    }
}

/// Rows of every column of the domain's type that the new check would reject: the plan stops
/// before anything changes, naming the table, column and an example row.
fn check_preflight(
    ctx: &Context,
    domain: &Domain,
    check: &crate::catalog::DomainCheck,
    planned: &mut Planned,
) {
    let type_name = crate::model::domain_type_name(&domain.name);
    for table in &ctx.catalogs.current.tables {
        if !ctx.has_rows(&table.name) {
            continue;
        }
        for column in &table.columns {
            if column.ty.array
                || column.ty.base != crate::catalog::BaseType::Other(type_name.clone())
            {
                continue;
            }
            let col = crate::sql::ident(&column.name);
            let condition = crate::model::routines::replace_value(&check.expr, &col);
            planned.preflight.push(crate::plan::Preflight {
                target: format!("{}.{}", domain.name, check.name),
                sql: format!(
                    "SELECT count(*)::bigint, min(concat({key}, ' with `{column}` = ', quote_nullable({col}::text))) FROM {table} WHERE NOT ({condition})",
                    key = example_key(table),
                    column = column.name,
                    table = crate::sql::qualified(&table.name),
                ),
                message: format!(
                    "rows of `{}` hold values of `{}` that check `{}` of domain `{}` would reject",
                    table.name, column.name, check.name, domain.name
                ),
                help: Some(format!(
                    "change those values of `{}.{}` first, or relax the check",
                    table.name, column.name
                )),
                per_row: None,
            });
        }
    }
}

fn namespace(schema: &str) -> Vec<Resource> {
    if schema == "public" {
        Vec::new()
    } else {
        vec![Resource::Namespace(schema.to_string())]
    }
}

/// A type an argument or result names: a domain or enum, or a table's row type (`setof films`).
fn type_needs(ty: &str) -> Vec<Resource> {
    if ty.starts_with("table(") {
        return Vec::new();
    }
    let name = type_name(ty);
    vec![Resource::Type(name.clone()), Resource::Table(name)]
}

/// The type an argument names, as a resource (a domain or enum the plan may create).
pub fn type_name(ty: &str) -> QualifiedName {
    let ty = ty.trim_end_matches("[]");
    match ty.split_once('.') {
        Some((schema, name)) => {
            QualifiedName::new(schema.trim_matches('"'), name.trim_matches('"'))
        }
        None => QualifiedName::public(ty.trim_matches('"')),
    }
}

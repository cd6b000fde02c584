//! Functions, procedures, triggers and domains. Routines are created with `check_function_bodies =
//! off` (as pg_dump does), so an SQL body may name tables the plan creates later; they come before
//! the tables (domains are column types) and triggers after the tables, columns and backfills they
//! fire on, so a new trigger never fires on the plan's own batched backfill. A domain check is
//! added `NOT VALID` and validated without blocking writes; a changed one replaces the old under a
//! temporary name.

use super::create::example_key;
use super::{phase, Context, Planned};
use crate::catalog::{Domain, Function, QualifiedName, Trigger};
use crate::diff::diff_helpers::same_check;
use crate::plan::deliberate::Deliberate;
use crate::plan::hazards::Hazard;
use crate::plan::step::{LockLevel, Resource, Step, StepKind};
use crate::sql::routines as ddl;

/// A `function`/`procedure` the database lacks, or (`replace`) one with the same name, arguments
/// and result but another body or attributes: `CREATE [OR REPLACE]`.
pub fn create_function(f: &Function, replace: bool, planned: &mut Planned) {
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

/// Same name and argument types, another result or argument list: dropped and created again, in
/// one transaction, so callers never see the function missing.
pub fn recreate_function(current: &Function, desired: &Function, planned: &mut Planned) {
    planned.steps.push(
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
        .breaking(1, Deliberate::DropsRoutine)
        .needs(namespace(&desired.name.schema))
        .removes([Resource::Function(desired.name.clone())])
        .provides([Resource::Function(desired.name.clone())]),
    );
}

/// A function the schema does not declare.
pub fn drop_function(f: &Function, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::DropFunction,
            f.display(),
            phase::DROP_TYPES,
            vec![ddl::drop_function(f)],
        )
        .breaking(0, Deliberate::DropsRoutine)
        .hazard(Hazard::drops_routine(&f.display()))
        .removes([Resource::Function(f.name.clone())]),
    );
}

/// A trigger the table lacks, or (`replace`) one defined otherwise: `CREATE [OR REPLACE] TRIGGER`.
pub fn create_trigger(t: &Trigger, replace: bool, planned: &mut Planned) {
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

/// A trigger the schema does not declare.
pub fn drop_trigger(t: &Trigger, planned: &mut Planned) {
    planned.steps.push(
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
    );
}

pub fn create_domain(d: &Domain) -> Step {
    Step::sql(
        StepKind::CreateDomain,
        d.name.to_string(),
        phase::TYPES,
        vec![ddl::create_domain(d)],
    )
    .breaking(
        0,
        (!d.checks.is_empty()).then_some(Deliberate::CreatesDomainWithCheck),
    )
    .needs(namespace(&d.name.schema))
    .provides([Resource::Type(d.name.clone())])
}

pub fn drop_domain(d: &Domain) -> Step {
    Step::sql(
        StepKind::DropDomain,
        d.name.to_string(),
        phase::DROP_TYPES,
        vec![ddl::drop_domain(&d.name)],
    )
    .breaking(0, Deliberate::DropsDomain)
    .lock(LockLevel::AccessExclusiveInstant)
    .removes([Resource::Type(d.name.clone())])
}

pub fn alter_domain(ctx: &Context, current: &Domain, desired: &Domain, planned: &mut Planned) {
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
            .breaking(0, Deliberate::DropsDomain)
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
        let (action, why) = match &desired.default {
            Some(default) => (format!("SET DEFAULT {default}"), None),
            None => ("DROP DEFAULT".to_string(), Some(Deliberate::DropsDefault)),
        };
        planned
            .steps
            .push(brief(vec![ddl::alter_domain(name, &action)]).breaking(0, why));
    }
    if current.not_null != desired.not_null {
        let (action, lock, why) = if desired.not_null {
            // Checks every column of the domain's type for NULLs.
            ("SET NOT NULL", LockLevel::ShareForScan, None)
        } else {
            (
                "DROP NOT NULL",
                LockLevel::AccessExclusiveInstant,
                Some(Deliberate::DropsNotNull),
            )
        };
        planned.steps.push(
            Step::sql(
                StepKind::AlterDomain,
                target.clone(),
                phase::TYPES,
                vec![ddl::alter_domain(name, action)],
            )
            .breaking(0, why)
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
            crate::own_names::replacement_check(&check.name)
        } else {
            check.name.clone()
        };
        let added = crate::catalog::DomainCheck {
            name: added_name.clone(),
            expr: check.expr.clone(),
        };
        check_preflight(ctx, desired, check, planned);
        planned.steps.push(
            brief(vec![ddl::add_domain_check(name, &added)])
                .breaking(0, Deliberate::AddsDomainCheckNotValid),
        );
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
            planned.steps.push(
                brief(vec![
                    ddl::drop_domain_check(name, &check.name),
                    ddl::rename_domain_check(name, &added_name, &check.name),
                ])
                .breaking(0, Deliberate::DropsConstraint)
                .breaking(1, Deliberate::RenamesObject),
            );
        }
    }
    for check in &current.checks {
        if !desired.checks.iter().any(|c| c.name == check.name) {
            planned.steps.push(
                brief(vec![ddl::drop_domain_check(name, &check.name)])
                    .breaking(0, Deliberate::DropsConstraint)
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

//! Row-level security, policies and grants. Policies are created before RLS is enabled and RLS is
//! disabled before policies are dropped, so no table is ever locked down with no policy in force
//! (ONLINE-SAFETY.md 3H).

use std::collections::BTreeMap;

use super::{phase, target, Context, Planned};
use crate::catalog::{Grant, Policy, Privilege, QualifiedName};
use crate::diff::Change;
use crate::plan::hazards::Hazard;
use crate::plan::step::{LockLevel, Resource, Step, StepKind};
use crate::sql::ddl;

pub fn plan(ctx: &Context, change: &Change, planned: &mut Planned) {
    let steps = &mut planned.steps;
    match change {
        Change::SetRowLevelSecurity {
            table,
            enabled: true,
        } => {
            let policies = desired_policies(ctx, table);
            let mut needs = vec![Resource::Table(table.clone())];
            needs.extend(
                policies
                    .iter()
                    .map(|p| Resource::Policy(table.clone(), p.name.clone())),
            );
            if let Some(tenancy) = &ctx.catalogs.desired.tenancy {
                if ctx
                    .catalogs
                    .desired
                    .table(table)
                    .is_some_and(|t| t.column(&tenancy.column).is_some())
                {
                    needs.push(Resource::Column(table.clone(), tenancy.column.clone()));
                }
            }
            steps.push(
                Step::sql(
                    StepKind::EnableRowLevelSecurity,
                    table.to_string(),
                    phase::SECURITY + 1,
                    vec![ddl::enable_rls(table)],
                )
                .on_table(table)
                .lock(LockLevel::AccessExclusiveInstant)
                .hazard(Hazard::enables_rls(&table.name))
                .hazard(visibility(ctx, table, &policies))
                .needs(needs),
            );
        }
        Change::SetRowLevelSecurity {
            table,
            enabled: false,
        } => {
            let current = ctx
                .catalogs
                .current
                .table(&super::current_table_name(ctx.catalogs, table));
            let releases: Vec<Resource> = current
                .map(|t| {
                    t.policies
                        .iter()
                        .map(|p| Resource::Policy(table.clone(), p.name.clone()))
                        .collect()
                })
                .unwrap_or_default();
            steps.push(
                Step::sql(
                    StepKind::DisableRowLevelSecurity,
                    table.to_string(),
                    phase::DETACH,
                    vec![ddl::disable_rls(table)],
                )
                .on_table(table)
                .lock(LockLevel::AccessExclusiveInstant)
                .hazard(Hazard::exposes_rows(
                    &table.name,
                    "row-level security turned off",
                ))
                .needs([Resource::Table(table.clone())])
                .releases(releases),
            );
        }
        Change::SetForceRowLevelSecurity { table, forced } => {
            let (kind, statement) = if *forced {
                (StepKind::ForceRowLevelSecurity, ddl::force_rls(table))
            } else {
                (StepKind::NoForceRowLevelSecurity, ddl::no_force_rls(table))
            };
            let mut step = Step::sql(
                kind,
                table.to_string(),
                phase::SECURITY + 1,
                vec![statement],
            )
            .on_table(table)
            .lock(LockLevel::AccessExclusiveInstant)
            .needs([Resource::Table(table.clone())]);
            if !forced {
                step = step.hazard(Hazard::exposes_rows(
                    &table.name,
                    "the table owner no longer subject to policies",
                ));
            }
            steps.push(step);
        }
        Change::CreatePolicy { table, policy } => steps.push(create_policy(ctx, table, policy)),
        Change::AlterPolicy {
            table,
            current,
            desired,
        } => {
            let statements = if current.command == desired.command {
                vec![ddl::alter_policy(table, desired)]
            } else {
                vec![
                    ddl::drop_policy(table, &current.name),
                    ddl::create_policy(table, desired),
                ]
            };
            steps.push(
                Step::sql(
                    StepKind::AlterPolicy,
                    target(table, &desired.name),
                    phase::SECURITY,
                    statements,
                )
                .on_table(table)
                .lock(LockLevel::AccessExclusiveInstant)
                .hazard(Hazard::exposes_rows(
                    &table.name,
                    &format!("policy `{}` changed", desired.name),
                ))
                .needs(policy_needs(ctx, table, desired))
                .provides([Resource::Policy(table.clone(), desired.name.clone())]),
            );
        }
        Change::DropPolicy { table, policy } => steps.push(
            Step::sql(
                StepKind::DropPolicy,
                target(table, &policy.name),
                phase::DETACH,
                vec![ddl::drop_policy(table, &policy.name)],
            )
            .on_table(table)
            .lock(LockLevel::AccessExclusiveInstant)
            .destructive()
            .hazard(Hazard::exposes_rows(
                &table.name,
                &format!("policy `{}` dropped", policy.name),
            ))
            .needs([Resource::Table(table.clone())])
            .removes([Resource::Policy(table.clone(), policy.name.clone())]),
        ),
        Change::Grant { table, grants } => {
            for (role, privileges) in by_role(grants) {
                steps.push(
                    Step::sql(
                        StepKind::Grant,
                        format!("{table}.{role}"),
                        phase::SECURITY,
                        vec![ddl::grant(table, &role, &privileges)],
                    )
                    .on_table(table)
                    .needs([Resource::Table(table.clone()), Resource::Role(role.clone())]),
                );
            }
        }
        Change::Revoke { table, grants } => {
            for (role, privileges) in by_role(grants) {
                steps.push(
                    Step::sql(
                        StepKind::Revoke,
                        format!("{table}.{role}"),
                        phase::DETACH,
                        vec![ddl::revoke(table, &role, &privileges)],
                    )
                    .on_table(table)
                    .hazard(Hazard::revokes_privilege(&table.name, &role))
                    .needs([Resource::Table(table.clone())]),
                );
            }
        }
        _ => {}
    }
}

fn by_role(grants: &[Grant]) -> BTreeMap<String, Vec<Privilege>> {
    let mut roles: BTreeMap<String, Vec<Privilege>> = BTreeMap::new();
    for grant in grants {
        roles
            .entry(grant.role.clone())
            .or_default()
            .push(grant.privilege);
    }
    roles
}

fn desired_policies(ctx: &Context, table: &QualifiedName) -> Vec<Policy> {
    ctx.catalogs
        .desired
        .table(table)
        .map(|t| t.policies.clone())
        .unwrap_or_default()
}

fn policy_needs(ctx: &Context, table: &QualifiedName, policy: &Policy) -> Vec<Resource> {
    let mut needs = vec![Resource::Table(table.clone())];
    needs.extend(
        policy
            .roles
            .iter()
            .filter(|r| r.as_str() != "public")
            .map(|r| Resource::Role(r.clone())),
    );
    // The tenant policy filters on the tenant column: create it once the column is filled and NOT NULL.
    if let Some(tenancy) = &ctx.catalogs.desired.tenancy {
        let mentions =
            |text: &Option<String>| text.as_deref().is_some_and(|t| t.contains(&tenancy.column));
        if (mentions(&policy.using) || mentions(&policy.with_check))
            && ctx
                .catalogs
                .desired
                .table(table)
                .is_some_and(|t| t.column(&tenancy.column).is_some())
        {
            needs.push(Resource::Column(table.clone(), tenancy.column.clone()));
        }
    }
    needs
}

fn create_policy(ctx: &Context, table: &QualifiedName, policy: &Policy) -> Step {
    Step::sql(
        StepKind::CreatePolicy,
        target(table, &policy.name),
        phase::SECURITY,
        vec![ddl::create_policy(table, policy)],
    )
    .on_table(table)
    .lock(LockLevel::AccessExclusiveInstant)
    .needs(policy_needs(ctx, table, policy))
    .provides([Resource::Policy(table.clone(), policy.name.clone())])
}

/// Who sees which rows once RLS is on: one clause per policy, for the plan's reviewer.
fn visibility(ctx: &Context, table: &QualifiedName, policies: &[Policy]) -> Hazard {
    let forced = ctx
        .catalogs
        .desired
        .table(table)
        .is_some_and(|t| t.rls_forced);
    let mut clauses: Vec<String> = policies
        .iter()
        .map(|p| {
            let roles = if p.roles.is_empty() {
                "every role".to_string()
            } else {
                p.roles.join(", ")
            };
            let rows = match p.using.as_deref() {
                Some("true") => "every row".to_string(),
                Some(expr) => format!("rows where {expr}"),
                None => "no rows".to_string(),
            };
            format!("{roles} ({}) sees {rows}", p.command.sql())
        })
        .collect();
    if clauses.is_empty() {
        clauses
            .push("no policy: no role but superusers and BYPASSRLS roles sees any row".to_string());
    }
    clauses.push(if forced {
        "the owner is subject to the policies too (FORCE)".into()
    } else {
        "the table owner sees every row".into()
    });
    Hazard {
        code: "row-visibility",
        message: format!("afterwards on `{}`: {}", table.name, clauses.join("; ")),
    }
}

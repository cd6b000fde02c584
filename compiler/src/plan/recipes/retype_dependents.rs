//! What PostgreSQL will not retype a column under ("cannot alter type of a column used in a
//! policy definition / trigger definition / by a generated column"): policies that read the column
//! (its table's, and other tables' through a subquery), triggers whose `UPDATE OF` or `WHEN` names
//! it (the user's and schemac's fill triggers), and generated columns computed from it.
//! In: the column and both catalogs. Out: the statements that take them away before the
//! `ALTER TYPE` and bring them back after it, as the schema has them, in the same transaction (so
//! no write ever runs without them), with what orders the step against their own steps.
//! Matching is by name in the expression text: a false match only recreates an object as it is.

use super::not_null::{fill_trigger, own_name};
use super::{fill, Context};
use crate::catalog::{IndexKey, Policy, QualifiedName};
use crate::own_names::ColumnObject;
use crate::plan::deliberate::Deliberate;
use crate::plan::step::Resource;
use crate::sql::{self, ddl};

/// One statement, and why it breaks a linter rule where it does on purpose.
pub type Statement = (String, Option<Deliberate>);

/// The statements around a retype, and its extra ordering.
#[derive(Debug, Default)]
pub struct Dependents {
    /// Before the retype: drop each dependent.
    pub before: Vec<Statement>,
    /// After it: create each again.
    pub after: Vec<Statement>,
    /// What the recreated objects need (roles, functions, columns).
    pub needs: Vec<Resource>,
    /// Objects recreated as they were, for their own drop step to remove after this one.
    pub releases: Vec<Resource>,
    /// A generated column reads the column (handled above or not: the online recipe's swap could
    /// not drop the column under it either way).
    pub read_by_generated: bool,
}

impl Dependents {
    /// Whether anything depends on the column.
    pub fn any(&self) -> bool {
        !self.before.is_empty() || self.read_by_generated
    }
}

/// The dependents of `column` (its current name) of `table`: `desired` is the table's name in the
/// schema, `current` in the database.
pub fn of(
    ctx: &Context,
    desired: &QualifiedName,
    current: &QualifiedName,
    column: &str,
) -> Dependents {
    let mut found = Dependents::default();
    policies(ctx, desired, current, column, &mut found);
    triggers(ctx, desired, current, column, &mut found);
    fill_triggers(ctx, desired, current, column, &mut found);
    // Generated columns come back first: the policies and triggers made again may read them.
    let mut generated = Dependents::default();
    generated_columns(ctx, desired, current, column, &found, &mut generated);
    found.before.append(&mut generated.before);
    generated.after.append(&mut found.after);
    found.after = generated.after;
    found.needs.extend(generated.needs);
    found.releases.extend(generated.releases);
    found.read_by_generated = generated.read_by_generated;
    found
}

/// Each comes back as the schema has it; one the schema drops comes back as it was, for its own
/// step to drop after this one. Statements name the retyped table as the schema does: a rename
/// runs before the retype.
fn policies(
    ctx: &Context,
    desired: &QualifiedName,
    current: &QualifiedName,
    column: &str,
    found: &mut Dependents,
) {
    let mentions = |policy: &Policy, words: &[&str]| {
        [&policy.using, &policy.with_check]
            .into_iter()
            .flatten()
            .any(|expr| words.iter().all(|word| expr.contains(word)))
    };
    for other in &ctx.catalogs.current.tables {
        let (name, words): (&QualifiedName, &[&str]) = if &other.name == current {
            (desired, &[column])
        } else {
            (&other.name, &[&current.name, column])
        };
        for policy in other.policies.iter().filter(|p| mentions(p, words)) {
            found
                .before
                .push((ddl::drop_policy(name, &policy.name), None));
            let wanted = ctx
                .catalogs
                .desired
                .table(name)
                .and_then(|t| t.policies.iter().find(|p| p.name == policy.name));
            match wanted {
                Some(wanted) => {
                    found.after.push((ddl::create_policy(name, wanted), None));
                    found
                        .needs
                        .extend(super::security::policy_needs(ctx, name, wanted));
                }
                None => {
                    found.after.push((ddl::create_policy(name, policy), None));
                    found
                        .releases
                        .push(Resource::Policy(name.clone(), policy.name.clone()));
                }
            }
        }
    }
}

/// The user's triggers; one the schema drops is dropped by its own step, which runs first (phase
/// `SETUP`), hence `IF EXISTS`.
fn triggers(
    ctx: &Context,
    desired: &QualifiedName,
    current: &QualifiedName,
    column: &str,
    found: &mut Dependents,
) {
    for trigger in ctx.catalogs.current.triggers.iter().filter(|t| {
        &t.table == current
            && (t.update_of.iter().any(|c| c == column)
                || t.when.as_deref().is_some_and(|w| w.contains(column)))
    }) {
        found.before.push((
            sql::routines::drop_trigger_if_exists(&trigger.name, desired),
            None,
        ));
        let wanted = ctx
            .catalogs
            .desired
            .triggers
            .iter()
            .find(|t| &t.table == desired && t.name == trigger.name);
        if let Some(wanted) = wanted {
            found
                .after
                .push((sql::routines::create_trigger(wanted, true), None));
            found
                .needs
                .push(Resource::Function(wanted.function.clone()));
        }
    }
}

/// schemac's fill triggers (`UPDATE OF` the first hop's columns, `WHEN` the tenant column is
/// NULL); one the schema no longer wants is dropped by the fill recipe (`IF EXISTS`).
fn fill_triggers(
    ctx: &Context,
    desired: &QualifiedName,
    current: &QualifiedName,
    column: &str,
    found: &mut Dependents,
) {
    let wanted = fill::wanted(ctx.catalogs.desired);
    for trigger in ctx.catalogs.current.fill_triggers.iter().filter(|t| {
        &t.table == current
            && (t.update_of.iter().any(|c| c == column)
                || t.name == own_name(current, column, ColumnObject::Fill))
    }) {
        found.before.push((
            sql::routines::drop_trigger_if_exists(&trigger.name, desired),
            None,
        ));
        if let Some(want) = wanted
            .iter()
            .find(|w| &w.table == desired && w.name == trigger.name)
        {
            let function = QualifiedName::new(desired.schema.clone(), want.name.clone());
            found.after.push((
                fill_trigger(desired, &want.column, &function, Some(&want.update_of())),
                None,
            ));
        }
    }
}

/// Stored or virtual generated columns computed from the column: dropped and added again (their
/// values are computed, so nothing is lost; the retype rewrites the table anyway), with what uses
/// them: their policies and triggers, and their indexes and checks, which `DROP COLUMN` takes
/// with it. One with a key, a foreign key or an index or check the schema drops is left alone: the
/// retype then fails in its transaction, saying why, rather than lose them.
fn generated_columns(
    ctx: &Context,
    desired: &QualifiedName,
    current: &QualifiedName,
    column: &str,
    listed: &Dependents,
    found: &mut Dependents,
) {
    let Some(table) = ctx.catalogs.current.table(current) else {
        return;
    };
    let wanted_table = ctx.catalogs.desired.table(desired);
    for generated in table
        .columns
        .iter()
        .filter(|c| c.name != column && c.generated.as_deref().is_some_and(|g| g.contains(column)))
    {
        found.read_by_generated = true;
        let name = generated.name.as_str();
        let keyed = table
            .primary_key
            .iter()
            .any(|k| k.columns.iter().any(|c| c == name))
            || table
                .uniques
                .iter()
                .any(|u| u.columns.iter().any(|c| c == name))
            || table
                .foreign_keys
                .iter()
                .any(|f| f.columns.iter().any(|c| c == name))
            || ctx.catalogs.current.tables.iter().any(|t| {
                t.foreign_keys.iter().any(|f| {
                    &f.referenced_table == current && f.referenced_columns.iter().any(|c| c == name)
                })
            });
        let indexes: Vec<_> = table
            .indexes
            .iter()
            .filter(|index| {
                index.keys.iter().any(|key| match key {
                    IndexKey::Column(c) => c == name,
                    IndexKey::Expr(expr) => expr.contains(name),
                }) || index.predicate.as_deref().is_some_and(|p| p.contains(name))
            })
            .map(|index| wanted_table.and_then(|t| t.indexes.iter().find(|i| i.name == index.name)))
            .collect();
        let checks: Vec<_> = table
            .checks
            .iter()
            .filter(|check| check.expr.contains(name))
            .map(|check| wanted_table.and_then(|t| t.checks.iter().find(|c| c.name == check.name)))
            .collect();
        if keyed || indexes.iter().any(Option::is_none) || checks.iter().any(Option::is_none) {
            continue;
        }
        // What uses the generated column, less what uses the retyped column too (listed already).
        let inner = of(ctx, desired, current, name);
        let before: Vec<Statement> = inner
            .before
            .into_iter()
            .filter(|s| !listed.before.contains(s) && !found.before.contains(s))
            .collect();
        let after: Vec<Statement> = inner
            .after
            .into_iter()
            .filter(|s| !listed.after.contains(s) && !found.after.contains(s))
            .collect();
        found.before.extend(before);
        found.before.push((
            ddl::drop_column(desired, name),
            Some(Deliberate::RecomputesGeneratedColumn),
        ));
        let wanted = wanted_table
            .and_then(|t| t.column(name))
            .unwrap_or(generated);
        found.after.push((
            ddl::add_column(desired, wanted),
            Deliberate::of_added_column(wanted),
        ));
        for index in indexes.into_iter().flatten() {
            found.after.push((
                ddl::create_index(desired, index, false),
                Some(Deliberate::RebuiltWithGeneratedColumn),
            ));
        }
        for check in checks.into_iter().flatten() {
            found.after.push((
                ddl::add_check(desired, check, false),
                Some(Deliberate::RebuiltWithGeneratedColumn),
            ));
        }
        found.after.extend(after);
        found.needs.extend(inner.needs);
        found.releases.extend(inner.releases);
    }
}

//! Row-level security, policies and grants. Policies are created before RLS is enabled and RLS is
//! disabled before policies are dropped, so no table is ever locked down with no policy in force
//! (ONLINE-SAFETY.md 3H).

use std::collections::BTreeMap;

use super::{phase, target, Context, Planned};
use crate::catalog::{Grant, Policy, PolicyCommand, Privilege, QualifiedName, Table};
use crate::plan::hazards::Hazard;
use crate::plan::step::{LockLevel, Resource, Step, StepKind};
use crate::sql::ddl;

/// `ENABLE ROW LEVEL SECURITY`, once the policies and the tenant column it relies on exist.
pub fn enable_rls(ctx: &Context, table: &QualifiedName, planned: &mut Planned) {
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
    planned.steps.push(
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

/// `DISABLE ROW LEVEL SECURITY`: the rows are exposed, and its policies no longer matter.
pub fn disable_rls(ctx: &Context, table: &QualifiedName, planned: &mut Planned) {
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
    planned.steps.push(
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

/// `FORCE` or `NO FORCE ROW LEVEL SECURITY`.
pub fn force_rls(table: &QualifiedName, forced: bool, planned: &mut Planned) {
    let (kind, statement) = if forced {
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
    planned.steps.push(step);
}

/// `ALTER POLICY`, or drop and create where it cannot alter.
pub fn alter_policy(
    ctx: &Context,
    table: &QualifiedName,
    current: &Policy,
    desired: &Policy,
    planned: &mut Planned,
) {
    // `ALTER POLICY` can change roles and replace a clause, but not remove one: a USING or
    // WITH CHECK the schema no longer has (one added by hand, say) needs the policy made
    // again, or the plan would repeat the same `ALTER` forever.
    let alterable = current.command == desired.command
        && (current.using.is_none() || desired.using.is_some())
        && (current.with_check.is_none() || desired.with_check.is_some());
    let statements = if alterable {
        vec![ddl::alter_policy(table, desired)]
    } else {
        vec![
            ddl::drop_policy(table, &current.name),
            ddl::create_policy(table, desired),
        ]
    };
    planned.steps.push(
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

/// `DROP POLICY`.
pub fn drop_policy(table: &QualifiedName, policy: &Policy, planned: &mut Planned) {
    planned.steps.push(
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
    );
}

/// `GRANT` per role, with `USAGE` on the serial sequences to a role that may insert.
pub fn grant(ctx: &Context, table: &QualifiedName, grants: &[Grant], planned: &mut Planned) {
    let serials = ctx
        .catalogs
        .desired
        .table(table)
        .map(serial_sequences)
        .unwrap_or_default();
    for (role, privileges) in by_role(grants) {
        let mut statements = vec![ddl::grant(table, &role, &privileges)];
        let mut needs = vec![Resource::Table(table.clone()), Resource::Role(role.clone())];
        if privileges.contains(&Privilege::Insert) {
            for (column, sequence) in &serials {
                statements.push(ddl::grant_sequence_usage(sequence, &role));
                needs.push(Resource::Column(table.clone(), column.clone()));
            }
        }
        planned.steps.push(
            Step::sql(
                StepKind::Grant,
                format!("{table}.{role}"),
                phase::SECURITY,
                statements,
            )
            .on_table(table)
            .needs(needs),
        );
    }
}

/// `REVOKE` per role, with `USAGE` on the serial sequences.
pub fn revoke(ctx: &Context, table: &QualifiedName, grants: &[Grant], planned: &mut Planned) {
    let serials = ctx
        .catalogs
        .current
        .table(&super::current_table_name(ctx.catalogs, table))
        .map(serial_sequences)
        .unwrap_or_default();
    for (role, privileges) in by_role(grants) {
        let mut statements = vec![ddl::revoke(table, &role, &privileges)];
        if privileges.contains(&Privilege::Insert) {
            for (_, sequence) in &serials {
                statements.push(ddl::revoke_sequence_usage(sequence, &role));
            }
        }
        planned.steps.push(
            Step::sql(
                StepKind::Revoke,
                format!("{table}.{role}"),
                phase::DETACH,
                statements,
            )
            .on_table(table)
            .hazard(Hazard::revokes_privilege(&table.name, &role))
            .needs([Resource::Table(table.clone())]),
        );
    }
}

/// The sequences behind the table's `serial` columns, by column. An `INSERT` that takes a serial
/// column's default calls `nextval`, which needs `USAGE` on the sequence: a role granted `INSERT`
/// on the table without it cannot insert at all. The sequence is read from the column default
/// (`nextval('<sequence>'::regclass)`), as both the compiler and PostgreSQL spell it.
fn serial_sequences(table: &Table) -> Vec<(String, QualifiedName)> {
    table
        .columns
        .iter()
        .filter(|c| c.serial)
        .filter_map(|c| {
            let sequence = sequence_of_default(c.default.as_deref()?, &table.name.schema)?;
            Some((c.name.clone(), sequence))
        })
        .collect()
}

/// `nextval('s.name'::regclass)` → `s.name`; an unqualified name is in `schema`. `None` for any
/// other default, or a name that is not a plain or double-quoted identifier list.
fn sequence_of_default(default: &str, schema: &str) -> Option<QualifiedName> {
    let literal = default
        .strip_prefix("nextval('")?
        .strip_suffix("'::regclass)")?
        .replace("''", "'");
    let parts = identifier_list(&literal)?;
    match parts.as_slice() {
        [name] => Some(QualifiedName::new(schema, name.clone())),
        [namespace, name] => Some(QualifiedName::new(namespace.clone(), name.clone())),
        _ => None,
    }
}

/// Splits `a."B c".d` into its identifiers, undoing double quotes; `None` if it is not one.
fn identifier_list(text: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
                    part.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => continue,
            Some(_) => return None,
        }
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

pub(super) fn policy_needs(ctx: &Context, table: &QualifiedName, policy: &Policy) -> Vec<Resource> {
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

pub fn create_policy(ctx: &Context, table: &QualifiedName, policy: &Policy) -> Step {
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

/// Who sees which rows once RLS is on, for the plan's reviewer: each role the table is granted
/// to, what it may read and write through the policies that apply to it (a role granted the
/// table that no policy admits is locked out, and the clause says so), then the owner.
fn visibility(ctx: &Context, table: &QualifiedName, policies: &[Policy]) -> Hazard {
    let desired = ctx.catalogs.desired.table(table);
    let forced = desired.is_some_and(|t| t.rls_forced);
    let mut privileges: BTreeMap<&str, Vec<Privilege>> = BTreeMap::new();
    for grant in desired.map(|t| t.grants.as_slice()).unwrap_or_default() {
        privileges
            .entry(grant.role.as_str())
            .or_default()
            .push(grant.privilege);
    }
    let mut clauses: Vec<String> = Vec::new();
    if policies.is_empty() {
        clauses.push("no policy: no role but superusers and BYPASSRLS roles sees any row".into());
    }
    for (role, privileges) in &privileges {
        let (name, role) = if *role == "public" {
            ("every role (PUBLIC)", None)
        } else {
            (*role, Some(*role))
        };
        clauses.push(format!("{name} {}", access(policies, role, privileges)));
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

/// `reads rows where ..., writes every row` for one role (`None`: PUBLIC) holding `privileges`.
fn access(policies: &[Policy], role: Option<&str>, privileges: &[Privilege]) -> String {
    let applies = |p: &&Policy| {
        p.roles.is_empty()
            || p.roles.iter().any(|r| r == "public")
            || role.is_some_and(|role| p.roles.iter().any(|r| r == role))
    };
    let rows = |exprs: Vec<&str>| {
        if exprs.contains(&"true") {
            "every row".to_string()
        } else if exprs.is_empty() {
            "no rows".to_string()
        } else {
            let mut exprs = exprs;
            exprs.dedup();
            format!("rows where {}", exprs.join(" or "))
        }
    };
    let reads = rows(
        policies
            .iter()
            .filter(applies)
            .filter(|p| matches!(p.command, PolicyCommand::All | PolicyCommand::Select))
            .filter_map(|p| p.using.as_deref())
            .collect(),
    );
    let writes = rows(
        policies
            .iter()
            .filter(applies)
            .filter(|p| {
                matches!(
                    p.command,
                    PolicyCommand::All | PolicyCommand::Insert | PolicyCommand::Update
                )
            })
            .filter_map(|p| p.with_check.as_deref().or(p.using.as_deref()))
            .collect(),
    );
    let read = privileges.contains(&Privilege::Select);
    let write = privileges
        .iter()
        .any(|p| matches!(p, Privilege::Insert | Privilege::Update));
    match (read, write) {
        (true, true) if reads == writes => format!("reads and writes {reads}"),
        (true, true) => format!("reads {reads}, writes {writes}"),
        (true, false) => format!("reads {reads}"),
        (false, true) => format!("writes {writes}"),
        (false, false) => "has no read or write privilege".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{BaseType, Catalog, Column, SqlType};
    use crate::diff::diff;
    use crate::pair::Pair;
    use crate::plan::{plan as make_plan, Facts, PlanOptions};

    fn notes(grants: &[(&str, Privilege)]) -> Table {
        let name = QualifiedName::public("notes");
        let mut table = Table::new(name);
        let mut id = Column::new("id", SqlType::scalar(BaseType::BigInt));
        id.serial = true;
        id.default = Some("nextval('notes_id_seq'::regclass)".into());
        table.columns = vec![id, Column::new("body", SqlType::scalar(BaseType::Text))];
        table.grants = grants
            .iter()
            .map(|(role, privilege)| Grant {
                role: role.to_string(),
                privilege: *privilege,
            })
            .collect();
        table
    }

    fn sql_of(current: Vec<Table>, desired: Vec<Table>) -> Vec<String> {
        let current = Catalog {
            tables: current.into(),
            ..Catalog::default()
        };
        let desired = Catalog {
            tables: desired.into(),
            ..Catalog::default()
        };
        let pair = Pair::new(&current, &desired);
        let changes = diff(pair);
        let plan = make_plan(&changes, pair, &Facts::empty(), &PlanOptions::default())
            .unwrap_or_else(|d| panic!("{d:?}"));
        plan.steps.iter().map(|s| s.action.sql_text()).collect()
    }

    #[test]
    fn reads_the_sequence_of_a_serial_default() {
        assert_eq!(
            sequence_of_default("nextval('notes_id_seq'::regclass)", "public"),
            Some(QualifiedName::public("notes_id_seq"))
        );
        assert_eq!(
            sequence_of_default(r#"nextval('app."Odd ""seq"""'::regclass)"#, "public"),
            Some(QualifiedName::new("app", r#"Odd "seq""#))
        );
        assert_eq!(
            sequence_of_default("nextval('a; drop table x'::regclass)", "public"),
            None
        );
        assert_eq!(sequence_of_default("now()", "public"), None);
    }

    #[test]
    fn granting_insert_on_a_serial_table_grants_its_sequence_too() {
        let current = notes(&[]);
        let desired = notes(&[
            ("app_user", Privilege::Insert),
            ("app_user", Privilege::Select),
            ("reporting", Privilege::Select),
        ]);
        let sql = sql_of(vec![current], vec![desired]);
        assert_eq!(
            sql,
            [
                "GRANT SELECT, INSERT ON TABLE public.notes TO app_user;\nGRANT USAGE ON SEQUENCE public.notes_id_seq TO app_user",
                "GRANT SELECT ON TABLE public.notes TO reporting",
            ]
        );
    }

    #[test]
    fn revoking_insert_on_a_serial_table_revokes_its_sequence_too() {
        let current = notes(&[
            ("app_user", Privilege::Insert),
            ("app_user", Privilege::Select),
        ]);
        let desired = notes(&[("app_user", Privilege::Select)]);
        let sql = sql_of(vec![current], vec![desired]);
        assert_eq!(
            sql,
            ["REVOKE INSERT ON TABLE public.notes FROM app_user;\nREVOKE USAGE ON SEQUENCE public.notes_id_seq FROM app_user"]
        );
    }

    fn with_policy(using: Option<&str>, with_check: Option<&str>) -> Table {
        let mut table = notes(&[]);
        table.rls_enabled = true;
        table.policies.push(Policy {
            name: "mine".into(),
            command: PolicyCommand::Update,
            roles: Vec::new(),
            using: using.map(str::to_string),
            with_check: with_check.map(str::to_string),
            origin: None,
        });
        table
    }

    #[test]
    fn a_policy_clause_added_by_hand_is_removed_by_making_the_policy_again() {
        // ALTER POLICY cannot drop a WITH CHECK: the policy is dropped and created.
        let current = with_policy(Some("(body <> '')"), Some("false"));
        let desired = with_policy(Some("(body <> '')"), None);
        let sql = sql_of(vec![current], vec![desired]);
        assert_eq!(
            sql,
            ["DROP POLICY mine ON public.notes;\nCREATE POLICY mine ON public.notes FOR UPDATE TO PUBLIC USING ((body <> ''))"]
        );
        // A changed clause is altered in place.
        let current = with_policy(Some("true"), Some("false"));
        let desired = with_policy(Some("(body <> '')"), Some("true"));
        let sql = sql_of(vec![current], vec![desired]);
        assert_eq!(
            sql,
            ["ALTER POLICY mine ON public.notes TO PUBLIC USING ((body <> '')) WITH CHECK (true)"]
        );
    }

    #[test]
    fn enabling_rls_says_what_each_granted_role_will_see() {
        let current = notes(&[
            ("app_user", Privilege::Select),
            ("app_user", Privilege::Insert),
            ("reporting", Privilege::Select),
            ("support", Privilege::Select),
        ]);
        let mut desired = current.clone();
        desired.rls_enabled = true;
        desired.rls_forced = true;
        let policy = |name: &str, command, roles: &[&str], using: &str| Policy {
            name: name.into(),
            command,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using: Some(using.into()),
            with_check: None,
            origin: None,
        };
        desired.policies = vec![
            policy("mine", PolicyCommand::All, &[], "(body = 'a')"),
            policy("support_all", PolicyCommand::Select, &["support"], "true"),
        ];
        let catalogs = (
            Catalog {
                tables: vec![current].into(),
                ..Catalog::default()
            },
            Catalog {
                tables: vec![desired].into(),
                ..Catalog::default()
            },
        );
        let pair = Pair::new(&catalogs.0, &catalogs.1);
        let plan = make_plan(&diff(pair), pair, &Facts::empty(), &PlanOptions::default())
            .unwrap_or_else(|d| panic!("{d:?}"));
        let enable = plan
            .steps
            .iter()
            .find(|s| s.kind == StepKind::EnableRowLevelSecurity)
            .expect("an enable step");
        let visibility = enable
            .hazards
            .iter()
            .find(|h| h.code == "row-visibility")
            .expect("a visibility hazard");
        assert_eq!(
            visibility.message,
            "afterwards on `notes`: app_user reads and writes rows where (body = 'a'); \
             reporting reads rows where (body = 'a'); support reads every row; \
             the owner is subject to the policies too (FORCE)"
        );
        // Policies are created before RLS is enabled, so no statement finds the table locked.
        let position = |kind: StepKind| {
            plan.steps
                .iter()
                .position(|s| s.kind == kind)
                .unwrap_or_else(|| panic!("no {kind:?} step"))
        };
        assert!(position(StepKind::CreatePolicy) < position(StepKind::EnableRowLevelSecurity));
    }
}

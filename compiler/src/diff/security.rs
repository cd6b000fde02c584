//! Row-level security flags, policies and table grants.

use std::collections::BTreeSet;

use super::Change;
use crate::catalog::{Grant, Privilege, Table};
use crate::pair::Pair;

pub fn diff_security(tables: Pair<&Table>, changes: &mut Vec<Change>) {
    let Pair { current, desired } = tables;
    let name = &desired.name;
    for policy in &desired.policies {
        match current.policies.iter().find(|p| p.name == policy.name) {
            None => changes.push(Change::CreatePolicy {
                table: name.clone(),
                policy: policy.clone(),
            }),
            Some(existing) => {
                let same = existing.command == policy.command
                    && effective_roles(&existing.roles) == effective_roles(&policy.roles)
                    && existing.using == policy.using
                    && existing.with_check == policy.with_check;
                if !same {
                    changes.push(Change::AlterPolicy {
                        table: name.clone(),
                        current: existing.clone(),
                        desired: policy.clone(),
                    });
                }
            }
        }
    }
    for policy in &current.policies {
        if !desired.policies.iter().any(|p| p.name == policy.name) {
            changes.push(Change::DropPolicy {
                table: name.clone(),
                policy: policy.clone(),
            });
        }
    }
    if current.rls_enabled != desired.rls_enabled {
        changes.push(Change::SetRowLevelSecurity {
            table: name.clone(),
            enabled: desired.rls_enabled,
        });
    }
    if current.rls_forced != desired.rls_forced {
        changes.push(Change::SetForceRowLevelSecurity {
            table: name.clone(),
            forced: desired.rls_forced,
        });
    }
    let have: BTreeSet<&Grant> = current.grants.iter().collect();
    let want: BTreeSet<&Grant> = desired.grants.iter().collect();
    let mut grants: Vec<Grant> = want.difference(&have).map(|g| (*g).clone()).collect();
    // A `serial` column added to a table already granted INSERT brings a new sequence, which the
    // roles that may insert need USAGE on: grant INSERT again, and its recipe grants the sequence.
    let new_serial = desired.columns.iter().any(|c| {
        c.serial
            && current.column(&c.name).is_none()
            && c.renamed_from
                .as_deref()
                .is_none_or(|old| current.column(old).is_none())
    });
    if new_serial {
        for grant in want.intersection(&have) {
            if grant.privilege == Privilege::Insert {
                grants.push((*grant).clone());
            }
        }
        grants.sort();
    }
    let revokes: Vec<Grant> = have.difference(&want).map(|g| (*g).clone()).collect();
    if !grants.is_empty() {
        changes.push(Change::Grant {
            table: name.clone(),
            grants,
        });
    }
    if !revokes.is_empty() {
        changes.push(Change::Revoke {
            table: name.clone(),
            grants: revokes,
        });
    }
}

/// The roles a policy applies to as PostgreSQL stores them: `PUBLIC` anywhere in the list means
/// every role (the server keeps `{0}` alone and warns that it ignores the others), which the
/// catalog spells as no roles. Without this, `to public` in a schema is drift forever: the
/// database reads back as no roles.
fn effective_roles(roles: &[String]) -> Vec<&str> {
    if roles.iter().any(|r| r == "public") {
        return Vec::new();
    }
    let mut roles: Vec<&str> = roles.iter().map(String::as_str).collect();
    roles.sort_unstable();
    roles.dedup();
    roles
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Policy, PolicyCommand, QualifiedName};

    fn with_policy(roles: &[&str]) -> Table {
        let mut table = Table::new(QualifiedName::public("notes"));
        table.rls_enabled = true;
        table.policies.push(Policy {
            name: "readers".into(),
            command: PolicyCommand::Select,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using: Some("true".into()),
            with_check: None,
            origin: None,
        });
        table
    }

    fn changes(current: &Table, desired: &Table) -> Vec<Change> {
        let mut changes = Vec::new();
        diff_security(Pair::new(current, desired), &mut changes);
        changes
    }

    #[test]
    fn a_policy_to_public_reads_back_as_no_roles_and_is_not_drift() {
        // The database stores `TO PUBLIC` (and `TO PUBLIC, app_user`) as polroles = {0}.
        let database = with_policy(&[]);
        assert!(changes(&database, &with_policy(&["public"])).is_empty());
        assert!(changes(&database, &with_policy(&["app_user", "public"])).is_empty());
    }

    #[test]
    fn a_serial_column_added_to_a_table_granted_insert_grants_insert_again() {
        use crate::catalog::{BaseType, Column, SqlType};
        let grant = |privilege| Grant {
            role: "app_user".into(),
            privilege,
        };
        let mut current = Table::new(QualifiedName::public("notes"));
        current.columns = vec![Column::new("body", SqlType::scalar(BaseType::Text))];
        current.grants = vec![grant(Privilege::Select), grant(Privilege::Insert)];
        let mut desired = current.clone();
        let mut number = Column::new("number", SqlType::scalar(BaseType::BigInt));
        number.serial = true;
        number.default = Some("nextval('notes_number_seq'::regclass)".into());
        desired.columns.push(number);
        let changed = changes(&current, &desired);
        assert_eq!(
            changed,
            [Change::Grant {
                table: QualifiedName::public("notes"),
                grants: vec![grant(Privilege::Insert)],
            }]
        );
        // Once the column exists, nothing to do.
        assert!(changes(&desired, &desired).is_empty());
    }

    #[test]
    fn a_policy_whose_roles_changed_is_altered() {
        let changed = changes(&with_policy(&[]), &with_policy(&["app_user"]));
        assert!(
            matches!(changed.as_slice(), [Change::AlterPolicy { .. }]),
            "{changed:?}"
        );
        let changed = changes(&with_policy(&["app_user"]), &with_policy(&["public"]));
        assert!(
            matches!(changed.as_slice(), [Change::AlterPolicy { .. }]),
            "{changed:?}"
        );
    }
}

//! Row-level security flags, policies and table grants.

use std::collections::BTreeSet;

use super::Change;
use crate::catalog::{Grant, Table};
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
                    && existing.roles == policy.roles
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
    let grants: Vec<Grant> = want.difference(&have).map(|g| (*g).clone()).collect();
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

//! Views and materialized views, paired by name. A view is compared as the server prints it
//! (definition, options, output columns). A changed view is replaced in place where `CREATE OR
//! REPLACE VIEW` allows it (the current columns keep their names and types, new ones come last),
//! else dropped and created again; a materialized view is always recreated. A view that reads a
//! column this plan retypes, drops or renames, or a table it drops, is recreated too (PostgreSQL
//! refuses the change under it), and so is every view that reads a recreated or dropped view.

use std::collections::{BTreeMap, BTreeSet};

use super::Change;
use crate::catalog::{Catalog, Column, QualifiedName, View};
use crate::pair::Pair;

pub fn diff_views(catalogs: Pair<&Catalog>, changes: &mut Vec<Change>) {
    let Pair { current, desired } = catalogs;
    let (columns, tables) = touched(changes);
    // Why each current view must go (dropped, or dropped and created again): first what this plan
    // changes under it, then views reading those, then its own change, then views reading those.
    let mut goes: BTreeMap<QualifiedName, String> = BTreeMap::new();
    for view in &current.views {
        let reason = view
            .depends_on_columns
            .iter()
            .find(|(t, c)| columns.contains(&(t.clone(), c.clone())))
            .map(|(t, c)| format!("it reads `{}.{c}`, which this plan changes", t.name))
            .or_else(|| {
                view.depends_on
                    .iter()
                    .find(|t| tables.contains(*t))
                    .map(|t| format!("it reads table `{}`, which this plan drops", t.name))
            });
        if let Some(reason) = reason {
            goes.insert(view.name.clone(), reason);
        }
    }
    readers(current, &mut goes);
    for view in &current.views {
        if goes.contains_key(&view.name) {
            continue;
        }
        let reason = match desired.view(&view.name) {
            None => Some("it is not in the schema".to_string()),
            Some(wanted) => own_reason(view, wanted),
        };
        if let Some(reason) = reason {
            goes.insert(view.name.clone(), reason);
        }
    }
    readers(current, &mut goes);
    for view in &desired.views {
        let Some(existing) = current.view(&view.name) else {
            changes.push(Change::CreateView(view.clone()));
            continue;
        };
        if let Some(because) = goes.get(&view.name) {
            changes.push(Change::RecreateView {
                current: existing.clone(),
                desired: view.clone(),
                because: because.clone(),
            });
        } else if !same_view(existing, view) {
            changes.push(Change::ReplaceView {
                current: existing.clone(),
                desired: view.clone(),
            });
        } else {
            indexes(existing, view, changes);
        }
    }
    for view in &current.views {
        if desired.view(&view.name).is_none() {
            changes.push(Change::DropView(view.clone()));
        }
    }
}

/// Adds the views that read a view that goes, until nothing more changes.
fn readers(current: &Catalog, goes: &mut BTreeMap<QualifiedName, String>) {
    loop {
        let more: Vec<(QualifiedName, String)> = current
            .views
            .iter()
            .filter(|v| !goes.contains_key(&v.name))
            .filter_map(|v| {
                v.depends_on
                    .iter()
                    .find(|d| goes.contains_key(*d))
                    .map(|d| {
                        (
                            v.name.clone(),
                            format!("it reads view `{}`, which goes first", d.name),
                        )
                    })
            })
            .collect();
        if more.is_empty() {
            return;
        }
        goes.extend(more);
    }
}

/// Why the view cannot stay or be replaced in place, judging by itself; `None` if it can.
fn own_reason(current: &View, desired: &View) -> Option<String> {
    if same_view(current, desired) {
        return None;
    }
    if current.materialized != desired.materialized {
        return Some(format!("it becomes a {}", desired.kind()));
    }
    if current.materialized {
        return Some(
            "its query or options change, and a materialized view cannot be replaced in place"
                .to_string(),
        );
    }
    if !replaceable(&current.columns, &desired.columns) {
        return Some(
            "its columns change in a way CREATE OR REPLACE VIEW cannot make (only new columns at \
             the end can be added)"
                .to_string(),
        );
    }
    None
}

/// The view's query, options and columns are the same.
fn same_view(current: &View, desired: &View) -> bool {
    current.materialized == desired.materialized
        && current.definition == desired.definition
        && sorted(&current.options) == sorted(&desired.options)
        && (desired.columns.is_empty() || same_columns(&current.columns, &desired.columns))
}

fn sorted(options: &[String]) -> Vec<String> {
    let mut options = options.to_vec();
    options.sort();
    options
}

fn same_columns(a: &[Column], b: &[Column]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(a, b)| a.name == b.name && a.ty == b.ty)
}

/// `CREATE OR REPLACE VIEW` keeps every current column, by name and type, in place.
fn replaceable(current: &[Column], desired: &[Column]) -> bool {
    !desired.is_empty()
        && desired.len() >= current.len()
        && current
            .iter()
            .zip(desired)
            .all(|(a, b)| a.name == b.name && a.ty == b.ty)
}

/// A materialized view's indexes, by name; one that differs is dropped and created again.
fn indexes(current: &View, desired: &View, changes: &mut Vec<Change>) {
    let comparable = |i: &crate::catalog::Index| {
        let mut i = i.clone();
        i.origin = None;
        i
    };
    for index in &current.indexes {
        let same = desired
            .indexes
            .iter()
            .any(|d| comparable(d) == comparable(index));
        if !same {
            changes.push(Change::DropViewIndex {
                view: current.name.clone(),
                index: index.clone(),
            });
        }
    }
    for index in &desired.indexes {
        let same = current
            .indexes
            .iter()
            .any(|c| comparable(c) == comparable(index));
        if !same {
            changes.push(Change::CreateViewIndex {
                view: desired.name.clone(),
                index: index.clone(),
            });
        }
    }
}

/// Columns (by their current table and column names) this plan retypes, drops or renames, and
/// tables it drops.
fn touched(changes: &[Change]) -> (BTreeSet<(QualifiedName, String)>, BTreeSet<QualifiedName>) {
    let current_table = |table: &QualifiedName| {
        changes
            .iter()
            .find_map(|c| match c {
                Change::RenameTable { from, to } if to == table => Some(from.clone()),
                _ => None,
            })
            .unwrap_or_else(|| table.clone())
    };
    let current_column = |table: &QualifiedName, column: &str| {
        changes
            .iter()
            .find_map(|c| match c {
                Change::RenameColumn { table: t, from, to } if t == table && to == column => {
                    Some(from.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| column.to_string())
    };
    let mut columns = BTreeSet::new();
    let mut tables = BTreeSet::new();
    for change in changes {
        match change {
            Change::AlterColumnType { table, column, .. } => {
                columns.insert((current_table(table), current_column(table, column)));
            }
            Change::RenameColumn { table, from, .. } => {
                columns.insert((current_table(table), from.clone()));
            }
            Change::DropColumn { table, column } => {
                columns.insert((current_table(table), column.name.clone()));
            }
            Change::ReplaceGeneratedColumn { table, current, .. } => {
                columns.insert((current_table(table), current.name.clone()));
            }
            Change::DropTable(table) => {
                tables.insert(table.name.clone());
            }
            _ => {}
        }
    }
    (columns, tables)
}

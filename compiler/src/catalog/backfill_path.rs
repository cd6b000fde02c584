//! Backfill paths: where existing rows of a table get a value for a column, following foreign keys
//! of the schema (the target) to the nearest table that has the column (LANGUAGE.md, Backfill).
//! The foreign keys form a petgraph graph searched breadth-first, so the shortest path wins; two
//! shortest paths are ambiguous. Pure: reads only the desired catalog.

use std::collections::BTreeSet;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::{Catalog, ForeignKey, QualifiedName};

/// One step along a foreign key: `child(child_columns) → parent(parent_columns)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub child: QualifiedName,
    pub child_columns: Vec<String>,
    pub parent: QualifiedName,
    pub parent_columns: Vec<String>,
}

impl Hop {
    /// The hop as users write it: `attachments.session_id → sessions`.
    pub fn describe(&self) -> String {
        format!(
            "{}.{} → {}",
            self.child.name,
            self.child_columns.join(", "),
            self.parent.name
        )
    }
}

/// What the search found.
#[derive(Debug, Clone, PartialEq)]
pub enum PathSearch {
    /// The one shortest path; its last hop's parent has the column.
    Found(Vec<Hop>),
    /// Several paths of the same, shortest length.
    Ambiguous(Vec<Vec<Hop>>),
    NotFound,
}

/// A foreign key as a hop for `column`: the column itself is left out of composite keys (a
/// same-tenant key `(account_id, session_id)` is followed through `session_id`), and the key on the
/// column alone (the tenant column's own key to the root) is never a path.
pub fn hop(child: &QualifiedName, fk: &ForeignKey, column: &str) -> Option<Hop> {
    let pairs: Vec<(&String, &String)> = fk
        .columns
        .iter()
        .zip(&fk.referenced_columns)
        .filter(|(c, _)| c.as_str() != column)
        .collect();
    if pairs.is_empty() || fk.referenced_table == *child {
        return None;
    }
    Some(Hop {
        child: child.clone(),
        child_columns: pairs.iter().map(|(c, _)| (*c).clone()).collect(),
        parent: fk.referenced_table.clone(),
        parent_columns: pairs.iter().map(|(_, p)| (*p).clone()).collect(),
    })
}

/// The shortest foreign-key paths from `table` to a table that has `column`.
pub fn find(desired: &Catalog, table: &QualifiedName, column: &str) -> PathSearch {
    let mut graph: DiGraph<QualifiedName, Hop> = DiGraph::new();
    let nodes: Vec<NodeIndex> = desired
        .tables
        .iter()
        .map(|t| graph.add_node(t.name.clone()))
        .collect();
    let index_of = |name: &QualifiedName| desired.tables.iter().position(|t| &t.name == name);
    for (i, t) in desired.tables.iter().enumerate() {
        for fk in &t.foreign_keys {
            if let (Some(hop), Some(j)) = (hop(&t.name, fk, column), index_of(&fk.referenced_table))
            {
                graph.add_edge(nodes[i], nodes[j], hop);
            }
        }
    }
    let Some(start) = index_of(table) else {
        return PathSearch::NotFound;
    };
    let has_column = |node: NodeIndex| {
        desired
            .table(&graph[node])
            .is_some_and(|t| t.column(column).is_some())
    };
    let mut visited: BTreeSet<NodeIndex> = BTreeSet::from([nodes[start]]);
    let mut frontier: Vec<(NodeIndex, Vec<Hop>)> = vec![(nodes[start], Vec::new())];
    while !frontier.is_empty() {
        let mut found: Vec<Vec<Hop>> = Vec::new();
        let mut next = Vec::new();
        for (node, path) in &frontier {
            for edge in graph.edges(*node) {
                let mut extended = path.clone();
                extended.push(edge.weight().clone());
                if has_column(edge.target()) {
                    if !found.contains(&extended) {
                        found.push(extended);
                    }
                } else if !visited.contains(&edge.target()) {
                    next.push((edge.target(), extended));
                }
            }
        }
        match found.len() {
            0 => {}
            1 => return PathSearch::Found(found.remove(0)),
            _ => return PathSearch::Ambiguous(found),
        }
        for (node, _) in &next {
            visited.insert(*node);
        }
        frontier = next;
    }
    PathSearch::NotFound
}

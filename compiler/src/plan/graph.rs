//! Ordering steps: a petgraph DAG built from what each step needs, provides, removes and releases,
//! sorted topologically with ties broken by (phase, target, creation order) so the same input
//! always gives the same plan. A cycle is a diagnostic naming its steps.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use super::step::{Resource, Step};
use crate::diagnostics::Diagnostic;

/// Orders the steps; returns them in run order.
pub fn order(steps: Vec<Step>) -> Result<Vec<Step>, Vec<Diagnostic>> {
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..steps.len()).map(|i| graph.add_node(i)).collect();
    let mut providers: BTreeMap<&Resource, Vec<usize>> = BTreeMap::new();
    let mut releasers: BTreeMap<&Resource, Vec<usize>> = BTreeMap::new();
    for (index, step) in steps.iter().enumerate() {
        for resource in &step.provides {
            providers.entry(resource).or_default().push(index);
        }
        for resource in &step.releases {
            releasers.entry(resource).or_default().push(index);
        }
    }
    for (index, step) in steps.iter().enumerate() {
        // A resource nobody provides already exists in the database.
        for resource in &step.needs {
            for &provider in providers.get(resource).into_iter().flatten() {
                if provider != index {
                    graph.update_edge(nodes[provider], nodes[index], ());
                }
            }
        }
        for resource in &step.removes {
            for &releaser in releasers.get(resource).into_iter().flatten() {
                if releaser != index {
                    graph.update_edge(nodes[releaser], nodes[index], ());
                }
            }
        }
    }
    // Kahn's algorithm with a priority queue: among the steps that are ready, the lowest
    // (phase, target, index) goes first.
    let mut incoming: Vec<usize> = nodes
        .iter()
        .map(|&n| graph.neighbors_directed(n, Direction::Incoming).count())
        .collect();
    let key = |i: usize| Reverse((steps[i].phase, steps[i].target.clone(), i));
    let mut ready: BinaryHeap<Reverse<(u8, String, usize)>> = (0..steps.len())
        .filter(|&i| incoming[i] == 0)
        .map(key)
        .collect();
    let mut order = Vec::with_capacity(steps.len());
    while let Some(Reverse((_, _, index))) = ready.pop() {
        order.push(index);
        for next in graph.neighbors_directed(nodes[index], Direction::Outgoing) {
            let next = graph[next];
            incoming[next] -= 1;
            if incoming[next] == 0 {
                ready.push(key(next));
            }
        }
    }
    if order.len() < steps.len() {
        let stuck: Vec<String> = (0..steps.len())
            .filter(|i| !order.contains(i))
            .map(|i| format!("{} {}", steps[i].kind.as_str(), steps[i].target))
            .collect();
        return Err(vec![Diagnostic::error(
            crate::diagnostics::codes::PLAN_CYCLE,
            format!(
                "these steps depend on each other in a cycle: {}",
                stuck.join(", ")
            ),
        )
        .with_help(
            "break the cycle in the schema, for example by making one of the foreign keys nullable"
                .to_string(),
        )]);
    }
    let mut slots: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

//! Ordering steps: a petgraph DAG built from what each step needs, provides, removes and releases
//! (and, where it makes no cycle, what it prefers to follow),
//! sorted topologically with ties broken by (phase, target, creation order) so the same input
//! always gives the same plan. A cycle is a diagnostic naming its steps.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use petgraph::algo::has_path_connecting;
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
    // Preferences last, each only where the steps it would order after this one do not already
    // have to run before it.
    for (index, step) in steps.iter().enumerate() {
        for resource in &step.prefers_after {
            for &provider in providers.get(resource).into_iter().flatten() {
                if provider != index
                    && !has_path_connecting(&graph, nodes[index], nodes[provider], None)
                {
                    graph.update_edge(nodes[provider], nodes[index], ());
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
    // In place: a second list of every step was a tenth of `plan --from-empty`'s peak.
    let mut steps = steps;
    arrange(&mut steps, &order);
    Ok(steps)
}

/// Rearranges `items` so that the k-th is the one that was at `order[k]` (`order` a permutation
/// of the positions), following each cycle of the permutation with swaps.
fn arrange<T>(items: &mut [T], order: &[usize]) {
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::catalog::QualifiedName;
    use crate::plan::step::{Action, StepKind};

    #[test]
    fn arrange_puts_each_item_where_the_order_says() {
        let orders: [&[usize]; 5] = [&[], &[0], &[1, 0], &[2, 0, 1], &[3, 5, 0, 4, 1, 2, 7, 6, 8]];
        for order in orders {
            let mut items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            arrange(&mut items, order);
            assert_eq!(items, expected, "order {order:?}");
        }
    }

    fn step(target: &str) -> Step {
        Step::new(StepKind::DropIndex, target, 0, Action::Sql(Vec::new()))
    }

    fn object(name: &str) -> Resource {
        Resource::Object(QualifiedName::new("public", "t"), name.to_string())
    }

    fn targets(steps: Vec<Step>) -> Vec<String> {
        order(steps)
            .unwrap_or_else(|_| panic!("no cycle"))
            .into_iter()
            .map(|s| s.target)
            .collect()
    }

    #[test]
    fn a_preference_orders_like_a_need() {
        // By target name alone `a_drop` would go first.
        let drop = step("a_drop").prefers_after([object("new")]);
        let build = step("b_build").provides([object("new")]);
        assert_eq!(targets(vec![drop, build]), ["b_build", "a_drop"]);
    }

    #[test]
    fn a_preference_that_would_make_a_cycle_is_left_out() {
        // The build needs what the drop frees: the drop must go first, whatever it prefers.
        let drop = step("b_drop")
            .prefers_after([object("new")])
            .provides([object("free old")]);
        let build = step("a_build")
            .needs([object("free old")])
            .provides([object("new")]);
        assert_eq!(targets(vec![drop, build]), ["b_drop", "a_build"]);
    }
}

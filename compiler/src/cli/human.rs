//! Text for people: the plan grouped per table, the SQL script with step headers, and drift
//! entries. Colour only when asked (a terminal, `NO_COLOR` unset).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use indexmap::IndexMap;

use crate::diff::{Change, TableObject};
use crate::plan::{Action, Deliberate, Plan, Step, TypeChoice};

fn paint(colour: bool, code: &str, text: &str) -> String {
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The plan, steps grouped under their table in order of first appearance, numbered in run order.
pub fn plan(plan: &Plan, colour: bool) -> String {
    let mut out = String::new();
    if plan.steps.is_empty() {
        out.push_str("No changes: the database already matches the schema.\n");
        return out;
    }
    let destructive = plan.destructive_steps().count();
    let _ = writeln!(
        out,
        "Plan: {} step{}{}",
        plan.steps.len(),
        if plan.steps.len() == 1 { "" } else { "s" },
        if destructive > 0 {
            paint(colour, "1;31", &format!(", {destructive} destructive"))
        } else {
            String::new()
        }
    );
    let mut groups: IndexMap<String, Vec<(usize, &Step)>> = IndexMap::new();
    for (index, step) in plan.steps.iter().enumerate() {
        let group = step
            .table
            .as_ref()
            .map_or_else(|| "database".to_string(), |t| t.to_string());
        groups.entry(group).or_default().push((index + 1, step));
    }
    for (group, steps) in groups {
        let _ = writeln!(out, "\n{}", paint(colour, "1", &group));
        for (number, step) in steps {
            let mut flags = vec![step.lock.describe().to_string()];
            if !step.transactional {
                flags.push("outside a transaction".into());
            }
            let _ = writeln!(
                out,
                "  {number:>3}. {} {}{}",
                paint(colour, "1;36", step.kind.as_str()),
                step.target,
                if step.destructive {
                    format!(" {}", paint(colour, "1;31", "[DESTRUCTIVE]"))
                } else {
                    String::new()
                }
            );
            let _ = writeln!(
                out,
                "       {}",
                paint(colour, "2", &format!("lock: {}", flags.join("; ")))
            );
            for hazard in &step.hazards {
                let _ = writeln!(
                    out,
                    "       {} {}",
                    paint(colour, "33", &format!("! {}:", hazard.code)),
                    hazard.message
                );
            }
            let _ = writeln!(out, "{}", indent(&step_sql(step), "       "));
        }
    }
    if !plan.preflight.is_empty() {
        let _ = writeln!(
            out,
            "\nBefore any change, apply checks these and refuses the plan, changing nothing, if:"
        );
        for check in &plan.preflight {
            let _ = writeln!(out, "  - {}: {}", check.target, check.message);
        }
    }
    for note in &plan.notes {
        let _ = writeln!(out, "\nnote: {note}");
    }
    out
}

/// The SQL of a step as a script would run it.
fn step_sql(step: &Step) -> String {
    step_sql_of(&step.action)
}

/// The `-- squawk-ignore` comment of a statement that breaks linter rules on purpose, with the
/// reasons above it (squawk reads the comment; people read the reasons). Empty when it breaks none.
/// The recipe that wrote the statement decided which rules and why (`plan::Deliberate`).
fn deliberate_comment(step: &Step, statement: usize) -> String {
    let breaks: Vec<Deliberate> = step
        .breaks
        .iter()
        .filter(|b| b.statement == statement)
        .map(|b| b.why)
        .collect();
    if breaks.is_empty() {
        return String::new();
    }
    let mut reasons: Vec<&str> = breaks.iter().map(|why| why.reason()).collect();
    reasons.dedup();
    let rules: Vec<&str> = breaks
        .iter()
        .flat_map(|why| why.rules().iter().copied())
        .collect();
    let mut out = String::new();
    for why in reasons {
        let _ = writeln!(out, "-- {why}");
    }
    let _ = writeln!(out, "-- squawk-ignore {}", rules.join(", "));
    out
}

/// The squawk rules about which column types a schema should choose (not how a plan changes
/// them) that the plan's columns break: ignored for the whole script, with the reason.
fn type_rules(plan: &Plan) -> Vec<&'static str> {
    let choices: BTreeSet<TypeChoice> = plan
        .steps
        .iter()
        .flat_map(|step| step.type_choices.iter().copied())
        .collect();
    choices.into_iter().map(TypeChoice::rule).collect()
}

/// The plan as an SQL script with a comment header per step, exactly as `apply` runs it: each
/// transactional step in its own `BEGIN`/`COMMIT` with its timeouts set.
pub fn sql_script(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "-- schemac plan: {} step(s)", plan.steps.len());
    let type_rules = type_rules(plan);
    if !type_rules.is_empty() {
        let _ = writeln!(
            out,
            "-- Column types are the schema's choice; schemac checks how they are changed.\n-- squawk-ignore-file {}",
            type_rules.join(", ")
        );
    }
    for (index, step) in plan.steps.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n-- step {}/{}: {} {}",
            index + 1,
            plan.steps.len(),
            step.kind.as_str(),
            step.target
        );
        let _ = writeln!(
            out,
            "-- lock: {}; {}{}",
            step.lock.describe(),
            if step.transactional {
                "in a transaction"
            } else {
                "outside a transaction"
            },
            if step.destructive {
                "; DESTRUCTIVE"
            } else {
                ""
            }
        );
        for hazard in &step.hazards {
            let _ = writeln!(out, "-- hazard {}: {}", hazard.code, hazard.message);
        }
        if step.transactional {
            out.push_str("BEGIN;\n");
        }
        for setting in step.settings(plan.lock_timeout) {
            let _ = writeln!(out, "{setting};");
        }
        match &step.action {
            Action::Sql(statements) => {
                for (index, statement) in statements.iter().enumerate() {
                    out.push_str(&deliberate_comment(step, index));
                    let _ = writeln!(out, "{statement};");
                }
            }
            other => {
                let _ = writeln!(out, "{}", step_sql_of(other));
            }
        }
        if step.transactional {
            out.push_str("COMMIT;\n");
        }
    }
    out
}

fn step_sql_of(action: &Action) -> String {
    match action {
        Action::Sql(statements) => statements.iter().map(|s| format!("{s};")).collect::<Vec<_>>().join("\n"),
        Action::Backfill(backfill) => format!(
            "-- in batches, each its own transaction: $1 = last key done (NULL at first), $2 = batch size\n{};",
            backfill.batch_sql
        ),
        Action::Verify { sql, .. } => format!("-- must return 0\n{sql};"),
        Action::ConcurrentIndex { sql, .. } => format!("{sql};"),
    }
}

fn partitioned(partitioning: Option<&crate::catalog::Partitioning>) -> String {
    match partitioning {
        Some(p) => format!("partitioned by {} ({})", p.strategy.source(), p.keys),
        None => "not partitioned".to_string(),
    }
}

fn routine(f: &crate::catalog::Function) -> &'static str {
    if f.procedure {
        "procedure"
    } else {
        "function"
    }
}

/// One drift entry per change, naming the table and the object.
pub fn describe(change: &Change) -> String {
    match change {
        Change::CreateSchema(name) => format!("schema `{name}` is missing"),
        Change::CreateExtension(name) => format!("extension `{name}` is missing"),
        Change::CreateRole(name) => format!("role `{name}` is missing"),
        Change::CreateEnum(e) => format!("enum `{}` is missing", e.name),
        Change::CreateSequence(s) => format!("sequence `{}` is missing", s.name),
        Change::AlterSequence { desired, .. } => {
            format!(
                "sequence `{}` has other options than the schema says",
                desired.name
            )
        }
        Change::DropSequence(s) => format!("sequence `{}` is not in the schema", s.name),
        Change::CreateView(v) => format!("{} `{}` is missing", v.kind(), v.name),
        Change::ReplaceView { desired, .. } => {
            format!(
                "{} `{}` has another query or options",
                desired.kind(),
                desired.name
            )
        }
        Change::RecreateView {
            desired, because, ..
        } => format!(
            "{} `{}` is dropped and created again: {because}",
            desired.kind(),
            desired.name
        ),
        Change::DropView(v) => format!("{} `{}` is not in the schema", v.kind(), v.name),
        Change::CreateViewIndex { view, index } => {
            format!("materialized view `{view}` lacks index `{}`", index.name)
        }
        Change::DropViewIndex { view, index } => format!(
            "materialized view `{view}` has index `{}`, which the schema does not declare so",
            index.name
        ),
        Change::CreateFunction(f) => format!("{} `{}` is missing", routine(f), f.display()),
        Change::ReplaceFunction(f) => {
            format!("{} `{}` differs from the schema", routine(f), f.display())
        }
        Change::RecreateFunction { desired: f, .. } => format!(
            "{} `{}` has another result or arguments than the schema says",
            routine(f),
            f.display()
        ),
        Change::DropFunction(f) => {
            format!("{} `{}` is not in the schema", routine(f), f.display())
        }
        Change::CreateTrigger(t) => format!("trigger `{}` on `{}` is missing", t.name, t.table),
        Change::ReplaceTrigger(t) => {
            format!(
                "trigger `{}` on `{}` differs from the schema",
                t.name, t.table
            )
        }
        Change::DropTrigger(t) => {
            format!("trigger `{}` on `{}` is not in the schema", t.name, t.table)
        }
        Change::CreateDomain(d) => format!("domain `{}` is missing", d.name),
        Change::AlterDomain { desired, .. } => {
            format!("domain `{}` differs from the schema", desired.name)
        }
        Change::DropDomain(d) => format!("domain `{}` is not in the schema", d.name),
        Change::RenameEnum { from, to } => format!("enum `{from}` should be named `{}`", to.name),
        Change::AddEnumValue { name, value, .. } => format!("enum `{name}` lacks value `{value}`"),
        Change::ReplaceEnum { current, desired } => {
            format!(
                "enum `{}` has values ({}), the schema says ({})",
                desired.name,
                current.values.join(", "),
                desired.values.join(", ")
            )
        }
        Change::DropEnum(e) => format!("enum `{}` is not in the schema", e.name),
        Change::CommentEnum { name, .. } => format!("enum `{name}`: comment differs"),
        Change::CreateTable(t) => format!("table `{}` is missing", t.name),
        Change::RenameTable { from, to } => format!("table `{from}` should be named `{}`", to.name),
        Change::DropTable(t) => format!("table `{}` is not in the schema", t.name),
        Change::CommentTable { table, .. } => format!("table `{table}`: comment differs"),
        Change::AddPartition { table, partition } => format!(
            "table `{table}`: partition `{}` ({}) is missing",
            partition.name.name,
            partition.bound.sql()
        ),
        Change::DropPartition { table, partition } => format!(
            "table `{table}`: partition `{}` ({}) is not in the schema",
            partition.name.name,
            partition.bound.sql()
        ),
        Change::AlterPartitionBound {
            table,
            current,
            desired,
        } => format!(
            "table `{table}`: partition `{}` is {}, the schema says {}",
            current.name.name,
            current.bound.sql(),
            desired.bound.sql()
        ),
        Change::AlterPartitioning {
            table,
            current,
            desired,
        } => format!(
            "table `{table}` is {}, the schema says {}",
            partitioned(current.as_ref()),
            partitioned(desired.as_ref())
        ),
        Change::AddColumn { table, column } => {
            format!("table `{table}`: column `{}` is missing", column.name)
        }
        Change::RenameColumn { table, from, to } => {
            format!("table `{table}`: column `{from}` should be named `{to}`")
        }
        Change::DropColumn { table, column } => format!(
            "table `{table}`: column `{}` is not in the schema",
            column.name
        ),
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
            ..
        } => {
            format!(
                "table `{table}`: column `{column}` has type {}, the schema says {}",
                from.sql(),
                to.sql()
            )
        }
        Change::SetNotNull { table, column } => format!(
            "table `{table}`: column `{}` is nullable, the schema says NOT NULL",
            column.name
        ),
        Change::DropNotNull { table, column } => {
            format!("table `{table}`: column `{column}` is NOT NULL, the schema says nullable")
        }
        Change::SetDefault {
            table,
            column,
            default,
        } => format!("table `{table}`: column `{column}` default should be {default}"),
        Change::DropDefault { table, column } => {
            format!("table `{table}`: column `{column}` has a default the schema does not")
        }
        Change::AlterIdentity {
            table,
            column,
            current,
            desired,
            ..
        } => {
            let says = |identity: &Option<crate::catalog::Identity>| match identity {
                Some(identity) => format!("GENERATED {} AS IDENTITY", identity.sql()),
                None => "not an identity column".to_string(),
            };
            format!(
                "table `{table}`: column `{column}` is {}, the schema says {}",
                says(current),
                says(desired)
            )
        }
        Change::ReplaceGeneratedColumn { table, desired, .. } => {
            format!(
                "table `{table}`: column `{}` generation expression differs",
                desired.name
            )
        }
        Change::CommentColumn { table, column, .. } => {
            format!("table `{table}`: column `{column}` comment differs")
        }
        Change::AddObject { table, object } => format!(
            "table `{table}`: {} `{}` is missing",
            object_kind(object),
            object.name()
        ),
        Change::DropObject { table, object } => format!(
            "table `{table}`: {} `{}` is not in the schema",
            object_kind(object),
            object.name()
        ),
        Change::ValidateObject { table, object } => format!(
            "table `{table}`: {} `{}` is NOT VALID (an interrupted apply added it unchecked)",
            object_kind(object),
            object.name()
        ),
        Change::RenameObject {
            table,
            object,
            from,
        } => {
            format!(
                "table `{table}`: {} `{from}` should be named `{}`",
                object_kind(object),
                object.name()
            )
        }
        Change::SetRowLevelSecurity { table, enabled } => {
            format!(
                "table `{table}`: row-level security is {}",
                if *enabled {
                    "off, the schema says on"
                } else {
                    "on, the schema says off"
                }
            )
        }
        Change::SetForceRowLevelSecurity { table, forced } => format!(
            "table `{table}`: row-level security is {}",
            if *forced {
                "not forced, the schema says forced"
            } else {
                "forced, the schema says not forced"
            }
        ),
        Change::CreatePolicy { table, policy } => {
            format!("table `{table}`: policy `{}` is missing", policy.name)
        }
        Change::AlterPolicy { table, desired, .. } => {
            format!("table `{table}`: policy `{}` differs", desired.name)
        }
        Change::DropPolicy { table, policy } => format!(
            "table `{table}`: policy `{}` is not in the schema",
            policy.name
        ),
        Change::Grant { table, grants } => {
            format!("table `{table}`: grant missing: {}", grant_list(grants))
        }
        Change::Revoke { table, grants } => format!(
            "table `{table}`: grant not in the schema: {}",
            grant_list(grants)
        ),
    }
}

fn grant_list(grants: &[crate::catalog::Grant]) -> String {
    grants
        .iter()
        .map(|g| format!("{} to {}", g.privilege.sql(), g.role))
        .collect::<Vec<_>>()
        .join(", ")
}

fn object_kind(object: &TableObject) -> &'static str {
    match object {
        TableObject::PrimaryKey(_) => "primary key",
        TableObject::Unique(_) => "unique constraint",
        TableObject::ForeignKey(_) => "foreign key",
        TableObject::Check(_) => "check constraint",
        TableObject::Index(_) => "index",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::StepKind;

    fn script(step: Step) -> String {
        sql_script(&Plan {
            steps: vec![step],
            ..Plan::default()
        })
    }

    #[test]
    fn what_a_statement_says_does_not_decide_its_squawk_comment() {
        // A routine whose body drops a table breaks no rule itself: only the recipe says so.
        let body =
            "CREATE FUNCTION public.purge() RETURNS void LANGUAGE sql AS $$ DROP TABLE public.t $$";
        let text = script(Step::sql(
            StepKind::CreateFunction,
            "public.purge()",
            0,
            vec![body.to_string()],
        ));
        assert!(!text.contains("squawk-ignore"), "{text}");
    }

    #[test]
    fn a_prepended_statement_keeps_every_break_on_its_statement() {
        let mut step = Step::sql(
            StepKind::AddCheck,
            "public.t.c",
            0,
            vec!["ALTER TABLE public.t ADD CONSTRAINT c CHECK (x > 0)".to_string()],
        )
        .breaking(0, Deliberate::CheckWithoutRows);
        step.prepend(
            "ALTER TABLE public.t DROP CONSTRAINT c".to_string(),
            Some(Deliberate::DropsConstraint),
        );
        let text = script(step);
        let drop = text.find("DROP CONSTRAINT c;").expect("the drop");
        let add = text.find("ADD CONSTRAINT c").expect("the add");
        let drop_comment = text
            .find("-- squawk-ignore ban-drop-constraint\nALTER TABLE public.t DROP CONSTRAINT c;")
            .expect("the drop's comment right above it");
        let add_comment = text
            .find("-- squawk-ignore constraint-missing-not-valid\nALTER TABLE public.t ADD CONSTRAINT c")
            .expect("the add's comment right above it");
        assert!(
            drop_comment < drop && drop < add_comment && add_comment < add,
            "{text}"
        );
    }

    #[test]
    fn schema_type_choices_are_ignored_for_the_whole_script_in_a_fixed_order() {
        let step = Step::sql(
            StepKind::CreateTable,
            "public.t",
            0,
            vec!["CREATE TABLE t ()".into()],
        )
        .choosing([TypeChoice::Timestamp, TypeChoice::Int, TypeChoice::Int]);
        let text = script(step);
        assert!(
            text.contains("-- squawk-ignore-file prefer-bigint-over-int, prefer-timestamptz\n"),
            "{text}"
        );
    }
}

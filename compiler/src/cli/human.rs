//! Text for people: the plan grouped per table, the SQL script with step headers, and drift
//! entries. Colour only when asked (a terminal, `NO_COLOR` unset).

use std::fmt::Write as _;

use indexmap::IndexMap;

use crate::diff::{Change, TableObject};
use crate::plan::{Action, Plan, Step};

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

/// squawk rules a statement breaks on purpose, each with the reason (the SQL script says
/// so next to it, as a `-- squawk-ignore` comment squawk understands).
fn deliberate_breaks(statement: &str) -> Vec<(&'static str, &'static str)> {
    let upper = statement.to_ascii_uppercase();
    let has = |needle: &str| upper.contains(needle);
    let mut breaks = Vec::new();
    // No rows means nothing to scan: the plain forms are what the table needs.
    const EMPTY: &str = "the table holds no rows (it is new or empty), so there is nothing to scan";
    const CONSENT: &str = "`renamed from` in the schema is the consent to rename";
    if has("DROP TABLE") {
        breaks.push((
            "ban-drop-table",
            "the schema no longer has this table; apply refuses it without --allow-destructive",
        ));
    }
    if has(" DROP COLUMN ") {
        breaks.push((
            "ban-drop-column",
            "the schema no longer has this column; apply refuses it without --allow-destructive",
        ));
    }
    let own_check = dropped_own_constraint(statement);
    if own_check
        .as_deref()
        .is_some_and(|name| name.ends_with("_bound"))
    {
        breaks.push((
            "ban-drop-constraint",
            "schemac's own check on the default partition: the attached partition now holds those rows",
        ));
    } else if own_check.is_some() {
        breaks.push((
            "ban-drop-constraint",
            "schemac's own NOT NULL check: SET NOT NULL now holds the guarantee",
        ));
    } else if has(" DROP CONSTRAINT ") {
        breaks.push((
            "ban-drop-constraint",
            "the schema no longer has this constraint, or a stricter one replaces it",
        ));
    }
    if has("DROP FUNCTION IF EXISTS") {
        breaks.push((
            "ban-drop-function",
            "schemac's own fill function, no longer needed once the column is NOT NULL",
        ));
    }
    if (has("DROP FUNCTION ") || has("DROP PROCEDURE ")) && !has("DROP FUNCTION IF EXISTS") {
        breaks.push((
            "ban-drop-function",
            "the schema no longer has this routine, or creates it again with another signature",
        ));
    }
    if has("DROP DOMAIN") {
        breaks.push(("ban-drop-domain", "the schema no longer has this domain"));
    }
    if has("CREATE DOMAIN") && has(" CHECK ") {
        breaks.push((
            "ban-create-domain-with-constraint",
            "the schema declares the domain with this check",
        ));
    }
    if has("ALTER DOMAIN") && has(" ADD CONSTRAINT ") {
        breaks.push((
            "ban-alter-domain-with-add-constraint",
            "added NOT VALID, then validated in its own step after a preflight found no violating row",
        ));
    }
    if has(" DETACH PARTITION ") && !has(" CONCURRENTLY") {
        breaks.push((
            "require-concurrent-partition-detach",
            "CONCURRENTLY is refused inside a transaction and beside a default partition: the detach \
             waits at most lock_timeout and holds its lock for an instant",
        ));
    } else if has(" DETACH PARTITION ") {
        breaks.push((
            "prefer-robust-stmts",
            "DETACH CONCURRENTLY cannot run in a transaction; apply records each step and resumes \
             after the last one done",
        ));
    }
    if has("DROP TYPE") {
        breaks.push((
            "ban-drop-type",
            "the schema no longer has this type, or a rebuilt one replaces it",
        ));
    }
    if has(" DROP DEFAULT") {
        breaks.push((
            "ban-drop-default",
            "the schema removes the default (or sets it again after a type change)",
        ));
    }
    if has(" DROP NOT NULL") {
        breaks.push(("ban-drop-not-null", "the schema makes the column nullable"));
    }
    if has(" ALTER COLUMN ")
        && (has(" AS IDENTITY") || has(" SET GENERATED ") || has(" DROP IDENTITY"))
    {
        breaks.push((
            "ban-alter-identity",
            "the schema changes the identity; a step that stops numbering lists the hazard",
        ));
    }
    if has("DROP VIEW") || has("DROP MATERIALIZED VIEW") {
        breaks.push((
            "ban-drop-view",
            "the schema no longer has this view, or it is created again later in this plan (the step's hazard says why)",
        ));
    }
    if has("DROP SEQUENCE") {
        breaks.push((
            "ban-drop-sequence",
            "the schema no longer declares the sequence, or an identity column replaces a serial",
        ));
    }
    if has(" ADD COLUMN ") && has(" DEFAULT NEXTVAL(") {
        breaks.push((
            "adding-field-with-default",
            "each row takes its number from the sequence; the step lists the rewrite",
        ));
    }
    if has(" RENAME COLUMN ") {
        breaks.push(("renaming-column", CONSENT));
    } else if has("ALTER TABLE") && has(" RENAME TO ") {
        breaks.push(("renaming-table", CONSENT));
    } else if has(" RENAME CONSTRAINT ")
        || (has(" RENAME TO ")
            && (has("ALTER INDEX") || has("ALTER TYPE") || has("ALTER SEQUENCE")))
    {
        breaks.push((
            "renaming-object",
            "the schema names it so (a rename, or the name PostgreSQL gives a rebuilt object)",
        ));
    }
    if has("ALTER COLUMN") && has(" TYPE ") {
        breaks.push((
            "changing-column-type",
            "the schema changes the type; the step lists any rewrite as a hazard",
        ));
    }
    if has(" ADD COLUMN ") && has(" GENERATED ") && has(" VIRTUAL") {
        breaks.push((
            "adding-field-with-default",
            "a virtual generated column is computed when read: nothing is written",
        ));
    } else if has(" ADD COLUMN ") && has(" GENERATED ") {
        breaks.push((
            "adding-field-with-default",
            "a generated column is computed for every row; the step lists the rewrite",
        ));
    }
    // On a table with rows the recipes use NOT VALID, CONCURRENTLY and USING INDEX; the plain
    // forms appear only where the table holds no rows.
    if has(" FOREIGN KEY ") && !has("NOT VALID") && !has("CREATE TABLE") {
        breaks.push(("constraint-missing-not-valid", EMPTY));
        breaks.push(("adding-foreign-key-constraint", EMPTY));
    } else if has(" ADD CONSTRAINT ") && has(" CHECK ") && !has("NOT VALID") {
        breaks.push(("constraint-missing-not-valid", EMPTY));
    }
    if has("CREATE ") && has(" INDEX ") && has(" ON ONLY ") {
        breaks.push((
            "require-concurrent-index-creation",
            "the partitioned parent's own index builds nothing: each partition's is built \
             concurrently and attached",
        ));
    } else if has("CREATE ") && has(" INDEX ") && !has("CONCURRENTLY") {
        breaks.push(("require-concurrent-index-creation", EMPTY));
    }
    if has(" ADD CONSTRAINT ") && (has(" UNIQUE (") || has(" PRIMARY KEY (")) {
        breaks.push(("disallowed-unique-constraint", EMPTY));
    }
    breaks
}

/// The constraint `ALTER TABLE ... DROP CONSTRAINT [IF EXISTS] name` drops, when it is one of
/// schemac's own (`own_names`), read through the shared lexer rather than from the text's case.
fn dropped_own_constraint(statement: &str) -> Option<String> {
    let tokens = crate::lexer::lex(statement);
    let words: Vec<Option<String>> = tokens.iter().map(|t| t.name()).collect();
    let is = |i: usize, word: &str| {
        tokens
            .get(i)
            .is_some_and(|t| t.kind == crate::lexer::Kind::Word)
            && words.get(i).and_then(Option::as_deref) == Some(word)
    };
    (0..tokens.len())
        .filter(|&i| is(i, "drop") && is(i + 1, "constraint"))
        .map(|i| {
            if is(i + 2, "if") && is(i + 3, "exists") {
                i + 4
            } else {
                i + 2
            }
        })
        .filter_map(|at| words.get(at).cloned().flatten())
        .find(|name| crate::own_names::is_own(name))
}

/// squawk rules about which column types a schema should choose (not how a plan changes them):
/// ignored for the whole script where the script uses such a type, with the reason.
fn schema_type_rules(plan: &Plan) -> Vec<&'static str> {
    let text: String = plan
        .steps
        .iter()
        .filter_map(|step| match &step.action {
            Action::Sql(statements) => Some(statements.join("\n").to_ascii_uppercase()),
            _ => None,
        })
        .filter(|sql| {
            sql.contains("CREATE TABLE") || sql.contains(" ADD COLUMN ") || sql.contains(" TYPE ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let word = |w: &str| {
        text.match_indices(w).any(|(i, _)| {
            let before = text[..i]
                .chars()
                .last()
                .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            let after = text[i + w.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            before && after
        })
    };
    let mut rules = Vec::new();
    if ["INTEGER", "SMALLINT", "SERIAL", "SMALLSERIAL", "INT"]
        .iter()
        .any(|w| word(w))
    {
        rules.push("prefer-bigint-over-int");
    }
    if ["SERIAL", "BIGSERIAL", "SMALLSERIAL"]
        .iter()
        .any(|w| word(w))
    {
        rules.push("prefer-identity");
    }
    if text.contains("VARCHAR(") || word("CHAR") {
        rules.push("prefer-text-field");
    }
    if word("TIMESTAMP") {
        rules.push("prefer-timestamptz");
    }
    rules
}

/// The plan as an SQL script with a comment header per step, exactly as `apply` runs it: each
/// transactional step in its own `BEGIN`/`COMMIT` with its timeouts set.
pub fn sql_script(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "-- schemac plan: {} step(s)", plan.steps.len());
    let type_rules = schema_type_rules(plan);
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
                for statement in statements {
                    let breaks = deliberate_breaks(statement);
                    if !breaks.is_empty() {
                        let mut reasons: Vec<&str> = breaks.iter().map(|(_, why)| *why).collect();
                        // The swap of an online type change drops and renames on purpose, not
                        // because the schema lost anything.
                        if step.kind == crate::plan::StepKind::SwapColumn {
                            for why in &mut reasons {
                                if why.starts_with("the schema no longer has")
                                    || why.starts_with("`renamed from`")
                                {
                                    *why = "online type change: schemac's converted copy, verified to hold every value, replaces the column";
                                }
                            }
                        }
                        // A materialized view takes no writes: a plain index build blocks only
                        // REFRESH.
                        if matches!(
                            step.kind,
                            crate::plan::StepKind::CreateView
                                | crate::plan::StepKind::CreateViewIndex
                        ) {
                            for why in &mut reasons {
                                if why.starts_with("the table holds no rows") {
                                    *why = "a materialized view takes no writes: a plain index build blocks only REFRESH";
                                }
                            }
                        }
                        let mut rules: Vec<&str> = breaks.iter().map(|(rule, _)| *rule).collect();
                        // A partitioned table's key: each partition's index was built
                        // concurrently and made its constraint, which the parent adopts.
                        let adopts = statements.iter().any(|s| s.contains(" USING INDEX "));
                        if adopts && rules.contains(&"disallowed-unique-constraint") {
                            for why in &mut reasons {
                                if why.starts_with("the table holds no rows") {
                                    *why = "each partition's index was built concurrently and is its constraint already: the parent's constraint adopts them without a scan";
                                }
                            }
                            rules.push("constraint-missing-not-valid");
                        }
                        reasons.dedup();
                        for why in reasons {
                            let _ = writeln!(out, "-- {why}");
                        }
                        let _ = writeln!(out, "-- squawk-ignore {}", rules.join(", "));
                    }
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

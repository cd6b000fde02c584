//! Hazards: what a reviewer should know about a step. Each has a stable kebab-case `code` (JSON
//! output and CI scripts depend on it) and a sentence for people. One constructor per hazard, each
//! saying what it flags and why it hurts in production.

/// Something a reviewer should know about a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hazard {
    /// Stable kebab-case name, e.g. `deletes-data`.
    pub code: &'static str,
    pub message: String,
}

impl Hazard {
    fn new(code: &'static str, message: impl Into<String>) -> Hazard {
        Hazard {
            code,
            message: message.into(),
        }
    }

    /// Dropping a table, column or enum value destroys data that no later step can bring back.
    pub fn deletes_data(what: &str) -> Hazard {
        Hazard::new("deletes-data", format!("deletes {what} and the data in it"))
    }

    /// Once the fill trigger is gone, the database no longer fills the column for writers that
    /// leave it out: the application that writes it must be deployed before this step runs.
    pub fn writes_must_set(table: &str, column: &str) -> Hazard {
        Hazard::new(
            "requires-application-deploy",
            format!("from here on, inserts into `{table}` must set `{column}` (NOT NULL, no longer filled by schemac's trigger): deploy the application that writes it first"),
        )
    }

    /// A view dropped to be created again is missing in between: queries on it fail for that
    /// moment (and until the plan is run again, if it stops there).
    pub fn recreates_view(kind: &str, name: &str, because: &str) -> Hazard {
        Hazard::new(
            "recreates-view",
            format!("drops {kind} `{name}` and creates it again later in this plan ({because}): queries on it fail in between"),
        )
    }

    /// A materialized view is built by running its query over every row it reads, once, when it
    /// is created: as long as the query takes.
    pub fn builds_materialized_view(name: &str) -> Hazard {
        Hazard::new(
            "builds-materialized-view",
            format!("builds materialized view `{name}` by running its query over all the rows it reads (WITH DATA): as long as that query takes"),
        )
    }

    /// A dropped view breaks the clients that query it; no data is lost (a materialized view's
    /// rows are its query's).
    pub fn drops_view(kind: &str, name: &str) -> Hazard {
        Hazard::new(
            "drops-view",
            format!("drops {kind} `{name}`: queries that read it fail from here on"),
        )
    }

    /// A dropped constraint stops being enforced: rows that violate it can be written afterwards.
    pub fn drops_constraint(name: &str) -> Hazard {
        Hazard::new(
            "drops-constraint",
            format!("drops constraint `{name}`: the database stops enforcing it"),
        )
    }

    /// A column that stops being an identity column no longer numbers new rows: inserts that
    /// leave it out fail (it stays NOT NULL) until the application gives a value.
    pub fn stops_numbering(table: &str, column: &str) -> Hazard {
        Hazard::new(
            "requires-application-deploy",
            format!("from here on, inserts into `{table}` must set `{column}` (no longer an identity column): deploy the application that writes it first"),
        )
    }

    /// A dropped unique index or unique constraint loses no data, but duplicates can be written
    /// afterwards: what goes is a guarantee the application may rely on, not only speed.
    pub fn removes_uniqueness(what: &str, name: &str) -> Hazard {
        Hazard::new(
            "removes-uniqueness-guarantee",
            format!("drops unique {what} `{name}`: the database stops rejecting duplicate values"),
        )
    }

    /// A dropped index loses no data, but queries that used it may become slow.
    pub fn drops_index(name: &str) -> Hazard {
        Hazard::new(
            "drops-index",
            format!("drops index `{name}`: queries that used it may become slow"),
        )
    }

    /// A rename breaks every running client that still uses the old name (`renamed from` is the
    /// user's consent; schemac emits a plain RENAME).
    pub fn renames_object(what: &str, from: &str, to: &str) -> Hazard {
        Hazard::new(
            "breaks-running-clients",
            format!("renames {what} `{from}` to `{to}`: clients still using `{from}` fail until they are deployed"),
        )
    }

    /// `ALTER COLUMN ... TYPE` that is not binary-coercible rewrites the table (and its indexes)
    /// under ACCESS EXCLUSIVE: reads and writes wait for the whole rewrite.
    pub fn rewrites_table(table: &str) -> Hazard {
        Hazard::new(
            "rewrites-table",
            format!("rewrites every row of `{table}` under ACCESS EXCLUSIVE: reads and writes wait until it finishes"),
        )
    }

    /// The online type change ends by replacing the column with its converted copy: a brief
    /// ACCESS EXCLUSIVE, but the column moves to the end of the table (`SELECT *` order).
    pub fn swaps_column(table: &str, column: &str, to: &str) -> Hazard {
        Hazard::new(
            "swaps-column",
            format!("replaces `{table}.{column}` with its copy converted to {to} (kept in sync by a trigger, filled in batches): an instant under ACCESS EXCLUSIVE; the column moves to the end of the table"),
        )
    }

    /// A type change that could not run online (recipe E): says why, so a reviewer can plan it
    /// differently (e.g. convert the referencing columns first, or schedule the rewrite).
    pub fn rewrite_not_online(table: &str, column: &str, why: &str) -> Hazard {
        Hazard::new(
            "rewrites-table",
            format!("`{table}.{column}` is not converted online (shadow column and swap): {why}"),
        )
    }

    /// A narrowing type change can fail on existing values or lose precision.
    pub fn narrows_type(column: &str, from: &str, to: &str) -> Hazard {
        Hazard::new("narrows-type", format!("changes `{column}` from {from} to {to}: values that do not fit are rejected or lose precision"))
    }

    /// Validation reads the whole table; it takes SHARE UPDATE EXCLUSIVE so writes continue.
    pub fn long_validation(table: &str) -> Hazard {
        Hazard::new(
            "scans-table",
            format!("reads every row of `{table}` (writes continue)"),
        )
    }

    /// A batched backfill writes every row, in short transactions.
    pub fn backfills_rows(table: &str, column: &str) -> Hazard {
        Hazard::new(
            "backfills-rows",
            format!("updates every row of `{table}` to fill `{column}`, in short batches (row locks only)"),
        )
    }

    /// A check or foreign key added to a table with rows makes future writes that violate it fail.
    pub fn new_constraint_on_rows(table: &str, name: &str) -> Hazard {
        Hazard::new(
            "rejects-writes",
            format!("writes to `{table}` that violate `{name}` fail from now on"),
        )
    }

    /// Turning row-level security on hides rows from every role without a matching policy.
    pub fn enables_rls(table: &str) -> Hazard {
        Hazard::new(
            "changes-visibility",
            format!("row-level security on `{table}`: roles without a matching policy see no rows afterwards"),
        )
    }

    /// Turning row-level security off, or dropping a policy, can expose rows.
    pub fn exposes_rows(table: &str, what: &str) -> Hazard {
        Hazard::new(
            "exposes-rows",
            format!(
                "{what} on `{table}`: rows may become visible to roles that could not see them"
            ),
        )
    }

    /// A non-concurrent index build blocks writes for its duration.
    pub fn blocks_writes(table: &str) -> Hazard {
        Hazard::new(
            "blocks-writes",
            format!("blocks writes to `{table}` while it runs"),
        )
    }

    /// Enum values cannot be removed: the type is rebuilt and every column using it converted.
    pub fn replaces_enum(name: &str, removed: &[String]) -> Hazard {
        Hazard::new(
            "replaces-type",
            format!(
                "rebuilds enum `{name}` and converts every column using it{}",
                if removed.is_empty() {
                    String::new()
                } else {
                    format!("; removes {}", removed.join(", "))
                }
            ),
        )
    }

    /// Revoking a privilege makes statements of that role fail.
    pub fn revokes_privilege(table: &str, role: &str) -> Hazard {
        Hazard::new(
            "revokes-privilege",
            format!("`{role}` loses privileges on `{table}`: its statements may fail"),
        )
    }

    /// Callers of a dropped function or procedure (the application, views, other routines) fail.
    pub fn drops_routine(what: &str) -> Hazard {
        Hazard::new(
            "drops-routine",
            format!("drops `{what}`: statements that call it fail from here on"),
        )
    }

    /// Validating a domain check scans every column of the domain's type, holding SHARE on each
    /// table (PostgreSQL 18 and older): writes to them wait.
    pub fn validates_domain(domain: &str) -> Hazard {
        Hazard::new(
            "blocks-writes",
            format!("reads every row of the tables with a column of domain `{domain}`; writes to them wait until it finishes (PostgreSQL 18 and older)"),
        )
    }
}

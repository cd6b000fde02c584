//! Constructors for resolve diagnostics: the schema parses but names, types, keys or the tenancy
//! do not add up. Help says what to write, in `.schema` syntax.

use super::{codes, Diagnostic};
use crate::source::Span;

fn did_you_mean(closest: Option<&str>) -> Option<String> {
    closest.map(|c| format!("did you mean `{c}`?"))
}

impl Diagnostic {
    pub fn unknown_type(name: &str, at: Span, closest: Option<&str>) -> Diagnostic {
        Diagnostic::error(codes::UNKNOWN_TYPE, format!("`{name}` is not a type"))
            .with_label(at, "unknown type")
            .with_help(did_you_mean(closest).or_else(|| {
                Some(format!(
                    "use a type such as `text`, `int`, `uuid` or `timestamptz`, declare \
                     `enum {name} {{ ... }}`, or quote a PostgreSQL type: `\"{name}\"`"
                ))
            }))
    }

    pub fn unknown_table(name: &str, at: Span, closest: Option<&str>) -> Diagnostic {
        Diagnostic::error(codes::UNKNOWN_TABLE, format!("`{name}` is not a table"))
            .with_label(at, "referenced here")
            .with_help(
                did_you_mean(closest)
                    .or_else(|| Some(format!("declare it with `table {name} {{ ... }}`"))),
            )
    }

    pub fn unknown_column(
        table: &str,
        column: &str,
        at: Span,
        closest: Option<&str>,
    ) -> Diagnostic {
        Diagnostic::error(
            codes::UNKNOWN_COLUMN,
            format!("table `{table}` has no column `{column}`"),
        )
        .with_label(at, "unknown column")
        .with_help(
            did_you_mean(closest)
                .or_else(|| Some(format!("add a column `{column} <type>` to table `{table}`"))),
        )
    }

    /// `using btre`: close to a built-in method, so a typo rather than an extension's method.
    pub fn unknown_index_method(method: &str, at: Span, closest: &str) -> Diagnostic {
        Diagnostic::error(
            codes::UNKNOWN_INDEX_METHOD,
            format!("unknown index method `{method}`"),
        )
        .with_label(at, "not an index method")
        .with_help(Some(format!(
            "did you mean `{closest}`? The built-in methods are `btree`, `hash`, `gist`, \
             `spgist`, `gin` and `brin`; an extension's method (`bloom`) is written as the \
             extension names it"
        )))
    }

    pub fn duplicate_table(name: &str, at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_TABLE,
            format!("table `{name}` is declared twice"),
        )
        .with_label(at, "declared again here")
        .with_label(first, "first declared here")
        .with_help(format!(
            "rename one of them, or merge their entries into one `table {name}`"
        ))
    }

    pub fn duplicate_view(name: &str, at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_VIEW,
            format!("view `{name}` is declared twice"),
        )
        .with_label(at, "declared again here")
        .with_label(first, "first declared here")
        .with_help("rename one of them, or remove one".to_string())
    }

    pub fn empty_view_query(name: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::EMPTY_VIEW_QUERY,
            format!("view `{name}` has no query"),
        )
        .with_label(at, "empty")
        .with_help(format!("write its query: `view {name} as (select ...)`"))
    }

    pub fn view_with_indexes(name: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::VIEW_WITH_INDEXES,
            format!("view `{name}` has indexes, but only a materialized view can"),
        )
        .with_label(at, "a plain view")
        .with_help(format!(
            "write `materialized view {name} ...`, or remove the braces and their indexes"
        ))
    }

    pub fn duplicate_column(table: &str, column: &str, at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_COLUMN,
            format!("column `{column}` appears twice in table `{table}`"),
        )
        .with_label(at, "declared again here")
        .with_label(first, "first declared here")
        .with_help("remove one of them or give it another name".to_string())
    }

    pub fn duplicate_enum(name: &str, at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_ENUM,
            format!("enum `{name}` is declared twice"),
        )
        .with_label(at, "declared again here")
        .with_label(first, "first declared here")
        .with_help("rename one of them, or merge their values into one `enum`".to_string())
    }

    pub fn duplicate_enum_value(name: &str, value: &str, at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_ENUM_VALUE,
            format!("value `{value}` appears twice in enum `{name}`"),
        )
        .with_label(at, "repeated here")
        .with_label(first, "first listed here")
        .with_help(format!("remove the second `{value}`"))
    }

    pub fn duplicate_constraint_name(name: &str, at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_CONSTRAINT_NAME,
            format!("the name `{name}` is used twice"),
        )
        .with_label(at, "used again here")
        .with_label(first, "first used here")
        .with_help(
            "index, unique and table names share one namespace per schema, and check names must \
             differ within a table: choose another name"
                .to_string(),
        )
    }

    pub fn duplicate_tenancy(at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_TENANCY,
            "a schema has at most one `tenancy` block",
        )
        .with_label(at, "second `tenancy` block")
        .with_label(first, "first `tenancy` block")
        .with_help("merge the two blocks into one".to_string())
    }

    pub fn duplicate_tenancy_entry(keyword: &str, at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_TENANCY_ENTRY,
            format!("`{keyword}` appears twice in the `tenancy` block"),
        )
        .with_label(at, "repeated here")
        .with_label(first, "first set here")
        .with_help(format!("keep one `{keyword}` entry"))
    }

    pub fn tenant_table_without_tenancy(table: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::TENANT_TABLE_WITHOUT_TENANCY,
            format!("`tenant table {table}` needs a `tenancy` block"),
        )
        .with_label(at, "tenant table declared here")
        .with_help(
            "add `tenancy { root accounts }` naming the table whose rows are the tenants, or \
             write `table` instead of `tenant table`"
                .to_string(),
        )
    }

    pub fn tenancy_without_root(at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::TENANCY_WITHOUT_ROOT,
            "the `tenancy` block has no `root`",
        )
        .with_label(at, "no `root` in this block")
        .with_help("add `root <table>` naming the table whose rows are the tenants".to_string())
    }

    pub fn unknown_tenancy_root(name: &str, at: Span, closest: Option<&str>) -> Diagnostic {
        Diagnostic::error(
            codes::UNKNOWN_TENANCY_ROOT,
            format!("the tenancy root `{name}` is not a table"),
        )
        .with_label(at, "no such table")
        .with_help(
            did_you_mean(closest)
                .or_else(|| Some(format!("declare `table {name} {{ id uuid primary }}`"))),
        )
    }

    pub fn tenancy_root_is_tenant(root: &str, at: Span, table_at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::TENANCY_ROOT_IS_TENANT,
            format!("the tenancy root `{root}` cannot itself be a tenant table"),
        )
        .with_label(at, "root named here")
        .with_label(table_at, "declared as a tenant table here")
        .with_help(format!("declare it as `table {root}`"))
    }

    pub fn tenancy_root_without_key(
        root: &str,
        at: Span,
        table_at: Span,
        columns: usize,
    ) -> Diagnostic {
        let message = if columns == 0 {
            format!("the tenancy root `{root}` has no primary key")
        } else {
            format!("the tenancy root `{root}` has a primary key of {columns} columns")
        };
        Diagnostic::error(codes::TENANCY_ROOT_WITHOUT_KEY, message)
            .with_label(at, "root named here")
            .with_label(table_at, "table declared here")
            .with_help(format!(
                "give `{root}` a single-column primary key, e.g. `id uuid primary`; its type \
                 becomes the tenant key type"
            ))
    }

    pub fn global_references_tenant(table: &str, referenced: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::GLOBAL_REFERENCES_TENANT,
            format!("global table `{table}` references tenant table `{referenced}`"),
        )
        .with_label(at, "reference to a tenant table")
        .with_help(format!(
            "a global table is shared by every tenant and cannot point at one tenant's rows: \
             make `{table}` a `tenant table` or remove the reference"
        ))
    }

    pub fn plain_references_tenant(table: &str, referenced: &str, at: Span) -> Diagnostic {
        Diagnostic::warning(
            codes::PLAIN_REFERENCES_TENANT,
            format!("table `{table}` references tenant table `{referenced}`"),
        )
        .with_label(at, "reference to a tenant table")
        .with_help(format!(
            "rows of `{table}` are not isolated per tenant; declare it `tenant table {table}` \
             or `global table {table}` to say which it is"
        ))
    }

    pub fn tenant_column_mismatch(
        table: &str,
        column: &str,
        expected: &str,
        found: &str,
        at: Span,
    ) -> Diagnostic {
        Diagnostic::error(
            codes::TENANT_COLUMN_MISMATCH,
            format!("tenant column `{column}` of `{table}` must be `{expected}`, found `{found}`"),
        )
        .with_label(at, "written by hand here")
        .with_help(format!(
            "write `{column} {expected}` (the tenancy root's key type, not null), or remove the \
             line and let the compiler add it"
        ))
    }

    pub fn backfill_from_not_foreign_key(table: &str, column: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::BACKFILL_FROM_NOT_FOREIGN_KEY,
            format!("`backfill ... from {column}` needs a foreign key on `{table}.{column}`"),
        )
        .with_label(at, "not a foreign key column")
        .with_help(format!(
            "add `references <table>` to column `{column}`, or use `backfill <column> (expr)`"
        ))
    }

    pub fn duplicate_backfill(column: &str, at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_BACKFILL,
            format!("column `{column}` has two backfills"),
        )
        .with_label(at, "second backfill")
        .with_label(first, "first backfill")
        .with_help("keep one of them".to_string())
    }

    #[allow(clippy::too_many_arguments)]
    pub fn foreign_key_type_mismatch(
        column: &str,
        column_type: &str,
        referenced_table: &str,
        referenced_column: &str,
        referenced_type: &str,
        at: Span,
        referenced_at: Span,
    ) -> Diagnostic {
        Diagnostic::error(
            codes::FOREIGN_KEY_TYPE_MISMATCH,
            format!(
                "`{column}` is `{column_type}` but references `{referenced_table}.{referenced_column}` \
                 of type `{referenced_type}`"
            ),
        )
        .with_label(at, "foreign key here")
        .with_label(referenced_at, "referenced column declared here")
        .with_help(format!("change the type of `{column}` to `{referenced_type}`"))
    }

    pub fn foreign_key_column_count(
        count: usize,
        referenced_table: &str,
        referenced_count: usize,
        at: Span,
    ) -> Diagnostic {
        Diagnostic::error(
            codes::FOREIGN_KEY_COLUMN_COUNT,
            format!(
                "this foreign key has {count} column{} but references {referenced_count} of `{referenced_table}`",
                if count == 1 { "" } else { "s" }
            ),
        )
        .with_label(at, "column counts differ")
        .with_help("list as many columns on each side, pairwise of the same type".to_string())
    }

    pub fn referenced_columns_not_unique(
        referenced_table: &str,
        columns: &[String],
        at: Span,
        table_at: Span,
    ) -> Diagnostic {
        let list = columns.join(", ");
        Diagnostic::error(
            codes::REFERENCED_COLUMNS_NOT_UNIQUE,
            format!("`{referenced_table}({list})` is not a primary key or unique constraint"),
        )
        .with_label(at, "foreign key here")
        .with_label(table_at, "referenced table declared here")
        .with_help(format!(
            "a foreign key must reference a key: add `unique ({list})` to table `{referenced_table}`"
        ))
    }

    pub fn referenced_table_without_key(referenced_table: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::REFERENCED_TABLE_WITHOUT_KEY,
            format!("`{referenced_table}` has no primary key to reference"),
        )
        .with_label(at, "no referenced column given")
        .with_help(format!(
            "name the referenced column, `references {referenced_table}(column)`, or give \
             `{referenced_table}` a primary key"
        ))
    }

    pub fn duplicate_primary_key(table: &str, at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_PRIMARY_KEY,
            format!("table `{table}` has more than one primary key"),
        )
        .with_label(at, "second primary key")
        .with_label(first, "first primary key")
        .with_help("for a key of several columns write one `primary key (a, b)` entry".to_string())
    }

    pub fn nullable_primary_key(column: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::NULLABLE_PRIMARY_KEY,
            format!("primary key column `{column}` cannot be nullable"),
        )
        .with_label(at, "declared nullable with `?`")
        .with_help(format!("remove the `?` from the type of `{column}`"))
    }

    pub fn duplicate_attribute(keyword: &str, at: Span, first: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_ATTRIBUTE,
            format!("`{keyword}` is given twice on this column"),
        )
        .with_label(at, "repeated here")
        .with_label(first, "first given here")
        .with_help(format!("keep one `{keyword}`"))
    }

    pub fn generated_with_default(column: &str, at: Span, default_at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::GENERATED_WITH_DEFAULT,
            format!("column `{column}` is generated and cannot also have a default"),
        )
        .with_label(at, "generated here")
        .with_label(default_at, "default here")
        .with_help("remove `default(...)` or `generated (...)`".to_string())
    }

    /// `identity` on a column PostgreSQL would refuse or silently change (`reason` says why).
    pub fn invalid_identity(column: &str, reason: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::INVALID_IDENTITY,
            format!("column `{column}` cannot be an identity column: {reason}"),
        )
        .with_label(at, "identity here")
        .with_help(
            "an identity column is a `smallint`, `int` or `bigint` without `?`, `default(...)` \
             or `generated (...)`"
                .to_string(),
        )
    }

    pub fn serial_array(at: Span) -> Diagnostic {
        Diagnostic::error(codes::SERIAL_ARRAY, "a `serial` type cannot be an array")
            .with_label(at, "array of serial")
            .with_help("use `int[]` or `bigint[]`".to_string())
    }

    pub fn serial_with_default(column: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::SERIAL_WITH_DEFAULT,
            format!("serial column `{column}` cannot have a default"),
        )
        .with_label(at, "default here")
        .with_help(
            "a serial column's default is its sequence: remove `default(...)`, or use `int`"
                .to_string(),
        )
    }

    pub fn invalid_type_arguments(ty: &str, reason: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::INVALID_TYPE_ARGUMENTS,
            format!("invalid arguments for type `{ty}`: {reason}"),
        )
        .with_label(at, "here")
        .with_help(
            "`varchar(n)` and `char(n)` take a length of at least 1; `numeric(p, s)` takes a \
             precision from 1 to 1000 and a scale up to the precision"
                .to_string(),
        )
    }

    pub fn name_too_long(name: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::NAME_TOO_LONG,
            format!("`{name}` is longer than 63 bytes"),
        )
        .with_label(at, "PostgreSQL would truncate this name")
        .with_help("use a name of at most 63 bytes".to_string())
    }

    pub fn duplicate_key_column(column: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::DUPLICATE_KEY_COLUMN,
            format!("column `{column}` is listed twice"),
        )
        .with_label(at, "listed again here")
        .with_help(format!("list `{column}` once"))
    }

    pub fn set_null_on_not_null_column(column: &str, at: Span) -> Diagnostic {
        Diagnostic::warning(
            codes::SET_NULL_ON_NOT_NULL_COLUMN,
            format!("`on delete set null` on column `{column}`, which is not nullable"),
        )
        .with_label(at, "deleting the referenced row will fail")
        .with_help(format!(
            "make `{column}` nullable with `?`, or use `on delete cascade`"
        ))
    }

    pub fn insert_policy_with_using(policy: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::INSERT_POLICY_WITH_USING,
            format!("policy `{policy}` is for `insert` and cannot have `using`"),
        )
        .with_label(at, "`using` here")
        .with_help(
            "an insert policy only checks new rows: write `with check (expr)` instead".to_string(),
        )
    }

    pub fn policy_without_expression(policy: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::POLICY_WITHOUT_EXPRESSION,
            format!("policy `{policy}` has neither `using` nor `with check`"),
        )
        .with_label(at, "policy here")
        .with_help("add `using (expr)` and/or `with check (expr)`".to_string())
    }

    pub fn policy_without_row_level_security(policy: &str, table: &str, at: Span) -> Diagnostic {
        Diagnostic::warning(
            codes::POLICY_WITHOUT_ROW_LEVEL_SECURITY,
            format!("policy `{policy}` has no effect: row level security is off for `{table}`"),
        )
        .with_label(at, "policy here")
        .with_help(format!("add `row level security` to table `{table}`"))
    }

    pub fn duplicate_policy(name: &str, at: Span, first: Option<Span>) -> Diagnostic {
        let diagnostic = Diagnostic::error(
            codes::DUPLICATE_POLICY,
            format!("policy `{name}` is declared twice on this table"),
        )
        .with_label(at, "declared again here");
        match first {
            Some(first) => diagnostic
                .with_label(first, "first declared here")
                .with_help("give the policies different names".to_string()),
            None => diagnostic.with_help(format!(
                "`{name}` is the name of a policy the tenancy adds: choose another name"
            )),
        }
    }

    pub fn enum_value_too_long(value: &str, at: Span) -> Diagnostic {
        Diagnostic::error(
            codes::ENUM_VALUE_TOO_LONG,
            format!("enum value `{value}` is longer than 63 bytes"),
        )
        .with_label(at, "too long")
        .with_help("PostgreSQL enum labels are at most 63 bytes: shorten it".to_string())
    }

    /// A `partition` entry that the table's partitioning cannot take.
    pub fn invalid_partitioning(table: &str, problem: &str, at: Span, help: &str) -> Diagnostic {
        Diagnostic::error(
            codes::INVALID_PARTITIONING,
            format!("table `{table}`: {problem}"),
        )
        .with_label(at, "here")
        .with_help(help.to_string())
    }

    /// PostgreSQL enforces uniqueness per partition, so a key must contain the partition key.
    pub fn unique_without_partition_key(
        table: &str,
        what: &str,
        missing: &[String],
        at: Span,
    ) -> Diagnostic {
        Diagnostic::error(
            codes::UNIQUE_WITHOUT_PARTITION_KEY,
            format!(
                "the {what} of partitioned table `{table}` does not include the partition key ({})",
                missing.join(", ")
            ),
        )
        .with_label(at, "declared here")
        .with_help(format!(
            "PostgreSQL checks uniqueness in each partition separately: add {} to the {what}'s \
             columns",
            missing
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

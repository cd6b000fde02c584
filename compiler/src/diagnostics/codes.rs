//! Stable diagnostic codes. A code never changes meaning once released; add new ones at the end of
//! their stage's section.

// --- parse: the text is not `.schema` syntax -------------------------------------------------

/// A token that does not fit where it stands.
pub const UNEXPECTED_TOKEN: &str = "schemac::parse::unexpected_token";
/// A top-level line that does not start any item.
pub const UNKNOWN_ITEM: &str = "schemac::parse::unknown_item";
/// A table whose closing `}` is missing.
pub const MISSING_CLOSE_BRACE: &str = "schemac::parse::missing_close_brace";
/// A byte sequence that is not UTF-8.
pub const INVALID_UTF8: &str = "schemac::parse::invalid_utf8";
/// Parentheses or braces nested deeper than the parser accepts.
pub const NESTING_TOO_DEEP: &str = "schemac::parse::nesting_too_deep";
/// A number that does not fit (type arguments).
pub const INVALID_NUMBER: &str = "schemac::parse::invalid_number";
/// A `"` string that is not closed on its line.
pub const UNTERMINATED_STRING: &str = "schemac::parse::unterminated_string";
/// A `(` of an expression without its `)`.
pub const UNCLOSED_PARENTHESIS: &str = "schemac::parse::unclosed_parenthesis";

// --- resolve: the schema parses but does not make sense ---------------------------------------

pub const UNKNOWN_TYPE: &str = "schemac::resolve::unknown_type";
pub const UNKNOWN_TABLE: &str = "schemac::resolve::unknown_table";
pub const UNKNOWN_COLUMN: &str = "schemac::resolve::unknown_column";
/// `using m` where `m` is a misspelt built-in access method (an extension's method is accepted).
pub const UNKNOWN_INDEX_METHOD: &str = "schemac::resolve::unknown_index_method";
pub const DUPLICATE_TABLE: &str = "schemac::resolve::duplicate_table";
pub const DUPLICATE_COLUMN: &str = "schemac::resolve::duplicate_column";
pub const DUPLICATE_ENUM: &str = "schemac::resolve::duplicate_enum";
pub const DUPLICATE_ENUM_VALUE: &str = "schemac::resolve::duplicate_enum_value";
pub const DUPLICATE_CONSTRAINT_NAME: &str = "schemac::resolve::duplicate_constraint_name";
pub const DUPLICATE_TENANCY: &str = "schemac::resolve::duplicate_tenancy";
pub const TENANT_TABLE_WITHOUT_TENANCY: &str = "schemac::resolve::tenant_table_without_tenancy";
pub const TENANCY_WITHOUT_ROOT: &str = "schemac::resolve::tenancy_without_root";
pub const UNKNOWN_TENANCY_ROOT: &str = "schemac::resolve::unknown_tenancy_root";
pub const TENANCY_ROOT_IS_TENANT: &str = "schemac::resolve::tenancy_root_is_tenant";
pub const TENANCY_ROOT_WITHOUT_KEY: &str = "schemac::resolve::tenancy_root_without_key";
pub const DUPLICATE_TENANCY_ENTRY: &str = "schemac::resolve::duplicate_tenancy_entry";
pub const GLOBAL_REFERENCES_TENANT: &str = "schemac::resolve::global_references_tenant";
pub const PLAIN_REFERENCES_TENANT: &str = "schemac::resolve::plain_references_tenant";
pub const TENANT_COLUMN_MISMATCH: &str = "schemac::resolve::tenant_column_mismatch";
pub const BACKFILL_FROM_NOT_FOREIGN_KEY: &str = "schemac::resolve::backfill_from_not_foreign_key";
pub const DUPLICATE_BACKFILL: &str = "schemac::resolve::duplicate_backfill";
pub const FOREIGN_KEY_TYPE_MISMATCH: &str = "schemac::resolve::foreign_key_type_mismatch";
pub const FOREIGN_KEY_COLUMN_COUNT: &str = "schemac::resolve::foreign_key_column_count";
pub const REFERENCED_COLUMNS_NOT_UNIQUE: &str = "schemac::resolve::referenced_columns_not_unique";
pub const REFERENCED_TABLE_WITHOUT_KEY: &str = "schemac::resolve::referenced_table_without_key";
pub const DUPLICATE_PRIMARY_KEY: &str = "schemac::resolve::duplicate_primary_key";
pub const NULLABLE_PRIMARY_KEY: &str = "schemac::resolve::nullable_primary_key";
pub const DUPLICATE_ATTRIBUTE: &str = "schemac::resolve::duplicate_attribute";
pub const GENERATED_WITH_DEFAULT: &str = "schemac::resolve::generated_with_default";
pub const SERIAL_ARRAY: &str = "schemac::resolve::serial_array";
pub const SERIAL_WITH_DEFAULT: &str = "schemac::resolve::serial_with_default";
pub const INVALID_TYPE_ARGUMENTS: &str = "schemac::resolve::invalid_type_arguments";
pub const NAME_TOO_LONG: &str = "schemac::resolve::name_too_long";
pub const DUPLICATE_KEY_COLUMN: &str = "schemac::resolve::duplicate_key_column";
pub const SET_NULL_ON_NOT_NULL_COLUMN: &str = "schemac::resolve::set_null_on_not_null_column";
pub const INSERT_POLICY_WITH_USING: &str = "schemac::resolve::insert_policy_with_using";
pub const POLICY_WITHOUT_EXPRESSION: &str = "schemac::resolve::policy_without_expression";
pub const POLICY_WITHOUT_ROW_LEVEL_SECURITY: &str =
    "schemac::resolve::policy_without_row_level_security";
pub const DUPLICATE_POLICY: &str = "schemac::resolve::duplicate_policy";
pub const ENUM_VALUE_TOO_LONG: &str = "schemac::resolve::enum_value_too_long";
/// `identity` on a column that cannot be one (not an integer, nullable, with a default, ...).
pub const INVALID_IDENTITY: &str = "schemac::resolve::invalid_identity";
/// `partition` entries that do not fit the table's `partition by` (or have none).
pub const INVALID_PARTITIONING: &str = "schemac::resolve::invalid_partitioning";
/// A primary key or unique constraint/index of a partitioned table without every partition key.
pub const UNIQUE_WITHOUT_PARTITION_KEY: &str = "schemac::resolve::unique_without_partition_key";
pub const DUPLICATE_VIEW: &str = "schemac::resolve::duplicate_view";
pub const EMPTY_VIEW_QUERY: &str = "schemac::resolve::empty_view_query";
/// `index` inside a `view` that is not materialized.
pub const VIEW_WITH_INDEXES: &str = "schemac::resolve::view_with_indexes";

// --- plan and apply ---------------------------------------------------------------------------

pub const PLAN_CYCLE: &str = "schemac::plan::cycle";
/// A table's partition key or strategy changes, or it becomes (or stops being) partitioned.
pub const PLAN_REPARTITION: &str = "schemac::plan::repartition";
pub const PLAN_AMBIGUOUS_BACKFILL: &str = "schemac::plan::ambiguous_backfill";
pub const PLAN_MISSING_BACKFILL: &str = "schemac::plan::missing_backfill";
pub const PLAN_INVALID_EXPRESSION: &str = "schemac::plan::invalid_expression";
/// The schema uses a feature the target's PostgreSQL version does not have.
pub const PLAN_UNSUPPORTED_BY_SERVER: &str = "schemac::plan::unsupported_by_server";
pub const PLAN_DESTRUCTIVE_REFUSED: &str = "schemac::apply::destructive_refused";

// --- functions, procedures, triggers, domains -------------------------------------------------

/// A `function`/`procedure` header that does not read as PostgreSQL's syntax.
pub const INVALID_ROUTINE: &str = "schemac::resolve::invalid_routine";
/// Two routines with the same name and argument types, or two domains / triggers of one name.
pub const DUPLICATE_ROUTINE: &str = "schemac::resolve::duplicate_routine";
/// A trigger on a column its table does not have, or without events.
pub const INVALID_TRIGGER: &str = "schemac::resolve::invalid_trigger";

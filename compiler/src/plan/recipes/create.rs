//! Namespaces, extensions, roles, enum types and whole tables.

use super::{phase, Context, Planned};
use crate::catalog::{BaseType, Column, EnumType, QualifiedName, Table};
use crate::diff::EnumPosition;
use crate::plan::deliberate::{Break, Deliberate, TypeChoice};
use crate::plan::hazards::Hazard;
use crate::plan::step::{LockLevel, Resource, Step, StepKind};
use crate::plan::Preflight;
use crate::sql::{self, ddl};

/// `CREATE SCHEMA`.
pub fn create_schema(name: &str, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::CreateSchema,
            name.to_string(),
            phase::SETUP,
            vec![ddl::create_schema(name)],
        )
        .provides([Resource::Namespace(name.to_string())]),
    );
}

/// `CREATE EXTENSION`, in its schema when the schema names one.
pub fn create_extension(ctx: &Context, name: &str, planned: &mut Planned) {
    let schema = ctx.catalogs.desired.extension_schemas.get(name);
    let step = Step::sql(
        StepKind::CreateExtension,
        name.to_string(),
        phase::SETUP,
        vec![match schema {
            Some(schema) => ddl::create_extension_in(name, schema),
            None => ddl::create_extension(name),
        }],
    )
    .provides([Resource::Extension(name.to_string())]);
    planned.steps.push(match schema {
        Some(schema) => step.needs([Resource::Namespace(schema.clone())]),
        None => step,
    })
}

/// A role the database lacks, created unless another database of the cluster made it.
pub fn create_role(name: &str, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::CreateRole,
            name.to_string(),
            phase::SETUP,
            vec![ddl::create_role_if_missing(name)],
        )
        .provides([Resource::Role(name.to_string())]),
    );
}

/// `CREATE TYPE ... AS ENUM`, with its comment.
pub fn create_enum(enum_type: &EnumType, planned: &mut Planned) {
    let mut statements = vec![ddl::create_enum(enum_type)];
    if let Some(comment) = &enum_type.comment {
        statements.push(ddl::comment_on_type(&enum_type.name, Some(comment)));
    }
    planned.steps.push(
        Step::sql(
            StepKind::CreateEnum,
            enum_type.name.to_string(),
            phase::TYPES,
            statements,
        )
        .needs(namespace(&enum_type.name))
        .provides([Resource::Type(enum_type.name.clone())]),
    );
}

/// `ALTER TYPE ... RENAME TO`.
pub fn rename_enum(from: &QualifiedName, to: &QualifiedName, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::RenameEnum,
            to.to_string(),
            phase::TYPES,
            vec![ddl::rename_type(from, &to.name)],
        )
        .breaking(0, Deliberate::RenamesObject)
        .hazard(Hazard::renames_object("type", &from.name, &to.name))
        .provides([Resource::Type(to.clone()), enum_named(to)]),
    );
}

/// `ALTER TYPE ... ADD VALUE`, committed on its own.
pub fn add_enum_value(
    name: &QualifiedName,
    value: &str,
    position: &EnumPosition,
    planned: &mut Planned,
) {
    let anchor = match position {
        EnumPosition::Before(v) | EnumPosition::After(v) => Some(enum_value(name, v)),
        EnumPosition::End => None,
    };
    let position = match position {
        EnumPosition::Before(v) => Some((ddl::Position::Before, v.as_str())),
        EnumPosition::After(v) => Some((ddl::Position::After, v.as_str())),
        EnumPosition::End => None,
    };
    // A new value cannot be used in the transaction that adds it ("unsafe use of new
    // value"), so it is committed on its own before anything uses it.
    planned.steps.push(
        Step::sql(
            StepKind::AddEnumValue,
            format!("{name}.{value}"),
            phase::TYPES,
            vec![ddl::add_enum_value(name, value, position)],
        )
        .outside_transaction()
        // Values are added one after the other, each once its anchor exists (a value added
        // just before it, or one the type has); the type is complete, for the columns that
        // use it, once every value is in.
        .needs([enum_named(name)])
        .needs(anchor)
        .provides([Resource::Type(name.clone()), enum_value(name, value)]),
    );
}

/// `DROP TYPE` of an enum the schema no longer has.
pub fn drop_enum(enum_type: &EnumType, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::DropEnum,
            enum_type.name.to_string(),
            phase::DROP_TYPES,
            vec![ddl::drop_type(&enum_type.name)],
        )
        .breaking(0, Deliberate::DropsType)
        .destructive()
        .hazard(Hazard::deletes_data(&format!(
            "enum type `{}`",
            enum_type.name.name
        )))
        .removes([Resource::Type(enum_type.name.clone())]),
    );
}

/// `COMMENT ON TYPE`.
pub fn comment_enum(name: &QualifiedName, comment: &Option<String>, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::Comment,
            name.to_string(),
            phase::SECURITY,
            vec![ddl::comment_on_type(name, comment.as_deref())],
        )
        .needs([Resource::Type(name.clone())]),
    );
}

/// `CREATE TABLE` with everything the table carries.
pub fn create_table(table: &Table, planned: &mut Planned) {
    planned.steps.push(new_table_step(table));
}

/// `ALTER TABLE ... RENAME TO`, and the sequences of its serial columns.
pub fn rename_table(
    ctx: &Context,
    from: &QualifiedName,
    to: &QualifiedName,
    planned: &mut Planned,
) {
    let statements: Vec<String> = std::iter::once(ddl::rename_table(from, &to.name))
        .chain(sequence_renames(ctx, to, None))
        .collect();
    let sequences = 1..statements.len();
    planned.steps.push(
        Step::sql(
            StepKind::RenameTable,
            to.to_string(),
            phase::RENAME,
            statements,
        )
        .breaking(0, Deliberate::RenamesTable)
        .breaking_each(sequences, Deliberate::RenamesObject)
        .on_table(to)
        .lock(LockLevel::AccessExclusiveInstant)
        .hazard(Hazard::renames_object("table", &from.name, &to.name))
        .provides([Resource::Table(to.clone())]),
    );
}

/// `DROP TABLE`.
pub fn drop_table(ctx: &Context, table: &Table, planned: &mut Planned) {
    planned.steps.push(drop_table_step(ctx, table));
}

/// `COMMENT ON TABLE`.
pub fn comment_table(table: &QualifiedName, comment: &Option<String>, planned: &mut Planned) {
    planned.steps.push(
        Step::sql(
            StepKind::Comment,
            table.to_string(),
            phase::SECURITY,
            vec![ddl::comment_on_table(table, comment.as_deref())],
        )
        .on_table(table)
        .lock(LockLevel::AccessExclusiveInstant)
        .needs([Resource::Table(table.clone())]),
    );
}

/// `ALTER SEQUENCE ... RENAME` for the `serial` columns of a table (named as in the schema) whose
/// sequence the schema names differently: PostgreSQL does not rename a column's sequence with the
/// table or the column, and the next table of the old name would collide with it. `only` limits
/// this to one column (named as in the schema).
pub fn sequence_renames(ctx: &Context, table: &QualifiedName, only: Option<&str>) -> Vec<String> {
    let current_name = super::current_table_name(ctx.catalogs, table);
    let (Some(current), Some(desired)) = (
        ctx.catalogs.current.table(&current_name),
        ctx.catalogs.desired.table(table),
    ) else {
        return Vec::new();
    };
    let mut statements = Vec::new();
    for column in desired.columns.iter().filter(|c| c.serial) {
        if only.is_some_and(|name| name != column.name) {
            continue;
        }
        let old_column = super::current_column_name(ctx.catalogs, table, &column.name);
        let Some(old) = current.column(&old_column).filter(|c| c.serial) else {
            continue;
        };
        let sequences = (
            old.default
                .as_deref()
                .and_then(|d| ddl::nextval_sequence(d, &current_name.schema)),
            column
                .default
                .as_deref()
                .and_then(|d| ddl::nextval_sequence(d, &table.schema)),
        );
        if let (Some(from), Some(to)) = sequences {
            if from.name != to.name && from.schema == to.schema {
                statements.push(ddl::rename_sequence(&from, &to.name));
            }
        }
    }
    statements
}

/// The namespace a name lives in, as a resource (none for `public`, which always exists).
pub fn namespace(name: &QualifiedName) -> Vec<Resource> {
    if name.schema == "public" {
        Vec::new()
    } else {
        vec![Resource::Namespace(name.schema.clone())]
    }
}

/// What a column's type needs: its enum type, or the extension providing it.
/// The enum has this name in the database (provided by a rename in the plan; otherwise it has it).
fn enum_named(name: &QualifiedName) -> Resource {
    Resource::Object(name.clone(), "enum named".to_string())
}

/// The enum has this value (provided by the step adding it; otherwise it has it).
fn enum_value(name: &QualifiedName, value: &str) -> Resource {
    Resource::Object(name.clone(), format!("enum value {value}"))
}

pub fn type_needs(column: &Column) -> Vec<Resource> {
    let mut needs = match &column.ty.base {
        BaseType::Enum(name) => vec![Resource::Type(name.clone())],
        BaseType::Citext => vec![Resource::Extension("citext".into())],
        // Perhaps a domain the plan creates.
        BaseType::Other(name) => vec![Resource::Type(super::routines::type_name(name))],
        _ => Vec::new(),
    };
    // A default `nextval('s'::regclass)` needs its sequence (`serial` makes its own; a sequence
    // nobody creates in the plan already exists). Unqualified names are read as in `public`, where
    // the default search_path finds them.
    if let Some(sequence) = column
        .default
        .as_deref()
        .filter(|_| !column.serial)
        .and_then(|d| ddl::nextval_sequence(d, "public"))
    {
        needs.push(Resource::Sequence(sequence));
    }
    needs
}

fn new_table_step(table: &Table) -> Step {
    let name = &table.name;
    let mut statements = vec![ddl::create_table(table)];
    if let Some(comment) = &table.comment {
        statements.push(ddl::comment_on_table(name, Some(comment)));
    }
    for column in &table.columns {
        if let Some(comment) = &column.comment {
            statements.push(ddl::comment_on_column(name, &column.name, Some(comment)));
        }
    }
    let mut provides = vec![Resource::Table(name.clone())];
    provides.extend(
        table
            .columns
            .iter()
            .map(|c| Resource::Column(name.clone(), c.name.clone())),
    );
    if let Some(pk) = &table.primary_key {
        provides.push(Resource::Key(name.clone(), pk.columns.clone()));
        provides.push(Resource::Object(name.clone(), pk.name.clone()));
    }
    for unique in &table.uniques {
        provides.push(Resource::Key(name.clone(), unique.columns.clone()));
        provides.push(Resource::Object(name.clone(), unique.name.clone()));
    }
    let mut needs = namespace(name);
    needs.extend(table.columns.iter().flat_map(type_needs));
    Step::sql(
        StepKind::CreateTable,
        name.to_string(),
        phase::TABLES,
        statements,
    )
    .choosing(table.columns.iter().flat_map(TypeChoice::of_column))
    .on_table(name)
    .needs(needs)
    .provides(provides)
}

fn drop_table_step(ctx: &Context, table: &Table) -> Step {
    let name = &table.name;
    let mut removes = vec![Resource::Table(name.clone())];
    removes.extend(
        table
            .primary_key
            .iter()
            .map(|pk| Resource::Key(name.clone(), pk.columns.clone())),
    );
    removes.extend(
        table
            .uniques
            .iter()
            .map(|u| Resource::Key(name.clone(), u.columns.clone())),
    );
    // Its own foreign keys go with it, so the tables they reference may be dropped after it.
    let mut releases: Vec<Resource> = table
        .foreign_keys
        .iter()
        .flat_map(|fk| {
            [
                Resource::Table(fk.referenced_table.clone()),
                Resource::Key(fk.referenced_table.clone(), fk.referenced_columns.clone()),
            ]
        })
        .collect();
    releases.extend(table.columns.iter().flat_map(type_needs));
    let mut step = Step::sql(
        StepKind::DropTable,
        name.to_string(),
        phase::DROP_TABLES,
        vec![ddl::drop_table(name)],
    )
    .breaking(0, Deliberate::DropsTable)
    .on_table(name)
    .lock(LockLevel::AccessExclusiveInstant)
    .destructive()
    .hazard(Hazard::deletes_data(&format!("table `{}`", name.name)))
    .removes(removes)
    .releases(releases);
    if ctx.facts.has_rows(name) {
        step.hazards.push(Hazard::deletes_data(&format!(
            "the rows of `{}`",
            name.name
        )));
    }
    step
}

/// Enum values cannot be removed or reordered in place: build the new type under the old name,
/// convert every column through text, drop the old type. Rows holding a removed value would make
/// the conversion fail, so a preflight check refuses the plan first.
pub fn replace_enum(ctx: &Context, current: &EnumType, desired: &EnumType, planned: &mut Planned) {
    let old_name = QualifiedName::new(
        current.name.schema.clone(),
        crate::own_names::old_enum(&current.name.name),
    );
    let removed: Vec<String> = current
        .values
        .iter()
        .filter(|v| !desired.values.contains(v))
        .cloned()
        .collect();
    let mut statements = vec![
        ddl::rename_type(&current.name, &old_name.name),
        ddl::create_enum(desired),
    ];
    let mut breaks = vec![Break {
        statement: 0,
        why: Deliberate::RenamesObject,
    }];
    let mut rewrites = false;
    for table in &ctx.catalogs.current.tables {
        for column in table
            .columns
            .iter()
            .filter(|c| c.ty.base == BaseType::Enum(current.name.clone()))
        {
            let cast = if column.ty.array {
                format!(
                    "{}::text[]::{}[]",
                    sql::ident(&column.name),
                    sql::qualified(&desired.name)
                )
            } else {
                format!(
                    "{}::text::{}",
                    sql::ident(&column.name),
                    sql::qualified(&desired.name)
                )
            };
            if column.default.is_some() {
                breaks.push(Break::next(&statements, Deliberate::DropsDefault));
                statements.push(ddl::drop_default(&table.name, &column.name));
            }
            breaks.push(Break::next(&statements, Deliberate::ChangesType));
            statements.push(ddl::alter_column_type(
                &table.name,
                &column.name,
                &column.ty,
                Some(&cast),
            ));
            if let Some(default) = &column.default {
                statements.push(ddl::set_default(&table.name, &column.name, default));
            }
            rewrites |= ctx.facts.has_rows(&table.name);
            if !removed.is_empty() {
                let values: Vec<String> = removed.iter().map(|v| sql::literal(v)).collect();
                let test = if column.ty.array {
                    format!(
                        "{}::text[] && ARRAY[{}]::text[]",
                        sql::ident(&column.name),
                        values.join(", ")
                    )
                } else {
                    format!(
                        "{}::text IN ({})",
                        sql::ident(&column.name),
                        values.join(", ")
                    )
                };
                planned.preflight.push(Preflight {
                    target: format!("{}.{}", table.name, column.name),
                    sql: example_rows_sql(table, &test),
                    message: format!(
                        "rows of `{}` hold values of enum `{}` that the schema removes ({})",
                        table.name.name,
                        current.name.name,
                        removed.join(", ")
                    ),
                    help: Some(format!(
                        "update those rows of `{}.{}` to a value that remains first",
                        table.name.name, column.name
                    )),
                    per_row: None,
                });
            }
        }
    }
    breaks.push(Break::next(&statements, Deliberate::DropsType));
    statements.push(ddl::drop_type(&old_name));
    let mut step = Step::sql(
        StepKind::ReplaceEnum,
        desired.name.to_string(),
        phase::TYPES,
        statements,
    )
    .breaks(breaks)
    .lock(if rewrites {
        LockLevel::AccessExclusiveRewrite
    } else {
        LockLevel::AccessExclusiveInstant
    })
    .hazard(Hazard::replaces_enum(&desired.name.name, &removed))
    .provides([Resource::Type(desired.name.clone())]);
    step.rewrites = rewrites;
    if !removed.is_empty() {
        step = step.destructive();
    }
    planned.steps.push(step);
}

/// A preflight query over `table` returning `(count, example key)` for rows matching `condition`.
pub fn example_rows_sql(table: &Table, condition: &str) -> String {
    format!(
        "SELECT count(*), min({}) FROM {} WHERE {}",
        example_key(table),
        sql::qualified(&table.name),
        condition
    )
}

/// An expression naming a row and its value of `column` for messages: `7 with `action` = 'Export'`.
pub fn example_with_value(table: &Table, column: &str) -> String {
    example_with_values(table, &[column])
}

/// An expression naming a row and its values of `columns` for messages:
/// `3 with `quantity` = '0', `status` = 'open'`.
pub fn example_with_values(table: &Table, columns: &[&str]) -> String {
    let mut parts = vec![example_key(table)];
    for (i, column) in columns.iter().enumerate() {
        let lead = if i == 0 { " with " } else { ", " };
        parts.push(sql::literal(&format!("{lead}`{column}` = ")));
        parts.push(format!("quote_nullable({}::text)", sql::ident(column)));
    }
    format!("concat({})", parts.join(", "))
}

/// The row-by-row form of a preflight check (`Preflight::per_row`): every row of `table` is tested
/// for `condition` in its own subtransaction, so a row whose test raises (a value that does not
/// convert) counts as failing instead of stopping the check. Ends by raising `SC001` with the
/// count as message, the first failing row's `example` as detail and its error as hint.
pub fn per_row_sql(table: &Table, condition: &str, example: &str) -> String {
    let name = sql::qualified(&table.name);
    format!(
        "DO $schemac$\nDECLARE\n  schemac_count bigint := 0;\n  schemac_example text;\n  schemac_error text;\n  schemac_message text;\n  schemac_bad boolean;\n  schemac_row record;\nBEGIN\n  \
         FOR schemac_row IN SELECT tableoid AS schemac_table, ctid AS schemac_ctid, {example} AS schemac_example FROM {name} ORDER BY 3 LOOP\n    \
         schemac_message := NULL;\n    \
         BEGIN\n      \
         SELECT {condition} INTO schemac_bad FROM {name} WHERE tableoid = schemac_row.schemac_table AND ctid = schemac_row.schemac_ctid;\n    \
         EXCEPTION WHEN others THEN\n      \
         schemac_bad := true;\n      \
         schemac_message := SQLERRM;\n    \
         END;\n    \
         IF schemac_bad THEN\n      \
         schemac_count := schemac_count + 1;\n      \
         IF schemac_example IS NULL THEN\n        \
         schemac_example := schemac_row.schemac_example;\n        \
         schemac_error := schemac_message;\n      \
         END IF;\n    \
         END IF;\n  \
         END LOOP;\n  \
         RAISE EXCEPTION USING ERRCODE = 'SC001', MESSAGE = schemac_count::text, DETAIL = coalesce(schemac_example, ''), HINT = coalesce(schemac_error, '');\n\
         END\n$schemac$"
    )
}

/// An expression naming a row for messages: its primary key as text, else its ctid.
pub fn example_key(table: &Table) -> String {
    match &table.primary_key {
        Some(pk) if pk.columns.len() == 1 => format!("{}::text", sql::ident(&pk.columns[0])),
        Some(pk) => {
            let columns: Vec<String> = pk
                .columns
                .iter()
                .map(|c| format!("{}::text", sql::ident(c)))
                .collect();
            format!("concat_ws(', ', {})", columns.join(", "))
        }
        None => "ctid::text".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::{Catalog, EnumType, QualifiedName};
    use crate::diff::diff;
    use crate::pair::Pair;
    use crate::plan::{plan, Action, Facts, PlanOptions, StepKind};

    fn enum_catalog(name: &str, renamed_from: Option<&str>, values: &[&str]) -> Catalog {
        Catalog {
            enums: vec![EnumType {
                name: QualifiedName::public(name),
                values: values.iter().map(|v| v.to_string()).collect(),
                comment: None,
                renamed_from: renamed_from.map(QualifiedName::public),
                origin: None,
            }],
            ..Catalog::default()
        }
    }

    fn statements(current: &Catalog, desired: &Catalog) -> Vec<(StepKind, String)> {
        let catalogs = Pair::new(current, desired);
        let planned = plan(
            &diff(catalogs),
            catalogs,
            &Facts::default(),
            &PlanOptions::default(),
        )
        .expect("plans without a cycle");
        planned
            .steps
            .into_iter()
            .flat_map(|step| match step.action {
                Action::Sql(list) => list.into_iter().map(|s| (step.kind, s)).collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .collect()
    }

    #[test]
    fn several_enum_values_are_added_in_order_each_after_its_anchor() {
        let current = enum_catalog("state", None, &["paid"]);
        let desired = enum_catalog("state", None, &["new", "paid", "packed", "shipped", "done"]);
        let added: Vec<String> = statements(&current, &desired)
            .into_iter()
            .map(|(_, sql)| sql)
            .collect();
        assert_eq!(
            added,
            vec![
                "ALTER TYPE public.state ADD VALUE IF NOT EXISTS 'new' BEFORE 'paid'",
                "ALTER TYPE public.state ADD VALUE IF NOT EXISTS 'packed' AFTER 'paid'",
                "ALTER TYPE public.state ADD VALUE IF NOT EXISTS 'shipped' AFTER 'packed'",
                "ALTER TYPE public.state ADD VALUE IF NOT EXISTS 'done' AFTER 'shipped'",
            ]
        );
    }

    #[test]
    fn values_are_added_to_a_renamed_enum_after_the_rename() {
        let current = enum_catalog("scope", None, &["a"]);
        let desired = enum_catalog("permission_scope", Some("scope"), &["a", "b"]);
        let kinds: Vec<StepKind> = statements(&current, &desired)
            .into_iter()
            .map(|(kind, _)| kind)
            .collect();
        assert_eq!(kinds, vec![StepKind::RenameEnum, StepKind::AddEnumValue]);
    }

    fn serial_table(name: &str, column: &str, renamed_from: Option<&str>) -> Catalog {
        use crate::catalog::{BaseType, Column, SqlType, Table};
        let mut id = Column::new(column, SqlType::scalar(BaseType::BigInt));
        id.serial = true;
        id.default = Some(format!("nextval('{name}_{column}_seq'::regclass)"));
        let mut table = Table::new(QualifiedName::public(name));
        table.columns = vec![id];
        table.renamed_from = renamed_from.map(QualifiedName::public);
        Catalog {
            tables: vec![table].into(),
            ..Catalog::default()
        }
    }

    #[test]
    fn a_renamed_table_renames_its_serial_sequences() {
        let current = serial_table("clients", "id", None);
        let desired = serial_table("customers", "id", Some("clients"));
        assert_eq!(
            statements(&current, &desired),
            vec![
                (
                    StepKind::RenameTable,
                    "ALTER TABLE public.clients RENAME TO customers".to_string()
                ),
                (
                    StepKind::RenameTable,
                    "ALTER SEQUENCE public.clients_id_seq RENAME TO customers_id_seq".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_renamed_serial_column_renames_its_sequence() {
        let current = serial_table("tickets", "id", None);
        let mut desired = serial_table("tickets", "number", None);
        desired.tables[0].columns[0].renamed_from = Some("id".into());
        assert_eq!(
            statements(&current, &desired),
            vec![
                (
                    StepKind::RenameColumn,
                    "ALTER TABLE public.tickets RENAME COLUMN id TO number".to_string()
                ),
                (
                    StepKind::RenameColumn,
                    "ALTER SEQUENCE public.tickets_id_seq RENAME TO tickets_number_seq".to_string()
                ),
            ]
        );
    }
}

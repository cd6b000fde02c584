//! `partition by`, `partition NAME ...` and `partitions unmanaged` entries of a table → its
//! `Partitioning` (bound values as written; `lower` spells them canonically once the key's column
//! types are known), and the rule that every key of a partitioned table contains the partition key.

use crate::catalog::{
    partitions::split_top_level, Partition, PartitionBound, PartitionStrategy, Partitioning,
    QualifiedName,
};
use crate::diagnostics::Diagnostic;
use crate::source::Span;
use crate::syntax::ast;

use super::{IndexKey, Table};

/// The table's partitioning from its entries; `None` when it declares none.
pub(super) fn partitioning(
    table: &QualifiedName,
    display: &str,
    entries: &[ast::TableEntry],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Partitioning> {
    let mut by: Option<(PartitionStrategy, String)> = None;
    let mut unmanaged: Option<Span> = None;
    let mut partitions: Vec<Partition> = Vec::new();
    let mut first_partition: Option<Span> = None;
    for entry in entries {
        match &entry.kind {
            ast::TableEntryKind::PartitionBy { strategy, keys } => {
                if by.is_some() {
                    diagnostics.push(Diagnostic::invalid_partitioning(
                        display,
                        "`partition by` is written twice",
                        entry.span,
                        "a table has one partition key: keep one `partition by`",
                    ));
                    continue;
                }
                let strategy = match strategy {
                    ast::PartitionStrategy::Range => PartitionStrategy::Range,
                    ast::PartitionStrategy::List => PartitionStrategy::List,
                    ast::PartitionStrategy::Hash => PartitionStrategy::Hash,
                };
                let keys = split_top_level(&keys.text).join(", ");
                by = Some((strategy, keys));
            }
            ast::TableEntryKind::PartitionsUnmanaged => unmanaged = Some(entry.span),
            ast::TableEntryKind::Partition { name, bound } => {
                first_partition.get_or_insert(entry.span);
                if partitions.iter().any(|p| p.name.name == name.name) {
                    diagnostics.push(Diagnostic::invalid_partitioning(
                        display,
                        &format!("partition `{}` is declared twice", name.name),
                        entry.span,
                        "give each partition its own name",
                    ));
                    continue;
                }
                let values = |expr: &ast::Expr| split_top_level(&expr.text);
                let bound = match bound {
                    ast::PartitionBound::Range { from, to } => PartitionBound::Range {
                        from: values(from),
                        to: values(to),
                    },
                    ast::PartitionBound::List(list) => PartitionBound::List(values(list)),
                    ast::PartitionBound::Hash { modulus, remainder } => PartitionBound::Hash {
                        modulus: *modulus,
                        remainder: *remainder,
                    },
                    ast::PartitionBound::Default => PartitionBound::Default,
                };
                partitions.push(Partition {
                    name: QualifiedName::new(table.schema.clone(), name.name.clone()),
                    bound,
                    subpartitioned: false,
                    origin: Some(entry.span),
                });
            }
            _ => {}
        }
    }
    let Some((strategy, keys)) = by else {
        if let Some(at) = first_partition.or(unmanaged) {
            diagnostics.push(Diagnostic::invalid_partitioning(
                display,
                "partitions without a partition key",
                at,
                "say how rows are split first: `partition by range (column)`, `list (...)` or \
                 `hash (...)`",
            ));
        }
        return None;
    };
    if let (Some(at), Some(_)) = (unmanaged, first_partition) {
        diagnostics.push(Diagnostic::invalid_partitioning(
            display,
            "`partitions unmanaged` and declared partitions together",
            at,
            "either declare every partition or none (`partitions unmanaged`)",
        ));
    }
    for partition in &partitions {
        let fits = matches!(
            (strategy, &partition.bound),
            (_, PartitionBound::Default)
                | (PartitionStrategy::Range, PartitionBound::Range { .. })
                | (PartitionStrategy::List, PartitionBound::List(_))
                | (PartitionStrategy::Hash, PartitionBound::Hash { .. })
        );
        let at = partition.origin.unwrap_or_default();
        if !fits {
            let form = match strategy {
                PartitionStrategy::Range => "from (...) to (...)",
                PartitionStrategy::List => "in (...)",
                PartitionStrategy::Hash => "with (modulus M, remainder R)",
            };
            diagnostics.push(Diagnostic::invalid_partitioning(
                display,
                &format!(
                    "partition `{}` does not fit `partition by {}`",
                    partition.name.name,
                    strategy.source()
                ),
                at,
                &format!(
                    "write its bound as `partition {} {form}`",
                    partition.name.name
                ),
            ));
        }
        if strategy == PartitionStrategy::Hash && matches!(partition.bound, PartitionBound::Default)
        {
            diagnostics.push(Diagnostic::invalid_partitioning(
                display,
                "a hash-partitioned table cannot have a default partition",
                at,
                "declare a partition `with (modulus M, remainder R)` for each remainder",
            ));
        }
        if let PartitionBound::Hash { modulus, remainder } = partition.bound {
            if modulus == 0 || remainder >= modulus {
                diagnostics.push(Diagnostic::invalid_partitioning(
                    display,
                    "a hash partition's remainder must be less than its modulus",
                    at,
                    "write `with (modulus M, remainder R)` with 0 <= R < M",
                ));
            }
        }
    }
    Some(Partitioning {
        strategy,
        keys,
        partitions: if unmanaged.is_some() {
            None
        } else {
            Some(partitions)
        },
    })
}

/// Every primary key, unique constraint and unique index of a partitioned table must contain the
/// partition key's columns, and the key cannot be an expression.
/// https://www.postgresql.org/docs/current/ddl-partitioning.html#DDL-PARTITIONING-DECLARATIVE-LIMITATIONS
pub(super) fn check_keys(table: &Table, display: &str, diagnostics: &mut Vec<Diagnostic>) {
    let Some(partitioning) = &table.partitioning else {
        return;
    };
    let key_columns = partitioning.key_columns();
    let expression_key = key_columns.len() != partitioning.key_parts().len();
    let mut check = |what: &str, columns: Vec<&str>, at: Span| {
        let mut missing: Vec<String> = key_columns
            .iter()
            .filter(|k| !columns.contains(&k.as_str()))
            .cloned()
            .collect();
        if expression_key {
            missing.push(partitioning.keys.clone());
        }
        if !missing.is_empty() {
            diagnostics.push(Diagnostic::unique_without_partition_key(
                display, what, &missing, at,
            ));
        }
    };
    if let Some(key) = &table.primary_key {
        check(
            "primary key",
            key.columns.iter().map(String::as_str).collect(),
            key.span,
        );
    }
    for unique in &table.uniques {
        check(
            "unique constraint",
            unique.columns.iter().map(String::as_str).collect(),
            unique.span,
        );
    }
    for index in table.indexes.iter().filter(|i| i.unique) {
        let columns = index
            .keys
            .iter()
            .filter_map(|k| match k {
                IndexKey::Column(c) => Some(c.as_str()),
                IndexKey::Expr(_) => None,
            })
            .collect();
        check("unique index", columns, index.span);
    }
}

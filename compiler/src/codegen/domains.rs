//! Columns whose type is a domain are generated as the domain's base type (a `year` domain over
//! `int` is an `i32`): the value on the wire is the base type's.

use crate::catalog::{BaseType, Catalog};
use crate::model::domain_type_name;

/// `catalog` with every domain-typed column given its domain's base type (domains over domains
/// followed to the end).
pub(crate) fn with_base_types(catalog: &Catalog) -> Catalog {
    let mut out = catalog.clone();
    for table in &mut out.tables {
        for column in &mut table.columns {
            let mut seen = 0;
            while let BaseType::Other(name) = &column.ty.base {
                let Some(domain) = catalog
                    .domains
                    .iter()
                    .find(|d| &domain_type_name(&d.name) == name)
                else {
                    break;
                };
                let array = column.ty.array || domain.ty.array;
                column.ty = domain.ty.clone();
                column.ty.array = array;
                seen += 1;
                if seen > 16 {
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Column, Domain, QualifiedName, SqlType, Table};

    #[test]
    fn domain_columns_take_the_base_type() {
        let mut catalog = Catalog::default();
        catalog.domains.push(Domain {
            name: QualifiedName::public("year"),
            ty: SqlType::scalar(BaseType::Integer),
            default: None,
            not_null: false,
            checks: Vec::new(),
            origin: None,
        });
        let mut table = Table::new(QualifiedName::public("films"));
        table.columns.push(Column::new(
            "released".to_string(),
            SqlType::scalar(BaseType::Other("year".into())),
        ));
        catalog.tables.push(table);
        let out = with_base_types(&catalog);
        assert_eq!(
            out.tables[0].columns[0].ty,
            SqlType::scalar(BaseType::Integer)
        );
    }
}

//! A trigger's `when` condition as `pg_get_triggerdef` prints it (not pretty): `new.c` and `old.c`
//! are read as columns of the table's types under stand-in names and put back after printing.
//! What is not known here stays as written, compared token-normalised.

use std::collections::{BTreeMap, BTreeSet};

use super::{print_bool, Scope, Ty};
use crate::catalog::{Table, Trigger};

const NEW: &str = "schemac_new__";
const OLD: &str = "schemac_old__";

pub(super) fn print(trigger: &mut Trigger, table: &Table, enums: &BTreeSet<String>) {
    let Some(when) = &trigger.when else {
        return;
    };
    let mut columns = BTreeMap::new();
    for column in &table.columns {
        if let Some(ty) = Ty::of(&column.ty) {
            columns.insert(format!("{NEW}{}", column.name), ty.clone());
            columns.insert(format!("{OLD}{}", column.name), ty);
        }
    }
    let scope = Scope {
        columns: &columns,
        enums,
    };
    let Some(stand_in) = stand_ins(when) else {
        return;
    };
    if let Some(printed) = print_bool(&stand_in, &scope, false) {
        trigger.when = Some(printed.replace(NEW, "new.").replace(OLD, "old."));
    }
}

/// `new.a` → `schemac_new__a` (any case of `new`/`old`, outside quotes); `None` for a form this
/// does not handle (a quoted column after `new.`).
fn stand_ins(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
            out.push(c);
            i += 1;
            continue;
        }
        let word_start = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if word_start && chars.get(i + 3) == Some(&'.') {
            let word: String = chars[i..i + 3].iter().collect::<String>().to_lowercase();
            if word == "new" || word == "old" {
                if chars.get(i + 4) == Some(&'"') {
                    return None;
                }
                out.push_str(if word == "new" { NEW } else { OLD });
                i += 4;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{BaseType, Column, QualifiedName, SqlType};

    #[test]
    fn when_prints_like_the_server() {
        let mut table = Table::new(QualifiedName::public("films"));
        table.columns.push(Column::new(
            "title".to_string(),
            SqlType::scalar(BaseType::Text),
        ));
        let mut trigger = Trigger {
            table: table.name.clone(),
            name: "t".into(),
            timing: "after".into(),
            events: vec!["update".into()],
            update_of: Vec::new(),
            for_each_row: true,
            when: Some("NEW.title <> 'x' and old.title <> new.title".into()),
            function: QualifiedName::public("f"),
            args: Vec::new(),
            origin: None,
        };
        print(&mut trigger, &table, &BTreeSet::new());
        assert_eq!(
            trigger.when.as_deref(),
            Some("((new.title <> 'x'::text) AND (old.title <> new.title))")
        );
    }
}

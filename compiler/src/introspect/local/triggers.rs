//! A trigger's `when` condition as `pg_get_triggerdef` prints it (not pretty): `new.c` and `old.c`
//! are read as columns of the table's types under stand-in names and put back after printing.
//! What is not known here stays as written, compared token-normalised.

use std::collections::{BTreeMap, BTreeSet};

use super::{print_bool, Scope, Ty};
use crate::catalog::{Table, Trigger};
use crate::lexer::{self, Kind};

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

/// `new.a` → `schemac_new__a` (any case of `new`/`old`, outside quotes: read through the
/// shared lexer); `None` for a form this does not handle (a quoted column after `new.`).
fn stand_ins(text: &str) -> Option<String> {
    let tokens = lexer::lex(text);
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (i, token) in tokens.iter().enumerate() {
        let stand_in = match (token.kind, token.name().as_deref()) {
            (Kind::Word, Some("new")) => NEW,
            (Kind::Word, Some("old")) => OLD,
            _ => continue,
        };
        // `new.` written together, as in `new.a`.
        let Some(dot) = tokens
            .get(i + 1)
            .filter(|dot| dot.kind == Kind::Dot && dot.start == token.end)
        else {
            continue;
        };
        if tokens
            .get(i + 2)
            .is_some_and(|next| next.kind == Kind::QuotedWord && next.start == dot.end)
        {
            return None;
        }
        out.push_str(text.get(copied..token.start)?);
        out.push_str(stand_in);
        copied = dot.end;
    }
    out.push_str(text.get(copied..)?);
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

    #[test]
    fn only_new_and_old_written_before_a_dot_become_stand_ins() {
        assert_eq!(
            stand_ins("New.a <> renew.b and 'new.c' = old.d").as_deref(),
            Some("schemac_new__a <> renew.b and 'new.c' = schemac_old__d")
        );
        assert_eq!(stand_ins("new.\"A\" > 1"), None);
    }
}

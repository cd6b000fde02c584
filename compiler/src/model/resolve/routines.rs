//! `function`/`procedure` and `domain` items and `trigger` entries → the model (which holds them
//! already in catalog form: there is nothing to default).

use super::{display_name, qualified, Resolver};
use crate::catalog::{BaseType, Domain, DomainCheck, Function, QualifiedName, SqlType, Trigger};
use crate::diagnostics::Diagnostic;
use crate::model::routines::parse_header;
use crate::source::Span;
use crate::syntax::ast;

/// A domain's column type as `format_type` prints it on the default search_path.
pub(crate) fn domain_type_name(name: &QualifiedName) -> String {
    if name.schema == "public" {
        crate::sql::ident(&name.name)
    } else {
        format!(
            "{}.{}",
            crate::sql::ident(&name.schema),
            crate::sql::ident(&name.name)
        )
    }
}

impl Resolver {
    pub(super) fn routine_def(&mut self, def: &ast::RoutineDef) {
        let name = qualified(&def.name);
        self.check_length(&name.name, def.name.name.span);
        let procedure = def.kind == ast::RoutineKind::Procedure;
        let signature = match parse_header(&def.header, procedure) {
            Ok(signature) => signature,
            Err(reason) => {
                self.error(Diagnostic::invalid_routine(
                    def.kind.keyword(),
                    &def.name.text(),
                    &reason,
                    def.header_span,
                ));
                return;
            }
        };
        let function = Function {
            name,
            procedure,
            signature,
            body: def.body.clone(),
            used_by_unmanaged: false,
            origin: Some(def.span),
        };
        if let Some(first) =
            self.model.functions.iter().find(|f| {
                f.name == function.name && f.identity_types() == function.identity_types()
            })
        {
            let first = first.origin.unwrap_or(def.span);
            self.error(Diagnostic::duplicate_routine(
                &format!("{} `{}`", def.kind.keyword(), function.display()),
                def.name.span,
                first,
            ));
            return;
        }
        self.model.functions.push(function);
    }

    pub(super) fn domain_def(&mut self, def: &ast::DomainDef) {
        let name = qualified(&def.name);
        self.check_length(&name.name, def.name.name.span);
        if let Some(first) = self.model.domains.iter().find(|d| d.name == name) {
            let first = first.origin.unwrap_or(def.span);
            self.error(Diagnostic::duplicate_routine(
                &format!("domain `{}`", display_name(&name)),
                def.name.span,
                first,
            ));
            return;
        }
        let Some((ty, _serial)) = self.column_type(&def.ty) else {
            return;
        };
        // PostgreSQL names unnamed checks `<domain>_check`, then `<domain>_check1`, ...
        let mut checks: Vec<DomainCheck> = Vec::new();
        let mut unnamed = 0;
        for check in &def.checks {
            let check_name = match &check.name {
                Some(n) => n.name.clone(),
                None => {
                    let mut candidate = String::new();
                    while candidate.is_empty() || checks.iter().any(|c| c.name == candidate) {
                        candidate = if unnamed == 0 {
                            format!("{}_check", name.name)
                        } else {
                            format!("{}_check{unnamed}", name.name)
                        };
                        unnamed += 1;
                    }
                    candidate
                }
            };
            checks.push(DomainCheck {
                name: check_name,
                expr: check.expr.text.trim().to_string(),
            });
        }
        self.model.domains.push(Domain {
            name,
            ty,
            default: def.default.as_ref().map(|d| d.text.trim().to_string()),
            not_null: def.not_null,
            checks,
            origin: Some(def.span),
        });
    }

    /// A column type naming a declared domain.
    pub(super) fn domain_type(&self, name: &QualifiedName) -> Option<SqlType> {
        self.model
            .domains
            .iter()
            .find(|d| &d.name == name)
            .map(|d| SqlType::scalar(BaseType::Other(domain_type_name(&d.name))))
    }

    pub(super) fn trigger_entry(&mut self, table: &QualifiedName, def: &ast::TriggerDef, at: Span) {
        self.check_length(&def.name.name, def.name.span);
        if self
            .model
            .triggers
            .iter()
            .any(|t| &t.table == table && t.name == def.name.name)
        {
            self.error(Diagnostic::duplicate_routine(
                &format!("trigger `{}` on `{}`", def.name.name, display_name(table)),
                def.name.span,
                at,
            ));
            return;
        }
        // PostgreSQL's order (pg_get_triggerdef): insert, delete, update, truncate.
        let mut events: Vec<ast::TriggerEvent> = def.events.clone();
        events.sort_by_key(|e| match e {
            ast::TriggerEvent::Insert => 0,
            ast::TriggerEvent::Delete => 1,
            ast::TriggerEvent::Update => 2,
            ast::TriggerEvent::Truncate => 3,
        });
        events.dedup();
        self.model.triggers.push(Trigger {
            table: table.clone(),
            name: def.name.name.clone(),
            timing: def.timing.source().to_string(),
            events: events.iter().map(|e| e.source().to_string()).collect(),
            update_of: def.update_of.iter().map(|c| c.name.clone()).collect(),
            for_each_row: def.for_each_row,
            when: def.when.as_ref().map(|w| w.text.trim().to_string()),
            function: qualified(&def.function),
            args: def.args.iter().map(|a| trigger_arg(a)).collect(),
            origin: Some(at),
        });
    }

    /// Triggers name columns of their table that exist.
    pub(super) fn check_triggers(&mut self) {
        let mut errors = Vec::new();
        for trigger in &self.model.triggers {
            let Some(table) = self.model.tables.iter().find(|t| t.name == trigger.table) else {
                continue;
            };
            let at = trigger.origin.unwrap_or(table.span);
            for column in &trigger.update_of {
                if !table.columns.iter().any(|c| &c.name == column) {
                    errors.push(Diagnostic::invalid_trigger(
                        &trigger.name,
                        &format!("`{}` has no column `{column}`", display_name(&table.name)),
                        at,
                    ));
                }
            }
        }
        for error in errors {
            self.error(error);
        }
    }
}

/// A trigger argument's value: a string literal unquoted, anything else as written.
pub(crate) fn trigger_arg(text: &str) -> String {
    match text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => text.to_string(),
    }
}

//! `function`/`procedure` and `domain` items and `trigger` entries: pairs → AST.

use pest::iterators::Pair;

use super::super::ast::*;
use super::super::grammar::Rule;
use super::Builder;

impl Builder<'_> {
    pub(super) fn routine_def(&mut self, pair: Pair<'_, Rule>) -> Option<RoutineDef> {
        let span = self.span(&pair);
        let mut kind = RoutineKind::Function;
        let mut name = None;
        let mut header = None;
        let mut tag = String::new();
        let mut body = String::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::routine_kind
                    if child
                        .clone()
                        .into_inner()
                        .any(|p| p.as_rule() == Rule::k_procedure) =>
                {
                    kind = RoutineKind::Procedure;
                }
                Rule::qname => name = Some(self.qname(child)),
                Rule::routine_header => {
                    header = Some((child.as_str().to_string(), self.span(&child)));
                }
                Rule::dollar_body => {
                    for part in child.into_inner() {
                        match part.as_rule() {
                            Rule::dollar_tag => tag = part.as_str().to_string(),
                            Rule::dollar_text => body = part.as_str().to_string(),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let (header, header_span) = header?;
        Some(RoutineDef {
            kind,
            name: name?,
            header,
            header_span,
            tag,
            body,
            span,
        })
    }

    pub(super) fn domain_def(&mut self, pair: Pair<'_, Rule>) -> Option<DomainDef> {
        let span = self.span(&pair);
        let mut name = None;
        let mut ty = None;
        let mut default = None;
        let mut not_null = false;
        let mut checks = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::qname => name = Some(self.qname(child)),
                Rule::domain_type => ty = self.column_type(child).map(|(t, _)| t),
                Rule::domain_default => {
                    default = child
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::expr)
                        .map(|p| self.expr(p));
                }
                Rule::domain_not_null => not_null = true,
                Rule::domain_check => {
                    let mut check_name = None;
                    let mut expr = None;
                    for part in child.into_inner() {
                        match part.as_rule() {
                            Rule::constraint_name => {
                                check_name = part.into_inner().next().map(|p| self.ident(p));
                            }
                            Rule::expr => expr = Some(self.expr(part)),
                            _ => {}
                        }
                    }
                    if let Some(expr) = expr {
                        checks.push(DomainCheck {
                            name: check_name,
                            expr,
                        });
                    }
                }
                _ => {}
            }
        }
        Some(DomainDef {
            name: name?,
            ty: ty?,
            default,
            not_null,
            checks,
            span,
        })
    }

    pub(super) fn trigger_entry(&mut self, pair: Pair<'_, Rule>) -> Option<TriggerDef> {
        let mut name = None;
        let mut timing = TriggerTiming::Before;
        let mut events = Vec::new();
        let mut update_of = Vec::new();
        let mut for_each_row = false;
        let mut when = None;
        let mut function = None;
        let mut args = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::ident => name = Some(self.ident(child)),
                Rule::trigger_timing => {
                    timing = match child.into_inner().next().map(|p| p.as_rule()) {
                        Some(Rule::timing_after) => TriggerTiming::After,
                        Some(Rule::timing_instead) => TriggerTiming::InsteadOf,
                        _ => TriggerTiming::Before,
                    };
                }
                Rule::trigger_event => {
                    let Some(event) = child.into_inner().next() else {
                        continue;
                    };
                    events.push(match event.as_rule() {
                        Rule::event_insert => TriggerEvent::Insert,
                        Rule::event_delete => TriggerEvent::Delete,
                        Rule::event_truncate => TriggerEvent::Truncate,
                        _ => {
                            for column in event.into_inner() {
                                if column.as_rule() == Rule::ident {
                                    update_of.push(self.ident(column));
                                }
                            }
                            TriggerEvent::Update
                        }
                    });
                }
                Rule::trigger_level => {
                    for_each_row = child
                        .into_inner()
                        .next()
                        .is_some_and(|p| p.as_rule() == Rule::level_row);
                }
                Rule::expr => when = Some(self.expr(child)),
                Rule::qname => function = Some(self.qname(child)),
                Rule::trigger_args => {
                    args = child
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::trigger_arg)
                        .map(|p| p.as_str().to_string())
                        .collect();
                }
                _ => {}
            }
        }
        Some(TriggerDef {
            name: name?,
            timing,
            events,
            update_of,
            for_each_row,
            when,
            function: function?,
            args,
        })
    }
}

//! `function`/`procedure` and `domain` items and `trigger` entries written as source.

use super::Writer;
use crate::catalog::{Domain, Function, Trigger};

/// The base type as the language reads it back.
fn domain_type(domain: &Domain) -> String {
    domain.ty.source()
}

impl Writer<'_> {
    /// A function or domain lives in the schema (so the schema is written with it).
    pub(super) fn routines_use_schema(&self, namespace: &str) -> bool {
        self.catalog
            .functions
            .iter()
            .any(|f| f.name.schema == namespace)
            || self
                .catalog
                .domains
                .iter()
                .any(|d| d.name.schema == namespace)
    }

    pub(super) fn function_item(&mut self, f: &Function) -> Option<String> {
        let Some(name) = Self::qname(&f.name) else {
            self.warn(format!(
                "{} `{}` is left out: the schema language cannot spell its name",
                if f.procedure { "procedure" } else { "function" },
                f.name
            ));
            return None;
        };
        let s = &f.signature;
        let args: Vec<String> = s
            .args
            .iter()
            .map(|a| {
                let mut text = String::new();
                if !a.mode.is_empty() {
                    text.push_str(&a.mode);
                    text.push(' ');
                }
                if let Some(n) = &a.name {
                    text.push_str(&crate::sql::ident(n));
                    text.push(' ');
                }
                text.push_str(&a.ty);
                if let Some(d) = &a.default {
                    text.push_str(" default ");
                    text.push_str(d);
                }
                text
            })
            .collect();
        let mut head = format!(
            "{} {name}({})",
            if f.procedure { "procedure" } else { "function" },
            args.join(", ")
        );
        if let Some(returns) = &s.returns {
            head.push_str(&format!(" returns {returns}"));
        }
        head.push_str(&format!(" language {}", s.language));
        if s.window {
            head.push_str(" window");
        }
        if s.volatility != "volatile" {
            head.push_str(&format!(" {}", s.volatility));
        }
        if s.strict {
            head.push_str(" strict");
        }
        if s.leakproof {
            head.push_str(" leakproof");
        }
        if s.security_definer {
            head.push_str(" security definer");
        }
        if s.parallel != "unsafe" {
            head.push_str(&format!(" parallel {}", s.parallel));
        }
        if let Some(cost) = &s.cost {
            head.push_str(&format!(" cost {cost}"));
        }
        if let Some(rows) = &s.rows {
            head.push_str(&format!(" rows {rows}"));
        }
        if let Some(support) = &s.support {
            head.push_str(&format!(" support {support}"));
        }
        for (setting, values) in &s.config {
            let values: Vec<String> = values.iter().map(|v| crate::sql::literal(v)).collect();
            head.push_str(&format!(" set {setting} to {}", values.join(", ")));
        }
        let mut tag = "$$".to_string();
        let mut n = 0;
        while f.body.contains(&tag) {
            tag = if n == 0 {
                "$body$".to_string()
            } else {
                format!("$body{n}$")
            };
            n += 1;
        }
        Some(format!("{head} as {tag}{}{tag}", f.body))
    }

    pub(super) fn domain_item(&mut self, d: &Domain) -> Option<String> {
        let Some(name) = Self::qname(&d.name) else {
            self.warn(format!(
                "domain `{}` is left out: the schema language cannot spell its name",
                d.name
            ));
            return None;
        };
        let mut line = format!("domain {name} {}", domain_type(d));
        if let Some(default) = &d.default {
            line.push_str(&format!(" default ({default})"));
        }
        if d.not_null {
            line.push_str(" not null");
        }
        let mut unnamed = 0;
        for check in &d.checks {
            let default_name = if unnamed == 0 {
                format!("{}_check", d.name.name)
            } else {
                format!("{}_check{unnamed}", d.name.name)
            };
            if check.name == default_name {
                unnamed += 1;
                line.push_str(&format!(" check ({})", check.expr));
            } else {
                line.push_str(&format!(" check {} ({})", check.name, check.expr));
            }
        }
        Some(line)
    }

    pub(super) fn trigger_entry(trigger: &Trigger) -> String {
        let events: Vec<String> = trigger
            .events
            .iter()
            .map(|e| {
                if e == "update" && !trigger.update_of.is_empty() {
                    format!("update of {}", trigger.update_of.join(", "))
                } else {
                    e.clone()
                }
            })
            .collect();
        let mut line = format!(
            "trigger {} {} {} for each {}",
            trigger.name,
            trigger.timing,
            events.join(" or "),
            if trigger.for_each_row {
                "row"
            } else {
                "statement"
            }
        );
        if let Some(when) = &trigger.when {
            line.push_str(&format!(" when ({when})"));
        }
        let function =
            Self::qname(&trigger.function).unwrap_or_else(|| trigger.function.to_string());
        let args: Vec<String> = trigger
            .args
            .iter()
            .map(|a| crate::sql::literal(a))
            .collect();
        line.push_str(&format!(" execute {function}({})", args.join(", ")));
        line
    }
}

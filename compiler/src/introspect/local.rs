//! The local canonicaliser: schema expressions printed as PostgreSQL prints them (`pg_get_expr`
//! for defaults and policies, its pretty form for checks and index keys and predicates), with no
//! server. One hand-written tokenizer and precedence-climbing parser make a small tree; the printer
//! infers each node's type from the table's columns and adds the casts and parentheses the server
//! adds (`'open'::text`, `b::text = ANY (ARRAY[...]::text[])`, `0::numeric`, `'-1'::integer`).
//!
//! It knows a closed set of forms (literals per column type, `in (...)`, comparisons, `and`/`or`/
//! `not`, `is [not] null`, `now()`, `current_date`, `gen_random_uuid()`, `lower`/`length`,
//! `nullif(current_setting(...), '')::type`); anything else makes the whole table `Unknown`, to be
//! printed by a dev database. A form it knows must print exactly as the server does: the
//! convergence test (`tests/convergence_local.rs`) checks each form × column type against a server.

mod domains;
mod triggers;

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{BaseType, Catalog, IndexKey, QualifiedName, SqlType, Table};
use crate::lexer::{self, Kind as Lexed};
use crate::sql::{ident, literal};

/// A table the local canonicaliser cannot print, with the first expression it does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub table: QualifiedName,
    /// What carries the expression: ``check `t_a_check` on `public.t` ``.
    pub object: String,
    pub expression: String,
}

/// `desired` with the expressions of every table it can print replaced by the server's text;
/// the tables it cannot print are left as they are and listed. An expression written exactly as
/// the database (`live`) prints it for the same object, on a table whose columns have the same
/// types, is the server's text already and needs no printing (a form this printer does not know
/// included).
pub fn canonicalize_against(desired: &Catalog, live: Option<&Catalog>) -> (Catalog, Vec<Unknown>) {
    let mut result = desired.clone();
    let mut unknown = Vec::new();
    let enums: BTreeSet<String> = desired
        .enums
        .iter()
        .filter_map(
            |e| match Ty::of(&SqlType::scalar(BaseType::Enum(e.name.clone()))) {
                Some(Ty::Enum(name)) => Some(name),
                _ => None,
            },
        )
        .collect();
    for domain in &mut result.domains {
        domains::print(domain, &enums);
    }
    for trigger in &mut result.triggers {
        if let Some(table) = desired.tables.iter().find(|t| t.name == trigger.table) {
            triggers::print(trigger, table, &enums);
        }
    }
    for table in &mut result.tables {
        let live = Live::of(table, desired, live);
        match table_printed(table, &enums, &live) {
            Ok(printed) => *table = printed,
            Err((object, expression)) => unknown.push(Unknown {
                table: table.name.clone(),
                object,
                expression,
            }),
        }
    }
    (result, unknown)
}

/// The database's table of the same name, where its expressions were printed in the same context
/// as the desired table's would be: the same columns with the same types.
struct Live<'a> {
    table: Option<&'a Table>,
    /// Both catalogs, for the tables a policy's subquery reads.
    desired: &'a Catalog,
    current: Option<&'a Catalog>,
}

impl<'a> Live<'a> {
    fn of(desired_table: &Table, desired: &'a Catalog, live: Option<&'a Catalog>) -> Live<'a> {
        Live {
            table: live
                .and_then(|c| c.table(&desired_table.name))
                .filter(|live| same_columns(live, desired_table)),
            desired,
            current: live,
        }
    }

    fn column(&self, name: &str) -> Option<&'a crate::catalog::Column> {
        self.table?.column(name)
    }

    fn check(&self, name: &str) -> Option<&'a str> {
        let check = self.table?.checks.iter().find(|c| c.name == name)?;
        Some(&check.expr)
    }

    fn index(&self, name: &str) -> Option<&'a crate::catalog::Index> {
        self.table?.indexes.iter().find(|i| i.name == name)
    }

    fn policy(&self, name: &str) -> Option<&'a crate::catalog::Policy> {
        self.table?.policies.iter().find(|p| p.name == name)
    }

    /// A policy of the database's table of that name, whatever its columns.
    fn any_policy(&self, table: &QualifiedName, name: &str) -> Option<&'a crate::catalog::Policy> {
        let table = self.current?.table(table)?;
        table.policies.iter().find(|p| p.name == name)
    }

    /// The database's text (`printed`) of a policy expression of `table` that means what `written`
    /// means: the same tree once parentheses, white space and the case of keywords are set aside;
    /// every table a subquery of it reads has the same columns with the same types in the schema as
    /// in the database, and so has every column of `table` it names. The server prints such an
    /// expression as it printed this one.
    fn same_policy_text(&self, table: &Table, printed: &str, written: &str) -> Option<String> {
        let tree = parse(written)?;
        if parse(printed)?.without_literal_casts(&self.desired.enums) != tree {
            return None;
        }
        let current = self.current?;
        let live_table = current.table(&table.name)?;
        let mut read = Vec::new();
        tree.tables_read(&mut read);
        let mut subquery_tables = Vec::new();
        for name in &read {
            let name = match name.split_once('.') {
                Some((schema, table)) => QualifiedName::new(schema, table),
                None => QualifiedName::new("public", name.as_str()),
            };
            match (self.desired.table(&name), current.table(&name)) {
                (Some(desired), Some(live)) if same_columns(live, desired) => {
                    subquery_tables.push(desired)
                }
                _ => return None,
            }
        }
        // A column named bare or with the table's own name is the table's when it has one (else a
        // subquery table's, checked above); its type must not have changed.
        let mut columns = Vec::new();
        tree.columns_named(&table.name.name, &mut columns);
        let unchanged = |column: &String| match (table.column(column), live_table.column(column)) {
            (Some(desired), Some(live)) => desired.ty == live.ty,
            (None, None) => subquery_tables.iter().any(|t| t.column(column).is_some()),
            _ => false,
        };
        columns.iter().all(unchanged).then(|| printed.to_string())
    }
}

/// The same columns with the same types, in any order.
fn same_columns(live: &Table, desired: &Table) -> bool {
    live.columns.len() == desired.columns.len()
        && desired
            .columns
            .iter()
            .all(|column| live.column(&column.name).is_some_and(|l| l.ty == column.ty))
}

/// The table with its expressions printed, or the first one that cannot be (object, text).
/// An expression the database prints exactly so (`live`) is kept as written.
fn table_printed(
    table: &Table,
    enums: &BTreeSet<String>,
    live: &Live,
) -> Result<Table, (String, String)> {
    let mut columns = BTreeMap::new();
    for column in &table.columns {
        if let Some(ty) = Ty::of(&column.ty) {
            columns.insert(column.name.clone(), ty);
        }
    }
    let scope = Scope {
        columns: &columns,
        enums,
    };
    let mut out = table.clone();
    for column in &mut out.columns {
        let what = || format!("default of `{}.{}`", table.name, column.name);
        let live_column = live.column(&column.name);
        if let Some(generated) = &column.generated {
            if live_column.and_then(|c| c.generated.as_ref()) != Some(generated) {
                let what = format!("generated column `{}.{}`", table.name, column.name);
                return Err((what, generated.clone()));
            }
        }
        if column.serial {
            // `lower` already wrote the server's `nextval('<sequence>'::regclass)`.
            continue;
        }
        if let Some(default) = &column.default {
            if live_column.and_then(|c| c.default.as_ref()) == Some(default) {
                continue;
            }
            let printed = Ty::of(&column.ty)
                .and_then(|ty| print_default(default, &ty, &scope))
                .ok_or_else(|| (what(), default.clone()))?;
            column.default = Some(printed);
        }
    }
    for check in &mut out.checks {
        if live.check(&check.name) == Some(check.expr.as_str()) {
            continue;
        }
        check.expr = print_bool(&check.expr, &scope, true).ok_or_else(|| {
            (
                format!("check `{}` on `{}`", check.name, table.name),
                check.expr.clone(),
            )
        })?;
    }
    for index in &mut out.indexes {
        let what = || format!("index `{}` on `{}`", index.name, table.name);
        let live_index = live.index(&index.name);
        for (position, key) in index.keys.iter_mut().enumerate() {
            if let IndexKey::Expr(expr) = key {
                let live_key = live_index.and_then(|i| i.keys.get(position));
                if matches!(live_key, Some(IndexKey::Expr(printed)) if printed == expr) {
                    continue;
                }
                let printed = parse(expr)
                    .and_then(|e| scope.print(&e, Mode::Pretty))
                    .filter(|p| p.kind == Kind::Simple)
                    .ok_or_else(|| (what(), expr.clone()))?;
                *expr = printed.text;
            }
        }
        if let Some(predicate) = &index.predicate {
            if live_index.and_then(|i| i.predicate.as_ref()) == Some(predicate) {
                continue;
            }
            let printed =
                print_bool(predicate, &scope, true).ok_or_else(|| (what(), predicate.clone()))?;
            index.predicate = Some(printed);
        }
    }
    for policy in &mut out.policies {
        let what = || format!("policy `{}` on `{}`", policy.name, table.name);
        let live_policy = live.policy(&policy.name);
        // Also where the table's columns changed: what the expression reads is checked itself.
        let database_policy = live.any_policy(&table.name, &policy.name);
        let texts = [
            (
                &mut policy.using,
                live_policy.and_then(|p| p.using.as_ref()),
                database_policy.and_then(|p| p.using.as_ref()),
            ),
            (
                &mut policy.with_check,
                live_policy.and_then(|p| p.with_check.as_ref()),
                database_policy.and_then(|p| p.with_check.as_ref()),
            ),
        ];
        for (text, printed_so, in_database) in texts {
            let Some(text) = text else { continue };
            if printed_so == Some(text) {
                continue;
            }
            if let Some(same) = in_database.and_then(|p| live.same_policy_text(table, p, text)) {
                *text = same;
                continue;
            }
            let printed = print_bool(text, &scope, false).ok_or_else(|| (what(), text.clone()))?;
            *text = printed;
        }
    }
    Ok(out)
}

/// A boolean expression (check, predicate, policy), pretty or not.
fn print_bool(text: &str, scope: &Scope, pretty: bool) -> Option<String> {
    let expr = parse(text)?;
    let mode = if pretty { Mode::Pretty } else { Mode::Plain };
    let printed = scope.print(&expr, mode)?;
    (printed.ty == Ty::Bool).then_some(printed.text)
}

/// A column default as `pg_get_expr` prints it: coerced to the column's type.
fn print_default(text: &str, column: &Ty, scope: &Scope) -> Option<String> {
    let expr = parse(text)?;
    match &expr {
        Expr::Str(value) => literal_of(value, column),
        Expr::Bool(value) => (*column == Ty::Bool).then(|| value.to_string()),
        Expr::Num(number) => {
            let numeric_column = matches!(
                column,
                Ty::Int2 | Ty::Int4 | Ty::Int8 | Ty::Numeric | Ty::Float4 | Ty::Float8
            );
            if !numeric_column {
                return None;
            }
            let (text, ty) = number_const(number)?;
            let fits = match ty {
                Ty::Int4 | Ty::Int8 => true,
                // A decimal literal in an integer column is rounded by the server.
                _ => matches!(column, Ty::Numeric | Ty::Float4 | Ty::Float8),
            };
            fits.then_some(text)
        }
        _ => {
            let printed = scope.print(&expr, Mode::Plain)?;
            // Assignment casts the server adds to the column's type print nothing.
            let assignable = printed.ty == *column
                || matches!(
                    (&printed.ty, column),
                    (Ty::Timestamptz, Ty::Timestamp | Ty::Date)
                        | (Ty::Date, Ty::Timestamptz | Ty::Timestamp)
                );
            // `'low'::priority_level` on a column of that type is the constant the server
            // stores for `'low'`; a cast of a number is a function call it prints otherwise.
            let string_constant = matches!(&expr, Expr::Cast(inner, _) if matches!(inner.as_ref(), Expr::Str(_)))
                && printed.ty == *column;
            (assignable && (printed.kind != Kind::Literal || string_constant))
                .then_some(printed.text)
        }
    }
}

/// A type the canonicaliser knows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ty {
    Text,
    Varchar,
    Bpchar,
    Citext,
    Int2,
    Int4,
    Int8,
    Numeric,
    Float4,
    Float8,
    Bool,
    Uuid,
    Date,
    Timestamp,
    Timestamptz,
    Jsonb,
    Json,
    /// An enum, by the name the server prints for it.
    Enum(String),
    Array(Box<Ty>),
    /// A string literal not yet coerced.
    Unknown,
}

impl Ty {
    fn of(ty: &SqlType) -> Option<Ty> {
        let base = match &ty.base {
            BaseType::Uuid => Ty::Uuid,
            BaseType::Text => Ty::Text,
            BaseType::Varchar(_) => Ty::Varchar,
            BaseType::Char(_) => Ty::Bpchar,
            BaseType::SmallInt => Ty::Int2,
            BaseType::Integer => Ty::Int4,
            BaseType::BigInt => Ty::Int8,
            BaseType::Real => Ty::Float4,
            BaseType::Double => Ty::Float8,
            BaseType::Boolean => Ty::Bool,
            BaseType::Numeric(_) => Ty::Numeric,
            BaseType::Date => Ty::Date,
            BaseType::Timestamp => Ty::Timestamp,
            BaseType::Timestamptz => Ty::Timestamptz,
            BaseType::Json => Ty::Json,
            BaseType::Jsonb => Ty::Jsonb,
            BaseType::Citext => Ty::Citext,
            // Printed unqualified only where the default search_path finds it.
            BaseType::Enum(name) if name.schema == "public" => Ty::Enum(ident(&name.name)),
            BaseType::Enum(name) => Ty::Enum(crate::sql::qualified(name)),
            _ => return None,
        };
        Some(if ty.array {
            Ty::Array(Box::new(base))
        } else {
            base
        })
    }

    /// As `format_type` prints it (without a type modifier).
    fn name(&self) -> Option<String> {
        Some(match self {
            Ty::Text => "text".into(),
            Ty::Varchar => "character varying".into(),
            Ty::Bpchar => "bpchar".into(),
            Ty::Citext => "citext".into(),
            Ty::Int2 => "smallint".into(),
            Ty::Int4 => "integer".into(),
            Ty::Int8 => "bigint".into(),
            Ty::Numeric => "numeric".into(),
            Ty::Float4 => "real".into(),
            Ty::Float8 => "double precision".into(),
            Ty::Bool => "boolean".into(),
            Ty::Uuid => "uuid".into(),
            Ty::Date => "date".into(),
            Ty::Timestamp => "timestamp without time zone".into(),
            Ty::Timestamptz => "timestamp with time zone".into(),
            Ty::Jsonb => "jsonb".into(),
            Ty::Json => "json".into(),
            Ty::Enum(name) => name.clone(),
            Ty::Array(element) => format!("{}[]", element.name()?),
            Ty::Unknown => return None,
        })
    }

    /// A type written in a cast (`::uuid`, `::bigint`), for the types a cast can name here.
    fn parse(words: &str) -> Option<Ty> {
        Some(match words {
            "uuid" => Ty::Uuid,
            "text" => Ty::Text,
            "int" | "integer" | "int4" => Ty::Int4,
            "bigint" | "int8" => Ty::Int8,
            "smallint" | "int2" => Ty::Int2,
            "numeric" => Ty::Numeric,
            "jsonb" => Ty::Jsonb,
            "json" => Ty::Json,
            "date" => Ty::Date,
            "boolean" | "bool" => Ty::Bool,
            "bpchar" => Ty::Bpchar,
            "citext" => Ty::Citext,
            "varchar" | "character varying" => Ty::Varchar,
            _ => return None,
        })
    }

    fn is_integer(&self) -> bool {
        matches!(self, Ty::Int2 | Ty::Int4 | Ty::Int8)
    }
}

/// `'value'::type` for a string literal coerced to `ty`, where the server keeps the text as
/// written (it re-prints dates, uuids and JSON in its own form: only those already in it pass).
fn literal_of(value: &str, ty: &Ty) -> Option<String> {
    let kept = match ty {
        Ty::Text | Ty::Varchar | Ty::Bpchar | Ty::Citext => true,
        Ty::Enum(_) => true,
        Ty::Uuid => is_canonical_uuid(value),
        Ty::Date => is_canonical_date(value),
        Ty::Jsonb | Ty::Json => value == "{}" || value == "[]",
        Ty::Array(_) => value == "{}",
        _ => false,
    };
    kept.then(|| format!("{}::{}", literal(value), ty.name().unwrap_or_default()))
        .filter(|_| ty.name().is_some())
}

fn is_canonical_uuid(value: &str) -> bool {
    value.len() == 36
        && value.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_digit() || ('a'..='f').contains(&c)
            }
        })
}

fn is_canonical_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && value[5..7]
            .parse::<u32>()
            .is_ok_and(|m| (1..=12).contains(&m))
        && value[8..10]
            .parse::<u32>()
            .is_ok_and(|d| (1..=28).contains(&d))
}

/// A number literal as the server prints its constant: integers bare (`'-1'::integer` when
/// negative, `'10000000000'::bigint` past int4), decimals bare (`'-1.5'::numeric` when negative).
fn number_const(number: &str) -> Option<(String, Ty)> {
    let negative = number.starts_with('-');
    let digits = number.trim_start_matches('-');
    if digits.is_empty() || digits.contains(['e', 'E']) {
        return None;
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        let value: i64 = number.parse().ok()?;
        // Leading zeros are dropped by the server.
        if digits.len() > 1 && digits.starts_with('0') {
            return None;
        }
        if i32::try_from(value).is_ok() {
            let text = if negative {
                format!("'{value}'::integer")
            } else {
                value.to_string()
            };
            return Some((text, Ty::Int4));
        }
        return Some((format!("'{value}'::bigint"), Ty::Int8));
    }
    let (whole, fraction) = digits.split_once('.')?;
    let plain = !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !(whole.len() > 1 && whole.starts_with('0'));
    if !plain {
        return None;
    }
    let text = if negative {
        format!("'{number}'::numeric")
    } else {
        number.to_string()
    };
    Some((text, Ty::Numeric))
}

// ---------------------------------------------------------------------------------------------
// Tokens and the tree.

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// An identifier or keyword, folded to lower case; `quoted` ones keep their case.
    Word {
        text: String,
        quoted: bool,
    },
    Str(String),
    Num(String),
    Op(String),
    Open,
    Close,
    Comma,
    Cast,
    Dot,
}

/// The tokens of the forms this printer knows, from the shared lexer; `None` for anything else
/// (an unterminated quote, `""`, arithmetic, a non-ASCII word, `'a' 'b'`), which then goes to a
/// server.
fn tokenize(text: &str) -> Option<Vec<Token>> {
    let lexed = lexer::lex(text);
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(token) = lexed.get(i) {
        i += 1;
        if token.unterminated {
            return None;
        }
        let next = match token.kind {
            Lexed::Str => {
                // `'a' 'b'` on separate lines concatenates; not handled.
                if matches!(tokens.last(), Some(Token::Str(_))) {
                    return None;
                }
                Token::Str(token.value()?)
            }
            Lexed::QuotedWord => {
                let text = token.name()?;
                if text.is_empty() {
                    return None;
                }
                Token::Word { text, quoted: true }
            }
            Lexed::Word if token.text.is_ascii() => Token::Word {
                text: token.name()?,
                quoted: false,
            },
            Lexed::Num if token.text.chars().all(|c| c.is_ascii_digit() || c == '.') => {
                Token::Num(token.text.to_string())
            }
            Lexed::Open => Token::Open,
            Lexed::Close => Token::Close,
            Lexed::Comma => Token::Comma,
            Lexed::Cast => Token::Cast,
            Lexed::Dot => Token::Dot,
            Lexed::Op if token.text == "-" => {
                // Only a leading minus of a number literal; arithmetic is not handled.
                let number = lexed
                    .get(i)
                    .filter(|n| n.kind == Lexed::Num && n.start == token.end)?;
                let previous_is_value = matches!(
                    tokens.last(),
                    Some(Token::Word { .. } | Token::Str(_) | Token::Num(_) | Token::Close)
                );
                if previous_is_value || !number.text.chars().all(|c| c.is_ascii_digit() || c == '.')
                {
                    return None;
                }
                i += 1;
                Token::Num(format!("-{}", number.text))
            }
            Lexed::Op => {
                let op = if token.text == "!=" { "<>" } else { token.text };
                if !["=", "<>", "<", ">", "<=", ">="].contains(&op) {
                    return None;
                }
                Token::Op(op.to_string())
            }
            _ => return None,
        };
        tokens.push(next);
    }
    Some(tokens)
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Str(String),
    Num(String),
    Bool(bool),
    Column(String),
    /// `CURRENT_DATE`, `CURRENT_TIMESTAMP`.
    Keyword(&'static str),
    Func(String, Vec<Expr>),
    /// A cast to a type named as written (`uuid`, `character varying`, an enum).
    Cast(Box<Expr>, String),
    Compare(String, Box<Expr>, Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    IsNull(Box<Expr>, bool),
    In(Box<Expr>, Vec<Expr>, bool),
    /// `a.col`: a column named with its table's name or alias (in a subquery).
    Qualified(String, String),
    /// `EXISTS (SELECT ...)`.
    Exists(Box<Select>),
    /// `x [NOT] IN (SELECT ...)`.
    InSelect(Box<Expr>, Box<Select>, bool),
}

/// The subquery of a policy: `SELECT list FROM [schema.]table [[AS] alias] [WHERE filter]`. Only
/// compared with the database's text (`Live::same_policy_text`), never printed here.
#[derive(Debug, Clone, PartialEq)]
struct Select {
    list: Vec<Expr>,
    /// `schema.table` or `table`, as written.
    from: String,
    alias: Option<String>,
    filter: Option<Expr>,
}

impl Expr {
    /// The tables the subqueries in this expression read (`schema.table` or `table`).
    fn tables_read(&self, out: &mut Vec<String>) {
        match self {
            Expr::Exists(select) => select.tables_read(out),
            Expr::InSelect(left, select, _) => {
                left.tables_read(out);
                select.tables_read(out);
            }
            Expr::Func(_, args) | Expr::And(args) | Expr::Or(args) => {
                args.iter().for_each(|a| a.tables_read(out))
            }
            Expr::Cast(inner, _) | Expr::Not(inner) | Expr::IsNull(inner, _) => {
                inner.tables_read(out)
            }
            Expr::Compare(_, left, right) => {
                left.tables_read(out);
                right.tables_read(out);
            }
            Expr::In(left, items, _) => {
                left.tables_read(out);
                items.iter().for_each(|i| i.tables_read(out));
            }
            Expr::Str(_)
            | Expr::Num(_)
            | Expr::Bool(_)
            | Expr::Column(_)
            | Expr::Keyword(_)
            | Expr::Qualified(..) => {}
        }
    }
}

impl Expr {
    /// This expression (as the server prints it) with the casts it adds to a string literal whose
    /// type the context decides (`'x'::text`, `'open'::status` for an enum) taken off: written
    /// without them, the literal is resolved the same way when the columns around it keep their
    /// types (which `same_policy_text` checks). Casts to other types are kept: a literal written
    /// without one may resolve otherwise (`'5'::bigint` against an `int` column).
    fn without_literal_casts(self, enums: &[crate::catalog::EnumType]) -> Expr {
        let strip = |e: Expr| e.without_literal_casts(enums);
        let strip_all = |list: Vec<Expr>| list.into_iter().map(strip).collect();
        match self {
            Expr::Cast(inner, ty) => match *inner {
                Expr::Str(value) if ty == "text" || enums.iter().any(|e| e.name.name == ty) => {
                    Expr::Str(value)
                }
                inner => Expr::Cast(Box::new(strip(inner)), ty),
            },
            Expr::Func(name, args) => Expr::Func(name, strip_all(args)),
            Expr::And(terms) => Expr::And(strip_all(terms)),
            Expr::Or(terms) => Expr::Or(strip_all(terms)),
            Expr::Not(inner) => Expr::Not(Box::new(strip(*inner))),
            Expr::IsNull(inner, negated) => Expr::IsNull(Box::new(strip(*inner)), negated),
            Expr::Compare(op, left, right) => {
                Expr::Compare(op, Box::new(strip(*left)), Box::new(strip(*right)))
            }
            Expr::In(left, items, negated) => {
                Expr::In(Box::new(strip(*left)), strip_all(items), negated)
            }
            Expr::Exists(select) => Expr::Exists(Box::new(select.without_literal_casts(enums))),
            Expr::InSelect(left, select, negated) => Expr::InSelect(
                Box::new(strip(*left)),
                Box::new(select.without_literal_casts(enums)),
                negated,
            ),
            leaf @ (Expr::Str(_)
            | Expr::Num(_)
            | Expr::Bool(_)
            | Expr::Column(_)
            | Expr::Keyword(_)
            | Expr::Qualified(..)) => leaf,
        }
    }

    /// The columns this expression names bare, or qualified with `own` (the policy's table).
    fn columns_named(&self, own: &str, out: &mut Vec<String>) {
        let mut visit = |e: &Expr| e.columns_named(own, out);
        match self {
            Expr::Column(name) => out.push(name.clone()),
            Expr::Qualified(table, name) if table == own => out.push(name.clone()),
            Expr::Qualified(..)
            | Expr::Str(_)
            | Expr::Num(_)
            | Expr::Bool(_)
            | Expr::Keyword(_) => {}
            Expr::Func(_, args) | Expr::And(args) | Expr::Or(args) => args.iter().for_each(visit),
            Expr::Cast(inner, _) | Expr::Not(inner) | Expr::IsNull(inner, _) => visit(inner),
            Expr::Compare(_, left, right) => {
                visit(left);
                visit(right);
            }
            Expr::In(left, items, _) => {
                visit(left);
                items.iter().for_each(visit);
            }
            Expr::Exists(select) => select.columns_named(own, out),
            Expr::InSelect(left, select, _) => {
                visit(left);
                select.columns_named(own, out);
            }
        }
    }
}

impl Select {
    fn without_literal_casts(self, enums: &[crate::catalog::EnumType]) -> Select {
        Select {
            list: self
                .list
                .into_iter()
                .map(|e| e.without_literal_casts(enums))
                .collect(),
            filter: self.filter.map(|e| e.without_literal_casts(enums)),
            ..self
        }
    }

    fn columns_named(&self, own: &str, out: &mut Vec<String>) {
        for e in self.list.iter().chain(&self.filter) {
            e.columns_named(own, out);
        }
    }

    fn tables_read(&self, out: &mut Vec<String>) {
        out.push(self.from.clone());
        self.list.iter().for_each(|e| e.tables_read(out));
        if let Some(filter) = &self.filter {
            filter.tables_read(out);
        }
    }
}

fn parse(text: &str) -> Option<Expr> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, at: 0 };
    let expr = parser.or()?;
    (parser.at == parser.tokens.len()).then_some(expr)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word { text, quoted: false }) if text == word)
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let found = self.keyword(word);
        if found {
            self.at += 1;
        }
        found
    }

    fn eat(&mut self, token: &Token) -> bool {
        let found = self.peek() == Some(token);
        if found {
            self.at += 1;
        }
        found
    }

    fn or(&mut self) -> Option<Expr> {
        let first = self.and()?;
        if !self.keyword("or") {
            return Some(first);
        }
        let mut terms = vec![first];
        while self.eat_keyword("or") {
            let next = self.and()?;
            terms.push(next);
        }
        Some(Expr::Or(terms))
    }

    fn and(&mut self) -> Option<Expr> {
        let first = self.not()?;
        if !self.keyword("and") {
            return Some(first);
        }
        let mut terms = vec![first];
        while self.eat_keyword("and") {
            let next = self.not()?;
            terms.push(next);
        }
        Some(Expr::And(terms))
    }

    fn not(&mut self) -> Option<Expr> {
        if self.eat_keyword("not") {
            return Some(Expr::Not(Box::new(self.not()?)));
        }
        self.is()
    }

    fn is(&mut self) -> Option<Expr> {
        let left = self.comparison()?;
        if self.eat_keyword("is") {
            let negated = self.eat_keyword("not");
            if !self.eat_keyword("null") {
                return None;
            }
            return Some(Expr::IsNull(Box::new(left), negated));
        }
        Some(left)
    }

    fn comparison(&mut self) -> Option<Expr> {
        let left = self.postfix()?;
        if let Some(Token::Op(op)) = self.peek().cloned() {
            self.at += 1;
            let right = self.postfix()?;
            if matches!(self.peek(), Some(Token::Op(_))) {
                return None;
            }
            return Some(Expr::Compare(op, Box::new(left), Box::new(right)));
        }
        let negated = self.keyword("not")
            && matches!(self.tokens.get(self.at + 1), Some(Token::Word { text, quoted: false }) if text == "in");
        if negated {
            self.at += 1;
        }
        if self.eat_keyword("in") {
            if !self.eat(&Token::Open) {
                return None;
            }
            if self.keyword("select") {
                let select = self.select()?;
                return Some(Expr::InSelect(Box::new(left), Box::new(select), negated));
            }
            let mut items = vec![self.postfix()?];
            while self.eat(&Token::Comma) {
                items.push(self.postfix()?);
            }
            if !self.eat(&Token::Close) {
                return None;
            }
            return Some(Expr::In(Box::new(left), items, negated));
        }
        (!negated).then_some(left)
    }

    fn postfix(&mut self) -> Option<Expr> {
        let mut expr = self.primary()?;
        while self.eat(&Token::Cast) {
            let Some(Token::Word {
                text,
                quoted: false,
            }) = self.peek().cloned()
            else {
                return None;
            };
            self.at += 1;
            let mut name = text;
            if name == "character" && self.eat_keyword("varying") {
                name = "character varying".into();
            }
            if matches!(self.peek(), Some(Token::Open)) {
                // Type modifiers are not handled; a multi-word type (`double precision`) leaves
                // a word no rule takes, and the parse fails.
                return None;
            }
            expr = Expr::Cast(Box::new(expr), name);
        }
        Some(expr)
    }

    /// `SELECT list FROM table [[AS] alias] [WHERE expr] )`, the closing parenthesis eaten.
    fn select(&mut self) -> Option<Select> {
        if !self.eat_keyword("select") {
            return None;
        }
        let mut list = vec![self.or()?];
        while self.eat(&Token::Comma) {
            list.push(self.or()?);
        }
        if !self.eat_keyword("from") {
            return None;
        }
        let Some(Token::Word { text: mut from, .. }) = self.peek().cloned() else {
            return None;
        };
        self.at += 1;
        if self.eat(&Token::Dot) {
            let Some(Token::Word { text, .. }) = self.peek().cloned() else {
                return None;
            };
            self.at += 1;
            from = format!("{from}.{text}");
        }
        let aliased = self.eat_keyword("as");
        let alias = match self.peek().cloned() {
            Some(Token::Word { text, quoted }) if quoted || text != "where" => {
                self.at += 1;
                Some(text)
            }
            _ if aliased => return None,
            _ => None,
        };
        let filter = if self.eat_keyword("where") {
            Some(self.or()?)
        } else {
            None
        };
        self.eat(&Token::Close).then_some(Select {
            list,
            from,
            alias,
            filter,
        })
    }

    fn primary(&mut self) -> Option<Expr> {
        match self.peek()?.clone() {
            Token::Str(value) => {
                self.at += 1;
                Some(Expr::Str(value))
            }
            Token::Num(value) => {
                self.at += 1;
                Some(Expr::Num(value))
            }
            Token::Open => {
                self.at += 1;
                let inner = self.or()?;
                self.eat(&Token::Close).then_some(inner)
            }
            Token::Word { text, quoted } => {
                self.at += 1;
                if !quoted && text == "exists" {
                    if !self.eat(&Token::Open) || !self.keyword("select") {
                        return None;
                    }
                    return Some(Expr::Exists(Box::new(self.select()?)));
                }
                if self.eat(&Token::Dot) {
                    let Some(Token::Word { text: column, .. }) = self.peek().cloned() else {
                        return None;
                    };
                    self.at += 1;
                    // `schema.function(...)` and `a.b.c` are not handled.
                    if matches!(self.peek(), Some(Token::Open | Token::Dot)) {
                        return None;
                    }
                    return Some(Expr::Qualified(text, column));
                }
                if self.eat(&Token::Open) {
                    if quoted {
                        return None;
                    }
                    let mut args = Vec::new();
                    if !self.eat(&Token::Close) {
                        args.push(self.or()?);
                        while self.eat(&Token::Comma) {
                            args.push(self.or()?);
                        }
                        if !self.eat(&Token::Close) {
                            return None;
                        }
                    }
                    return Some(Expr::Func(text, args));
                }
                if quoted {
                    return Some(Expr::Column(text));
                }
                match text.as_str() {
                    "true" => Some(Expr::Bool(true)),
                    "false" => Some(Expr::Bool(false)),
                    "current_date" => Some(Expr::Keyword("CURRENT_DATE")),
                    "current_timestamp" => Some(Expr::Keyword("CURRENT_TIMESTAMP")),
                    "current_user" => Some(Expr::Keyword("CURRENT_USER")),
                    "session_user" => Some(Expr::Keyword("SESSION_USER")),
                    // Reserved words that would start a form not handled here.
                    "null" | "and" | "or" | "not" | "is" | "in" | "case" | "select" | "exists"
                    | "array" | "any" | "all" | "like" | "between" | "cast" | "user"
                    | "current_role" | "localtime" | "localtimestamp" | "current_time" | "from"
                    | "where" | "as" => None,
                    _ => Some(Expr::Column(text)),
                }
            }
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Printing.

/// `pg_get_expr(.., pretty)`: `Plain` parenthesises every operator; `Pretty` only where needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Pretty,
}

/// The kind of node printed, for the parentheses its parent adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A column, constant or function call.
    Simple,
    /// A constant whose text carries its own type label or none.
    Literal,
    Compare,
    NullTest,
    ArrayCompare,
    And,
    Or,
    Not,
    Cast,
}

#[derive(Debug, Clone)]
struct Printed {
    text: String,
    ty: Ty,
    kind: Kind,
}

impl Printed {
    fn new(text: String, ty: Ty, kind: Kind) -> Printed {
        Printed { text, ty, kind }
    }
}

struct Scope<'a> {
    columns: &'a BTreeMap<String, Ty>,
    /// Enum types, by the name the server prints for them.
    enums: &'a BTreeSet<String>,
}

impl Scope<'_> {
    /// The type a cast names: a built-in one known here, or a declared enum.
    fn cast_type(&self, name: &str) -> Option<Ty> {
        Ty::parse(name).or_else(|| {
            self.enums
                .contains(name)
                .then(|| Ty::Enum(name.to_string()))
        })
    }

    fn print(&self, expr: &Expr, mode: Mode) -> Option<Printed> {
        match expr {
            Expr::Str(value) => Some(Printed::new(literal(value), Ty::Unknown, Kind::Literal)),
            Expr::Num(number) => {
                let (text, ty) = number_const(number)?;
                Some(Printed::new(text, ty, Kind::Literal))
            }
            Expr::Bool(value) => Some(Printed::new(value.to_string(), Ty::Bool, Kind::Literal)),
            Expr::Keyword(word) => {
                let ty = match *word {
                    "CURRENT_DATE" => Ty::Date,
                    "CURRENT_TIMESTAMP" => Ty::Timestamptz,
                    // `CURRENT_USER` is of type `name`, which this printer does not type.
                    _ => return None,
                };
                Some(Printed::new((*word).to_string(), ty, Kind::Simple))
            }
            Expr::Column(name) => {
                let ty = self.columns.get(name)?.clone();
                Some(Printed::new(ident(name), ty, Kind::Simple))
            }
            Expr::Func(name, args) => self.function(name, args, mode),
            Expr::Cast(inner, name) => {
                let ty = &self.cast_type(name)?;
                if let Expr::Num(number) = inner.as_ref() {
                    // `0::numeric`: an integer constant made numeric, as the server labels it.
                    let (text, int) = number_const(number)?;
                    if int != Ty::Int4 || *ty != Ty::Numeric {
                        return None;
                    }
                    let printed = Printed::new(text, Ty::Int4, Kind::Literal);
                    return numeric_label(printed, mode);
                }
                let inner = self.print(inner, mode)?;
                if inner.ty == Ty::Unknown {
                    // `'x'::uuid` is a constant of that type.
                    let Expr::Cast(value, _) = expr else {
                        return None;
                    };
                    let Expr::Str(value) = value.as_ref() else {
                        return None;
                    };
                    return Some(Printed::new(
                        literal_of(value, ty)?,
                        ty.clone(),
                        Kind::Literal,
                    ));
                }
                // Only text to a type read through its input function (`CoerceViaIO`), which
                // prints `(arg)::type`; pretty printing of it is not handled.
                if inner.ty != Ty::Text || *ty == Ty::Text || mode == Mode::Pretty {
                    return None;
                }
                Some(Printed::new(
                    format!("({})::{}", inner.text, ty.name()?),
                    ty.clone(),
                    Kind::Cast,
                ))
            }
            Expr::Compare(op, left, right) => {
                let left = self.print(left, mode)?;
                let right = self.print(right, mode)?;
                let (left, right) = self.coerce_pair(left, right, mode)?;
                for side in [&left, &right] {
                    if !matches!(side.kind, Kind::Simple | Kind::Literal | Kind::Cast) {
                        return None;
                    }
                }
                Some(self.wrap(
                    format!("{} {op} {}", left.text, right.text),
                    Kind::Compare,
                    mode,
                ))
            }
            Expr::IsNull(inner, negated) => {
                let inner = self.print(inner, mode)?;
                if !matches!(inner.kind, Kind::Simple | Kind::Cast) || inner.ty == Ty::Unknown {
                    return None;
                }
                let not = if *negated { " NOT" } else { "" };
                Some(self.wrap(format!("{} IS{not} NULL", inner.text), Kind::NullTest, mode))
            }
            Expr::Not(inner) => {
                let inner = self.print(inner, mode)?;
                if inner.ty != Ty::Bool || inner.kind != Kind::Simple {
                    return None;
                }
                Some(self.wrap(format!("NOT {}", inner.text), Kind::Not, mode))
            }
            Expr::And(terms) | Expr::Or(terms) => {
                let (word, kind) = if matches!(expr, Expr::And(_)) {
                    ("AND", Kind::And)
                } else {
                    ("OR", Kind::Or)
                };
                let mut parts = Vec::new();
                for term in terms {
                    let printed = self.print(term, mode)?;
                    if printed.ty != Ty::Bool {
                        return None;
                    }
                    // PostgreSQL flattens `a AND b AND c` (parsed left to right) into one node;
                    // a nested one of the same kind on the right would print differently.
                    if printed.kind == kind {
                        return None;
                    }
                    let parens = mode == Mode::Pretty
                        && match kind {
                            Kind::And => matches!(printed.kind, Kind::Or | Kind::ArrayCompare),
                            _ => matches!(printed.kind, Kind::ArrayCompare),
                        };
                    parts.push(if parens {
                        format!("({})", printed.text)
                    } else {
                        printed.text
                    });
                }
                Some(self.wrap(parts.join(&format!(" {word} ")), kind, mode))
            }
            Expr::In(left, items, negated) => self.in_list(left, items, *negated, mode),
            // Subqueries are compared with the database's text, not printed.
            Expr::Qualified(..) | Expr::Exists(_) | Expr::InSelect(..) => None,
        }
    }

    /// Wraps an operator node in parentheses in `Plain` mode.
    fn wrap(&self, text: String, kind: Kind, mode: Mode) -> Printed {
        let text = match mode {
            Mode::Plain => format!("({text})"),
            Mode::Pretty => text,
        };
        Printed::new(text, Ty::Bool, kind)
    }

    fn function(&self, name: &str, args: &[Expr], mode: Mode) -> Option<Printed> {
        let printed: Vec<Printed> = args
            .iter()
            .map(|a| self.print(a, mode))
            .collect::<Option<_>>()?;
        let simple = |text: String, ty: Ty| Some(Printed::new(text, ty, Kind::Simple));
        match (name, printed.as_slice()) {
            ("now", []) => simple("now()".into(), Ty::Timestamptz),
            ("gen_random_uuid", []) => simple("gen_random_uuid()".into(), Ty::Uuid),
            ("lower" | "upper" | "length", [arg]) => {
                let arg = self.as_text(arg.clone(), mode)?;
                let ty = if name == "length" { Ty::Int4 } else { Ty::Text };
                simple(format!("{name}({})", arg.text), ty)
            }
            ("current_setting", [setting, missing_ok]) => {
                let setting = self.coerce(setting.clone(), &Ty::Text)?;
                if setting.ty != Ty::Text || missing_ok.ty != Ty::Bool {
                    return None;
                }
                simple(
                    format!("current_setting({}, {})", setting.text, missing_ok.text),
                    Ty::Text,
                )
            }
            ("nullif", [left, right]) => {
                let (left, right) = self.coerce_pair(left.clone(), right.clone(), mode)?;
                if left.ty != right.ty || left.ty == Ty::Unknown {
                    return None;
                }
                simple(format!("NULLIF({}, {})", left.text, right.text), left.ty)
            }
            _ => None,
        }
    }

    /// `varchar` read as `text` (a relabelling the server shows as a cast).
    fn as_text(&self, arg: Printed, mode: Mode) -> Option<Printed> {
        match arg.ty {
            Ty::Text => Some(arg),
            Ty::Varchar if arg.kind == Kind::Simple => Some(Printed::new(
                match mode {
                    Mode::Plain => format!("({})::text", arg.text),
                    Mode::Pretty => format!("{}::text", arg.text),
                },
                Ty::Text,
                Kind::Cast,
            )),
            Ty::Unknown => self.coerce(arg, &Ty::Text),
            _ => None,
        }
    }

    /// A string literal given the type `ty`; anything else only if it already has it.
    fn coerce(&self, value: Printed, ty: &Ty) -> Option<Printed> {
        if value.ty == *ty {
            return Some(value);
        }
        if value.ty != Ty::Unknown {
            return None;
        }
        let text = value.text.strip_prefix('\'')?.strip_suffix('\'')?;
        let text = text.replace("''", "'");
        Some(Printed::new(
            literal_of(&text, ty)?,
            ty.clone(),
            Kind::Literal,
        ))
    }

    /// Both sides of a comparison with the casts the server adds.
    fn coerce_pair(&self, left: Printed, right: Printed, mode: Mode) -> Option<(Printed, Printed)> {
        match (&left.ty, &right.ty) {
            (Ty::Unknown, Ty::Unknown) => None,
            // `varchar = 'x'` compares as text.
            (Ty::Varchar, Ty::Unknown | Ty::Text | Ty::Varchar)
            | (Ty::Unknown | Ty::Text, Ty::Varchar) => {
                let left = self.as_text(left, mode)?;
                let right = self.as_text(right, mode)?;
                Some((left, right))
            }
            (Ty::Unknown, other) => {
                let other = other.clone();
                Some((self.coerce(left, &other)?, right))
            }
            (other, Ty::Unknown) => {
                let other = other.clone();
                Some((left, self.coerce(right, &other)?))
            }
            (a, b) if a == b && !matches!(a, Ty::Json | Ty::Array(_)) => Some((left, right)),
            // The integer types compare with each other directly (`int84gt`, ...).
            (a, b) if a.is_integer() && b.is_integer() => Some((left, right)),
            (Ty::Numeric, b) if b.is_integer() && right.kind == Kind::Literal => {
                let right = numeric_label(right, mode)?;
                Some((left, right))
            }
            (a, Ty::Numeric) if a.is_integer() && left.kind == Kind::Literal => {
                let left = numeric_label(left, mode)?;
                Some((left, right))
            }
            _ => None,
        }
    }

    /// `x in (...)`: `x = ANY (ARRAY[...])`, a single item `x = item`, `not in` `<> ALL`.
    fn in_list(&self, left: &Expr, items: &[Expr], negated: bool, mode: Mode) -> Option<Printed> {
        let (op, quantifier) = if negated { ("<>", "ALL") } else { ("=", "ANY") };
        if items.len() == 1 {
            let compare = Expr::Compare(
                op.to_string(),
                Box::new(left.clone()),
                Box::new(items[0].clone()),
            );
            return self.print(&compare, mode);
        }
        let left = self.print(left, mode)?;
        if !matches!(left.kind, Kind::Simple) {
            return None;
        }
        let items: Vec<Printed> = items
            .iter()
            .map(|i| self.print(i, mode))
            .collect::<Option<_>>()?;
        let all_strings = items.iter().all(|i| i.ty == Ty::Unknown);
        let all_integers = items
            .iter()
            .all(|i| i.ty == Ty::Int4 && !i.text.starts_with('\''));
        let (left_text, array) = match &left.ty {
            Ty::Varchar if all_strings => {
                let elements: Vec<String> = items
                    .iter()
                    .map(|i| self.coerce(i.clone(), &Ty::Varchar).map(|p| p.text))
                    .collect::<Option<_>>()?;
                let left = self.as_text(left.clone(), mode)?;
                let array = format!("ARRAY[{}]", elements.join(", "));
                let array = match mode {
                    Mode::Plain => format!("({array})::text[]"),
                    Mode::Pretty => format!("{array}::text[]"),
                };
                (left.text, array)
            }
            ty @ (Ty::Text | Ty::Bpchar | Ty::Citext | Ty::Enum(_) | Ty::Uuid | Ty::Date)
                if all_strings =>
            {
                let elements: Vec<String> = items
                    .iter()
                    .map(|i| self.coerce(i.clone(), ty).map(|p| p.text))
                    .collect::<Option<_>>()?;
                (left.text.clone(), format!("ARRAY[{}]", elements.join(", ")))
            }
            Ty::Int2 | Ty::Int4 if all_integers => {
                let elements: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
                (left.text.clone(), format!("ARRAY[{}]", elements.join(", ")))
            }
            ty @ (Ty::Int8 | Ty::Numeric) if all_integers || *ty == Ty::Numeric => {
                let name = ty.name()?;
                let elements: Vec<String> = items
                    .iter()
                    .map(|i| match (&i.ty, mode) {
                        // A decimal constant is numeric already and prints bare.
                        (Ty::Numeric, _) if !i.text.starts_with('\'') => Some(i.text.clone()),
                        (Ty::Int4, Mode::Plain) if !i.text.starts_with('\'') => {
                            Some(format!("({})::{name}", i.text))
                        }
                        (Ty::Int4, Mode::Pretty) if !i.text.starts_with('\'') => {
                            Some(format!("{}::{name}", i.text))
                        }
                        _ => None,
                    })
                    .collect::<Option<_>>()?;
                (left.text.clone(), format!("ARRAY[{}]", elements.join(", ")))
            }
            _ => return None,
        };
        Some(self.wrap(
            format!("{left_text} {op} {quantifier} ({array})"),
            Kind::ArrayCompare,
            mode,
        ))
    }
}

/// An integer constant compared with a numeric: a numeric constant, labelled (`0::numeric`).
fn numeric_label(value: Printed, mode: Mode) -> Option<Printed> {
    if value.text.starts_with('\'') {
        return None;
    }
    Some(Printed::new(
        match mode {
            Mode::Plain => format!("({})::numeric", value.text),
            Mode::Pretty => format!("{}::numeric", value.text),
        },
        Ty::Numeric,
        Kind::Literal,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> BTreeMap<String, Ty> {
        [
            ("a", Ty::Text),
            ("b", Ty::Varchar),
            ("c", Ty::Bpchar),
            ("e", Ty::Enum("st".into())),
            ("f", Ty::Int4),
            ("g", Ty::Int8),
            ("h", Ty::Int2),
            ("i", Ty::Numeric),
            ("k", Ty::Bool),
            ("u", Ty::Uuid),
        ]
        .into_iter()
        .map(|(n, t)| (n.to_string(), t))
        .collect()
    }

    fn pretty(text: &str) -> Option<String> {
        let enums = BTreeSet::from(["st".to_string()]);
        let columns = scope();
        let scope = Scope {
            columns: &columns,
            enums: &enums,
        };
        print_bool(text, &scope, true)
    }

    fn plain(text: &str) -> Option<String> {
        let enums = BTreeSet::from(["st".to_string()]);
        let columns = scope();
        let scope = Scope {
            columns: &columns,
            enums: &enums,
        };
        print_bool(text, &scope, false)
    }

    /// Each expected text is what PostgreSQL 15 printed for the same expression.
    #[test]
    fn checks_print_as_the_server_prints_them() {
        let cases = [
            ("a in ('x','y')", "a = ANY (ARRAY['x'::text, 'y'::text])"),
            (
                "b in ('x','y')",
                "b::text = ANY (ARRAY['x'::character varying, 'y'::character varying]::text[])",
            ),
            (
                "c in ('x','y')",
                "c = ANY (ARRAY['x'::bpchar, 'y'::bpchar])",
            ),
            ("e in ('a','b')", "e = ANY (ARRAY['a'::st, 'b'::st])"),
            ("f in (1,2)", "f = ANY (ARRAY[1, 2])"),
            ("g in (1,2)", "g = ANY (ARRAY[1::bigint, 2::bigint])"),
            ("h in (1,2)", "h = ANY (ARRAY[1, 2])"),
            ("i in (1,2)", "i = ANY (ARRAY[1::numeric, 2::numeric])"),
            ("f >= 0 and g > 0 or h < 0", "f >= 0 AND g > 0 OR h < 0"),
            (
                "a is not null and (b is null or c = 'x')",
                "a IS NOT NULL AND (b IS NULL OR c = 'x'::bpchar)",
            ),
            ("i >= 0", "i >= 0::numeric"),
            ("length(a) > 0", "length(a) > 0"),
            ("not k", "NOT k"),
            ("b = 'x'", "b::text = 'x'::text"),
            ("e = 'a'", "e = 'a'::st"),
            ("h > g", "h > g"),
            ("lower(a) <> ''", "lower(a) <> ''::text"),
            ("a <> b", "a <> b::text"),
            // The server's own text reads back as itself.
            ("i >= 0::numeric", "i >= 0::numeric"),
            ("i < 1000000::numeric", "i < 1000000::numeric"),
            ("i < 1 OR NOT k", "i < 1::numeric OR NOT k"),
            (
                "i < 1000000::numeric OR NOT k",
                "i < 1000000::numeric OR NOT k",
            ),
            ("e = 'a'::st", "e = 'a'::st"),
        ];
        for (input, expected) in cases {
            assert_eq!(pretty(input).as_deref(), Some(expected), "{input}");
        }
    }

    #[test]
    fn policies_print_in_the_plain_form() {
        assert_eq!(
            plain("u = nullif(current_setting('app.x', true), '')::uuid").as_deref(),
            Some("(u = (NULLIF(current_setting('app.x'::text, true), ''::text))::uuid)")
        );
        assert_eq!(
            plain("f > 0 and a in ('x','y')").as_deref(),
            Some("((f > 0) AND (a = ANY (ARRAY['x'::text, 'y'::text])))")
        );
        assert_eq!(plain("true").as_deref(), Some("true"));
    }

    #[test]
    fn defaults_print_coerced_to_the_column() {
        let columns = scope();
        let enums = BTreeSet::new();
        let scope = Scope {
            columns: &columns,
            enums: &enums,
        };
        let cases = [
            ("'x'", Ty::Text, Some("'x'::text")),
            ("'y'", Ty::Varchar, Some("'y'::character varying")),
            ("0", Ty::Numeric, Some("0")),
            ("-1", Ty::Int4, Some("'-1'::integer")),
            ("-1.5", Ty::Numeric, Some("'-1.5'::numeric")),
            ("10000000000", Ty::Int8, Some("'10000000000'::bigint")),
            ("'{}'", Ty::Jsonb, Some("'{}'::jsonb")),
            ("'{}'", Ty::Array(Box::new(Ty::Text)), Some("'{}'::text[]")),
            ("current_date", Ty::Date, Some("CURRENT_DATE")),
            ("now()", Ty::Date, Some("now()")),
            ("1.5", Ty::Int4, None),
            ("'{\"a\":1}'", Ty::Jsonb, None),
            ("nextval('s')", Ty::Int8, None),
            ("'{}'::jsonb", Ty::Jsonb, Some("'{}'::jsonb")),
            ("'x'::text", Ty::Text, Some("'x'::text")),
            ("'{}'::jsonb", Ty::Json, None),
        ];
        for (input, ty, expected) in cases {
            assert_eq!(
                print_default(input, &ty, &scope).as_deref(),
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn unknown_forms_are_refused_not_guessed() {
        for input in [
            "a like 'x%'",
            "f + 1 > 2",
            "exists (select 1)",
            "a ~ 'x'",
            "zz > 0",
            "a = 'x' 'y'",
            "f between 1 and 2",
            "case when k then true else false end",
        ] {
            assert_eq!(pretty(input), None, "{input}");
        }
    }

    #[test]
    fn what_the_database_prints_is_kept_where_its_columns_are_the_same() {
        let table = |ty: BaseType| {
            let mut table = Table::new(QualifiedName::public("t"));
            let mut column = crate::catalog::Column::new("u", SqlType::scalar(ty));
            column.default = Some("uuidv7()".into());
            table.columns.push(column);
            table
        };
        let desired = Catalog {
            tables: vec![table(BaseType::Uuid)].into(),
            ..Catalog::default()
        };
        let (_, unknown) = canonicalize_against(&desired, None);
        assert_eq!(
            unknown.len(),
            1,
            "uuidv7() is not a form of the local printer"
        );
        let same = Catalog {
            tables: vec![table(BaseType::Uuid)].into(),
            ..Catalog::default()
        };
        let (printed, unknown) = canonicalize_against(&desired, Some(&same));
        assert!(unknown.is_empty(), "{unknown:?}");
        let default = printed
            .tables
            .iter()
            .next()
            .and_then(|t| t.columns[0].default.clone());
        assert_eq!(default.as_deref(), Some("uuidv7()"));
        // Another column type is another context: the server may print another text.
        let retyped = Catalog {
            tables: vec![table(BaseType::Text)].into(),
            ..Catalog::default()
        };
        assert_eq!(canonicalize_against(&desired, Some(&retyped)).1.len(), 1);
    }

    /// `accounts (id uuid, owner text)` and `docs (account_id <ty>, extra?)` with a policy whose
    /// subquery reads `accounts`; `using` as written.
    fn policy_catalog(owner: BaseType, account_id: BaseType, extra: bool, using: &str) -> Catalog {
        let mut accounts = Table::new(QualifiedName::public("accounts"));
        accounts.columns.push(crate::catalog::Column::new(
            "id",
            SqlType::scalar(BaseType::Uuid),
        ));
        accounts
            .columns
            .push(crate::catalog::Column::new("owner", SqlType::scalar(owner)));
        let mut docs = Table::new(QualifiedName::public("docs"));
        docs.columns.push(crate::catalog::Column::new(
            "account_id",
            SqlType::scalar(account_id),
        ));
        if extra {
            docs.columns.push(crate::catalog::Column::new(
                "extra",
                SqlType::scalar(BaseType::Text),
            ));
        }
        docs.policies.push(crate::catalog::Policy {
            name: "docs_visible".into(),
            command: crate::catalog::PolicyCommand::All,
            roles: Vec::new(),
            using: Some(using.into()),
            with_check: None,
            origin: None,
        });
        Catalog {
            tables: vec![accounts, docs].into(),
            ..Catalog::default()
        }
    }

    const PRINTED: &str =
        "(account_id IN ( SELECT a.id\n   FROM accounts a\n  WHERE (a.owner = CURRENT_USER)))";

    fn printed_policy(catalog: &Catalog) -> Option<String> {
        let docs = catalog.table(&QualifiedName::public("docs"))?;
        docs.policies[0].using.clone()
    }

    #[test]
    fn a_subquery_policy_written_as_the_database_means_it_needs_no_server() {
        let written = "account_id in (select a.id from accounts as a where a.owner = current_user)";
        let database = policy_catalog(BaseType::Text, BaseType::Uuid, false, PRINTED);
        let desired = policy_catalog(BaseType::Text, BaseType::Uuid, false, written);
        let (printed, unknown) = canonicalize_against(&desired, Some(&database));
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(printed_policy(&printed).as_deref(), Some(PRINTED));
        // A column of the policy's table that the policy does not read may come and go.
        let with_extra = policy_catalog(BaseType::Text, BaseType::Uuid, true, written);
        let (printed, unknown) = canonicalize_against(&with_extra, Some(&database));
        assert!(unknown.is_empty(), "{unknown:?}");
        assert_eq!(printed_policy(&printed).as_deref(), Some(PRINTED));
        // Without a database, or with no such policy there, it needs a server.
        assert_eq!(canonicalize_against(&desired, None).1.len(), 1);
    }

    #[test]
    fn a_subquery_policy_that_means_something_else_needs_a_server() {
        let database = policy_catalog(BaseType::Text, BaseType::Uuid, false, PRINTED);
        for written in [
            // Another operator, another column, a negation, an outer column where the database
            // reads the subquery's, another grouping.
            "account_id in (select a.id from accounts a where a.owner <> current_user)",
            "account_id in (select a.owner from accounts a where a.owner = current_user)",
            "account_id not in (select a.id from accounts a where a.owner = current_user)",
            "account_id in (select a.id from accounts a where owner = current_user)",
            "account_id in (select a.id from accounts a) and a.owner = current_user",
        ] {
            let desired = policy_catalog(BaseType::Text, BaseType::Uuid, false, written);
            let (_, unknown) = canonicalize_against(&desired, Some(&database));
            assert_eq!(unknown.len(), 1, "{written}");
        }
        // The same text, but a column it reads changes type in this plan (the server would add a
        // cast): printed again by a server.
        let written = "account_id in (select a.id from accounts a where a.owner = current_user)";
        for desired in [
            policy_catalog(BaseType::Citext, BaseType::Uuid, false, written),
            policy_catalog(BaseType::Text, BaseType::Text, false, written),
        ] {
            assert_eq!(canonicalize_against(&desired, Some(&database)).1.len(), 1);
        }
    }
}

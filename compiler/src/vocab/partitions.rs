//! Partitioned tables: the partition key and the partitions with their bounds. A partition is not
//! a table of its own in the `Catalog`: its columns, keys and indexes are the parent's.
//!
//! Bounds are compared value by value in one canonical spelling, which is what PostgreSQL prints
//! (`pg_get_expr(relpartbound)`) for the key's type, with one difference: a `timestamptz` value is
//! written in UTC (`'2026-01-01 00:00:00+00'`) whatever the session's `TimeZone`, so that neither
//! the server that prints it nor the session that creates it changes what the bound means.

pub use super::sql_text::split_top_level;
use super::sql_text::{matching_paren, unparen};
use super::{BaseType, QualifiedName, SqlType};
use crate::source::Span;

/// `PARTITION BY RANGE | LIST | HASH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PartitionStrategy {
    Range,
    List,
    Hash,
}

impl PartitionStrategy {
    pub fn sql(self) -> &'static str {
        match self {
            PartitionStrategy::Range => "RANGE",
            PartitionStrategy::List => "LIST",
            PartitionStrategy::Hash => "HASH",
        }
    }

    /// The word in the `.schema` language.
    pub fn source(self) -> &'static str {
        match self {
            PartitionStrategy::Range => "range",
            PartitionStrategy::List => "list",
            PartitionStrategy::Hash => "hash",
        }
    }
}

/// How a table is partitioned.
#[derive(Debug, Clone, PartialEq)]
pub struct Partitioning {
    pub strategy: PartitionStrategy,
    /// The key as `pg_get_partkeydef` prints it between the parentheses: `at`, `region, at`.
    pub keys: String,
    /// The partitions, in name order once normalised; `None` for `partitions unmanaged` (made by
    /// someone else: never created, compared or dropped).
    pub partitions: Option<Vec<Partition>>,
}

impl Partitioning {
    /// The key's parts, split at top-level commas.
    pub fn key_parts(&self) -> Vec<String> {
        split_top_level(&self.keys)
    }

    /// Columns named by the key (expression keys name none).
    pub fn key_columns(&self) -> Vec<String> {
        self.key_parts()
            .into_iter()
            .filter(|part| is_plain_name(part))
            .map(|part| part.trim_matches('"').to_string())
            .collect()
    }

    /// Every bound in canonical spelling for the types of the key's columns (`column_type`: the
    /// table's column of that name).
    pub fn canonicalize(&mut self, column_type: impl Fn(&str) -> Option<SqlType>) {
        let types: Vec<Option<SqlType>> = self
            .key_parts()
            .iter()
            .map(|part| {
                let name = part.trim().trim_matches('"');
                is_plain_name(part).then(|| column_type(name)).flatten()
            })
            .collect();
        for partition in self.partitions.iter_mut().flatten() {
            partition.bound = partition.bound.canonical(&types);
        }
    }

    /// The partition constraint PostgreSQL derives from a bound over one plain column, as a CHECK
    /// expression; `None` for other keys and for hash and default bounds.
    pub fn constraint(&self, bound: &PartitionBound) -> Option<String> {
        let columns = self.key_columns();
        let [column] = columns.as_slice() else {
            return None;
        };
        if self.key_parts().len() != 1 {
            return None;
        }
        let key = super::ident(column);
        let mut parts = vec![format!("{key} IS NOT NULL")];
        match (self.strategy, bound) {
            (PartitionStrategy::Range, PartitionBound::Range { from, to }) => {
                let (from, to) = (from.first()?, to.first()?);
                if from != "MINVALUE" {
                    parts.push(format!("{key} >= {from}"));
                }
                if to != "MAXVALUE" {
                    parts.push(format!("{key} < {to}"));
                }
            }
            (PartitionStrategy::List, PartitionBound::List(all)) => {
                let values: Vec<&str> = all
                    .iter()
                    .map(String::as_str)
                    .filter(|v| *v != "NULL")
                    .collect();
                if values.is_empty() {
                    return None;
                }
                let list = values.join(", ");
                // A NULL in the list: the partition takes NULLs too.
                if values.len() != all.len() {
                    return Some(format!("{key} IS NULL OR {key} = ANY (ARRAY[{list}])"));
                }
                parts.push(format!("{key} = ANY (ARRAY[{list}])"));
            }
            _ => return None,
        }
        Some(parts.join(" AND "))
    }

    /// Whether a changed bound can be moved in place (`rebound`): one plain key column, range or
    /// list, neither side the default partition.
    pub fn can_rebound(&self, current: &Partition, desired: &Partition) -> bool {
        self.constraint(&current.bound).is_some() && self.constraint(&desired.bound).is_some()
    }

    /// `PARTITION BY RANGE (at)`.
    pub fn sql(&self) -> String {
        format!("PARTITION BY {} ({})", self.strategy.sql(), self.keys)
    }
}

/// One partition of a partitioned table.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    pub name: QualifiedName,
    pub bound: PartitionBound,
    /// The partition is itself partitioned (database side only): the language cannot say that,
    /// so `to_source` warns; its own partitions are not read.
    pub subpartitioned: bool,
    pub origin: Option<Span>,
}

/// What a partition holds; values in their canonical spelling (`canonical_bound`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionBound {
    Range { from: Vec<String>, to: Vec<String> },
    List(Vec<String>),
    Hash { modulus: u32, remainder: u32 },
    Default,
}

impl PartitionBound {
    /// The bound as SQL after `PARTITION OF parent` / `ATTACH PARTITION p`.
    pub fn sql(&self) -> String {
        match self {
            PartitionBound::Range { from, to } => {
                format!(
                    "FOR VALUES FROM ({}) TO ({})",
                    from.join(", "),
                    to.join(", ")
                )
            }
            PartitionBound::List(values) => format!("FOR VALUES IN ({})", values.join(", ")),
            PartitionBound::Hash { modulus, remainder } => {
                format!("FOR VALUES WITH (modulus {modulus}, remainder {remainder})")
            }
            PartitionBound::Default => "DEFAULT".to_string(),
        }
    }

    /// Reads the server's `pg_get_expr(relpartbound)` text.
    pub fn parse(text: &str) -> Option<PartitionBound> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("DEFAULT") {
            return Some(PartitionBound::Default);
        }
        let rest = text.strip_prefix("FOR VALUES ")?;
        if let Some(rest) = rest.strip_prefix("IN ") {
            return Some(PartitionBound::List(split_top_level(unparen(rest)?)));
        }
        if let Some(rest) = rest.strip_prefix("WITH ") {
            let inner = unparen(rest)?;
            let mut modulus = None;
            let mut remainder = None;
            for part in split_top_level(inner) {
                let mut words = part.split_whitespace();
                let (Some(word), Some(value)) = (words.next(), words.next()) else {
                    continue;
                };
                match word {
                    "modulus" => modulus = value.parse().ok(),
                    "remainder" => remainder = value.parse().ok(),
                    _ => {}
                }
            }
            return Some(PartitionBound::Hash {
                modulus: modulus?,
                remainder: remainder?,
            });
        }
        let rest = rest.strip_prefix("FROM ")?;
        let end = matching_paren(rest)?;
        let from = split_top_level(&rest[1..end]);
        let rest = rest[end + 1..].trim_start().strip_prefix("TO ")?;
        let to = split_top_level(unparen(rest)?);
        Some(PartitionBound::Range { from, to })
    }

    /// The same bound with each value in canonical spelling for the key's column types (`None`:
    /// an expression key, whose values are kept as they are).
    pub fn canonical(&self, types: &[Option<SqlType>]) -> PartitionBound {
        let values = |values: &[String]| -> Vec<String> {
            values
                .iter()
                .enumerate()
                .map(|(i, v)| canonical_value(v, types.get(i).cloned().flatten().as_ref()))
                .collect()
        };
        // A list partition has one key; every value is of its type.
        let list = |values: &[String]| -> Vec<String> {
            let ty = types.first().cloned().flatten();
            values
                .iter()
                .map(|v| canonical_value(v, ty.as_ref()))
                .collect()
        };
        match self {
            PartitionBound::Range { from, to } => PartitionBound::Range {
                from: values(from),
                to: values(to),
            },
            PartitionBound::List(items) => PartitionBound::List(list(items)),
            other => other.clone(),
        }
    }
}

fn is_plain_name(part: &str) -> bool {
    let part = part.trim();
    let unquoted = part.strip_prefix('"').and_then(|p| p.strip_suffix('"'));
    match unquoted {
        Some(inner) => !inner.contains('"'),
        None => {
            part.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
    }
}

/// One bound value as PostgreSQL prints it for a key of type `ty`.
pub fn canonical_value(value: &str, ty: Option<&SqlType>) -> String {
    let value = value.trim();
    for word in ["MINVALUE", "MAXVALUE", "NULL"] {
        if value.eq_ignore_ascii_case(word) {
            return word.to_string();
        }
    }
    let Some(ty) = ty.filter(|t| !t.array) else {
        return value.to_string();
    };
    // A quoted literal's text, `''` undoubled; an unquoted one as it is.
    let text = match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => value.to_string(),
    };
    let quoted = |text: &str| format!("'{}'", text.replace('\'', "''"));
    match &ty.base {
        BaseType::SmallInt | BaseType::Integer | BaseType::BigInt => match text.parse::<i64>() {
            Ok(n) if n < 0 => quoted(&n.to_string()),
            Ok(n) => n.to_string(),
            Err(_) => value.to_string(),
        },
        BaseType::Numeric(_) | BaseType::Real | BaseType::Double => {
            if text.parse::<f64>().is_ok() && !text.starts_with('-') {
                text
            } else {
                quoted(&text)
            }
        }
        BaseType::Boolean => text.to_ascii_lowercase(),
        BaseType::Date => quoted(&text),
        BaseType::Timestamp => match timestamp::parse(&text) {
            Some(t) => quoted(&t.print(None)),
            None => quoted(&text),
        },
        BaseType::Timestamptz => match timestamp::parse(&text) {
            Some(t) => quoted(&t.to_utc().print(Some(0))),
            None => quoted(&text),
        },
        BaseType::Uuid => quoted(&text.to_ascii_lowercase()),
        _ => quoted(&text),
    }
}

/// Just enough of timestamps for partition bounds: `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][Z|±HH[:MM]]`.
mod timestamp {
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct Timestamp {
        /// Days since 1970-01-01.
        days: i64,
        /// Seconds into the day.
        seconds: i64,
        /// Fraction digits as written (`"5"` for `.5`), trailing zeros removed.
        micros: u32,
        /// Offset east of UTC in seconds, when written.
        offset: Option<i64>,
    }

    pub fn parse(text: &str) -> Option<Timestamp> {
        let text = text.trim();
        let (date, rest) = text.split_at(text.find([' ', 'T']).unwrap_or(text.len()));
        let mut parts = date.split('-');
        let year: i64 = parts.next()?.parse().ok()?;
        let month: i64 = parts.next()?.parse().ok()?;
        let day: i64 = parts.next()?.parse().ok()?;
        if parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let rest = rest.trim_start_matches([' ', 'T']);
        let (time, offset) = match rest.find(['+', '-', 'Z']) {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        let mut seconds = 0;
        let mut micros = 0;
        if !time.trim().is_empty() {
            let (clock, fraction) = match time.trim().split_once('.') {
                Some((clock, fraction)) => (clock, Some(fraction)),
                None => (time.trim(), None),
            };
            let mut fields = clock.split(':');
            let h: i64 = fields.next()?.parse().ok()?;
            let m: i64 = fields.next()?.parse().ok()?;
            let s: i64 = fields.next().map(|s| s.parse().ok()).unwrap_or(Some(0))?;
            seconds = h * 3600 + m * 60 + s;
            if let Some(fraction) = fraction {
                let digits: String = fraction.chars().chain("000000".chars()).take(6).collect();
                micros = digits.parse().ok()?;
            }
        }
        let offset = match offset.map(str::trim) {
            None => None,
            Some("Z") => Some(0),
            Some(o) => {
                let sign = if o.starts_with('-') { -1 } else { 1 };
                let o = &o[1..];
                let (h, m) = match o.split_once(':') {
                    Some((h, m)) => (h, m),
                    None if o.len() == 4 => o.split_at(2),
                    None => (o, "0"),
                };
                Some(sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60))
            }
        };
        Some(Timestamp {
            days: days_from_civil(year, month, day),
            seconds,
            micros,
            offset,
        })
    }

    impl Timestamp {
        /// The same instant in UTC (a value without an offset is taken to be UTC).
        pub fn to_utc(self) -> Timestamp {
            let total = self.days * 86_400 + self.seconds - self.offset.unwrap_or(0);
            Timestamp {
                days: total.div_euclid(86_400),
                seconds: total.rem_euclid(86_400),
                micros: self.micros,
                offset: Some(0),
            }
        }

        /// `2026-01-01 00:00:00[.5][+00]`, as PostgreSQL prints it.
        pub fn print(self, offset: Option<i64>) -> String {
            let (y, m, d) = civil_from_days(self.days);
            let mut out = format!(
                "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
                self.seconds / 3600,
                self.seconds / 60 % 60,
                self.seconds % 60
            );
            if self.micros != 0 {
                let fraction = format!("{:06}", self.micros);
                out.push('.');
                out.push_str(fraction.trim_end_matches('0'));
            }
            if let Some(offset) = offset {
                let sign = if offset < 0 { '-' } else { '+' };
                let offset = offset.abs();
                out.push_str(&format!("{sign}{:02}", offset / 3600));
                if offset % 3600 != 0 {
                    out.push_str(&format!(":{:02}", offset / 60 % 60));
                }
            }
            out
        }
    }

    // Howard Hinnant's civil-date algorithms (proleptic Gregorian calendar).
    fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn civil_from_days(z: i64) -> (i64, i64, i64) {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (if m <= 2 { y + 1 } else { y }, m, d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(base: BaseType) -> Option<SqlType> {
        Some(SqlType::scalar(base))
    }

    #[test]
    fn reads_the_server_forms() {
        assert_eq!(
            PartitionBound::parse("FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')"),
            Some(PartitionBound::Range {
                from: vec!["'2026-01-01'".into()],
                to: vec!["'2027-01-01'".into()],
            })
        );
        assert_eq!(
            PartitionBound::parse("FOR VALUES IN ('eu', 'it''s, ok')"),
            Some(PartitionBound::List(vec![
                "'eu'".into(),
                "'it''s, ok'".into()
            ]))
        );
        assert_eq!(
            PartitionBound::parse("FOR VALUES WITH (modulus 4, remainder 3)"),
            Some(PartitionBound::Hash {
                modulus: 4,
                remainder: 3
            })
        );
        assert_eq!(
            PartitionBound::parse("DEFAULT"),
            Some(PartitionBound::Default)
        );
        let bound = PartitionBound::parse("FOR VALUES FROM (MINVALUE, 1) TO (10, MAXVALUE)");
        assert_eq!(
            bound.unwrap().sql(),
            "FOR VALUES FROM (MINVALUE, 1) TO (10, MAXVALUE)"
        );
    }

    #[test]
    fn timestamptz_values_are_compared_in_utc() {
        let tz = ty(BaseType::Timestamptz);
        assert_eq!(
            canonical_value("'2026-01-01'", tz.as_ref()),
            "'2026-01-01 00:00:00+00'"
        );
        assert_eq!(
            canonical_value("'2026-01-01 00:00:00+01'", tz.as_ref()),
            "'2025-12-31 23:00:00+00'"
        );
        assert_eq!(
            canonical_value("'2026-03-01 05:30:00.50-05:30'", tz.as_ref()),
            "'2026-03-01 11:00:00.5+00'"
        );
        let ts = ty(BaseType::Timestamp);
        assert_eq!(
            canonical_value("'2024-02-29'", ts.as_ref()),
            "'2024-02-29 00:00:00'"
        );
    }

    #[test]
    fn numbers_and_words() {
        let int = ty(BaseType::Integer);
        assert_eq!(canonical_value("'10'", int.as_ref()), "10");
        assert_eq!(canonical_value("-1", int.as_ref()), "'-1'");
        assert_eq!(canonical_value("minvalue", int.as_ref()), "MINVALUE");
        assert_eq!(canonical_value("'eu'", ty(BaseType::Text).as_ref()), "'eu'");
    }
}

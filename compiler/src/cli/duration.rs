//! `--lock-timeout` values: `2s`, `500ms`, `1m`, or plain milliseconds.

use std::time::Duration;

pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (write e.g. 2s or 500ms)"))?;
    let millis = match unit.trim() {
        "" | "ms" => value,
        "s" => value * 1000.0,
        "m" | "min" => value * 60_000.0,
        other => return Err(format!("unknown unit `{other}` (use ms, s or m)")),
    };
    if millis < 1.0 {
        return Err("the lock timeout must be at least 1ms".into());
    }
    Ok(Duration::from_millis(millis as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("250"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1m"), Ok(Duration::from_secs(60)));
        assert!(parse("fast").is_err());
        assert!(parse("0s").is_err());
    }
}

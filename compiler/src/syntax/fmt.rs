//! Formatter (todo).

//! PostgreSQL default names. Placeholder.

//! Model → Catalog. Placeholder.

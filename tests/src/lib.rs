//! Integration tests for schemac live under `tests/`; this library is empty.

//! The names `lower` gives constraints, indexes and sequences are the ones PostgreSQL itself
//! chooses: the same tables are created by hand in a real database, without any names, and the
//! names PostgreSQL picked are compared with the lowered `Catalog`'s.
//! Uses `psql` against `DATABASE_URL` or the local server (127.0.0.1, user postgres).

#[path = "support/fixtures.rs"]
mod fixtures;

use std::collections::BTreeSet;
use std::process::Command;

use schemac::catalog::{Catalog, QualifiedName};
use schemac::compile::compile;
use schemac::source::SourceSet;

/// A throwaway database, dropped when the test ends.
struct Database {
    name: String,
}

fn psql(database: &str, sql: &str) -> String {
    let mut command = Command::new("psql");
    match std::env::var("DATABASE_URL") {
        Ok(url) => {
            // Same server, other database: replace the path of the URL.
            let base = url
                .rsplit_once('/')
                .map_or(url.as_str(), |(b, _)| b)
                .to_string();
            command.arg(format!("{base}/{database}"));
        }
        Err(_) => {
            command.args(["-h", "127.0.0.1", "-U", "postgres", "-d", database]);
        }
    }
    let output = command
        .args(["-v", "ON_ERROR_STOP=1", "-X", "-q", "-At", "-c", sql])
        .output()
        .expect("psql must be installed to run this test");
    assert!(
        output.status.success(),
        "psql failed on `{sql}`: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

impl Database {
    fn new(test: &str) -> Database {
        let name = format!("schemac_names_{test}_{}", std::process::id());
        psql("postgres", &format!("drop database if exists {name}"));
        psql("postgres", &format!("create database {name}"));
        Database { name }
    }

    fn run(&self, sql: &str) -> String {
        psql(&self.name, sql)
    }

    /// Constraint and index names PostgreSQL chose for one table.
    fn names(&self, table: &str) -> (BTreeSet<String>, BTreeSet<String>) {
        let lines = |text: String| -> BTreeSet<String> {
            text.lines()
                .map(str::to_string)
                .filter(|l| !l.is_empty())
                .collect()
        };
        let constraints = lines(self.run(&format!(
            // PostgreSQL 18 keeps NOT NULL as constraints too (contype 'n', `<table>_<col>_not_null`);
            // the catalog holds nullability on the column, so those are not compared here.
            "select conname from pg_constraint where conrelid = '{table}'::regclass and contype <> 'n'"
        )));
        let indexes = lines(self.run(&format!(
            "select c.relname from pg_index i join pg_class c on c.oid = i.indexrelid \
             where i.indrelid = '{table}'::regclass"
        )));
        (constraints, indexes)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        psql(
            "postgres",
            &format!("drop database if exists {} with (force)", self.name),
        );
    }
}

fn lowered(schema: &str) -> Catalog {
    let mut sources = SourceSet::default();
    sources.add("names.schema", schema);
    let compiled = compile(&sources);
    assert!(
        compiled.diagnostics.is_empty(),
        "{:#?}",
        compiled.diagnostics
    );
    compiled.catalog.expect("lowered")
}

/// Constraint names (pk, unique, check, fk) and index names (pk, unique, indexes) of a table.
fn catalog_names(catalog: &Catalog, table: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let table = catalog
        .table(&QualifiedName::public(table))
        .expect("table in catalog");
    let mut constraints = BTreeSet::new();
    let mut indexes = BTreeSet::new();
    if let Some(pk) = &table.primary_key {
        constraints.insert(pk.name.clone());
        indexes.insert(pk.name.clone());
    }
    for unique in &table.uniques {
        constraints.insert(unique.name.clone());
        indexes.insert(unique.name.clone());
    }
    constraints.extend(table.checks.iter().map(|c| c.name.clone()));
    constraints.extend(table.foreign_keys.iter().map(|f| f.name.clone()));
    indexes.extend(table.indexes.iter().map(|i| i.name.clone()));
    (constraints, indexes)
}

#[test]
fn default_names_match_postgres_including_truncation_and_collisions() {
    let long_table = "orders_with_a_deliberately_long_name_to_test_truncation_rules";
    let long_column = "customer_reference_number_that_is_very_long_indeed_yes";
    let schema = format!(
        "table parents {{\n  id  int primary\n  code  text\n  unique (id, code)\n}}\n\n\
         table {long_table} {{\n\
           id  serial primary\n\
           {long_column}  int check ({long_column} > 0)\n\
           code  text\n  low  int\n  high  int\n  parent  int references parents\n\
           check (low < high)\n  check (low >= 0)\n  check (low >= 0 and low < 100)\n\
           unique ({long_column}, code)\n  unique (code)\n  unique (code)\n\
           foreign key (parent, code) references parents (id, code)\n\
           index (lower(code))\n  index (lower(code), upper(code))\n  index (code)\n  index (code)\n\
           index ((low + high))\n  index (code::varchar)\n  index ({long_column}, code, low, high)\n\
         }}\n"
    );
    let db = Database::new("defaults");
    db.run("create table parents (id int primary key, code text not null, unique (id, code))");
    db.run(&format!(
        "create table {long_table} (\
           id serial primary key, \
           {long_column} int not null check ({long_column} > 0), \
           code text not null, low int not null, high int not null, \
           parent int not null references parents, \
           check (low < high), check (low >= 0), check (low >= 0 and low < 100), \
           unique ({long_column}, code), unique (code), unique (code), \
           foreign key (parent, code) references parents (id, code))"
    ));
    for index in [
        "(lower(code))",
        "(lower(code), upper(code))",
        "(code)",
        "(code)",
        "((low + high))",
        "((code::varchar))",
        &format!("({long_column}, code, low, high)"),
    ] {
        db.run(&format!("create index on {long_table} {index}"));
    }
    let catalog = lowered(&schema);
    assert_eq!(catalog_names(&catalog, "parents"), db.names("parents"));
    assert_eq!(catalog_names(&catalog, long_table), db.names(long_table));
    let sequence = db.run(&format!(
        "select pg_get_serial_sequence('{long_table}', 'id')"
    ));
    let default = db.run(&format!(
        "select pg_get_expr(adbin, adrelid) from pg_attrdef where adrelid = '{long_table}'::regclass"
    ));
    let table = catalog
        .table(&QualifiedName::public(long_table))
        .expect("table");
    assert_eq!(
        table.columns[0].default.as_deref(),
        Some(default.trim()),
        "sequence {sequence}"
    );
}

#[test]
fn tenancy_names_match_postgres() {
    let schema = "tenancy { root accounts }\ntable accounts {\n  id  uuid primary\n}\n\
                  tenant table users {\n  id  uuid primary\n}\n\
                  tenant table sessions {\n  id  uuid primary\n  user_id  uuid? references users on delete set null\n}\n";
    let db = Database::new("tenancy");
    db.run("create table accounts (id uuid primary key)");
    db.run(
        "create table users (id uuid primary key, \
           account_id uuid not null references accounts on delete cascade, unique (account_id, id))",
    );
    db.run(
        "create table sessions (id uuid primary key, \
           account_id uuid not null references accounts on delete cascade, user_id uuid, \
           foreign key (account_id, user_id) references users (account_id, id) on delete set null (user_id))",
    );
    db.run("create index on sessions (account_id)");
    let catalog = lowered(schema);
    for table in ["accounts", "users", "sessions"] {
        assert_eq!(catalog_names(&catalog, table), db.names(table), "{table}");
    }
}

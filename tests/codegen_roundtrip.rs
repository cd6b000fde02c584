//! Code generated from the fixture catalog, against a real PostgreSQL: `codegen/schema.sql` makes
//! the database, each table gets a fully populated row and a row with every nullable column NULL
//! (and every default left to the database), inserted by binding each field of the generated
//! `New*` struct and read back with `query_as::<_, Table>`; the rows must equal what went in.
//! Also: serde round-trips a row, with the column spellings as JSON keys.
//! The database is `DATABASE_URL`'s server (else 127.0.0.1:5432), in a database of its own.

#[allow(dead_code, unused_imports)]
#[path = "generated_fixture/mod.rs"]
mod generated_fixture;

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use generated_fixture::support::{Interval, Opaque};
use generated_fixture::*;
use ipnetwork::IpNetwork;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{Connection, Encode, FromRow, Postgres, QueryBuilder, Type};
use uuid::Uuid;

const SCHEMA_SQL: &str = include_str!("codegen/schema.sql");

fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// `admin_url` with its database replaced by `name`.
fn database_url(name: &str) -> String {
    let mut url = url::Url::parse(&admin_url()).expect("DATABASE_URL is a URL");
    url.set_path(name);
    url.to_string()
}

/// `INSERT INTO table (columns) VALUES (...) RETURNING *`, one bound value (or `DEFAULT`) per
/// column, in the order of the `New*` struct's `COLUMNS`.
struct Insert<'a> {
    builder: QueryBuilder<'a, Postgres>,
    values: usize,
    columns: usize,
}

impl<'a> Insert<'a> {
    fn into(sql_name: &str, columns: &[&str]) -> Insert<'a> {
        let quoted: Vec<String> = columns.iter().map(|c| schemac::sql::ident(c)).collect();
        let builder = QueryBuilder::new(format!(
            "INSERT INTO {sql_name} ({}) VALUES (",
            quoted.join(", ")
        ));
        Insert {
            builder,
            values: 0,
            columns: columns.len(),
        }
    }

    fn separate(&mut self) {
        if self.values > 0 {
            self.builder.push(", ");
        }
        self.values += 1;
    }

    /// A field without a default.
    fn value<T>(mut self, value: T) -> Self
    where
        T: 'a + Encode<'a, Postgres> + Type<Postgres>,
    {
        self.separate();
        self.builder.push_bind(value);
        self
    }

    /// A field of a column with a default: `None` is `DEFAULT`.
    fn or_default<T>(mut self, value: Option<T>) -> Self
    where
        T: 'a + Encode<'a, Postgres> + Type<Postgres>,
    {
        self.separate();
        match value {
            Some(value) => self.builder.push_bind(value),
            None => self.builder.push("DEFAULT"),
        };
        self
    }

    async fn returning<R>(mut self, conn: &mut PgConnection) -> R
    where
        R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    {
        assert_eq!(
            self.values, self.columns,
            "one value per column of the New struct"
        );
        self.builder.push(") RETURNING *");
        let sql = self.builder.sql().to_string();
        match self.builder.build_query_as::<R>().fetch_one(conn).await {
            Ok(row) => row,
            Err(error) => panic!("{sql}: {error}"),
        }
    }
}

/// Reads the row back by primary key with `query_as`.
async fn read_back<R, K>(conn: &mut PgConnection, sql_name: &str, key_column: &str, key: K) -> R
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    K: for<'q> Encode<'q, Postgres> + Type<Postgres> + Send,
{
    let sql = format!(
        "SELECT * FROM {sql_name} WHERE {} = $1",
        schemac::sql::ident(key_column)
    );
    match sqlx::query_as::<_, R>(&sql).bind(key).fetch_one(conn).await {
        Ok(row) => row,
        Err(error) => panic!("{sql}: {error}"),
    }
}

fn assert_serde_round_trip<T>(row: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let value = serde_json::to_value(row).unwrap();
    let back: T = serde_json::from_value(value).unwrap();
    assert_eq!(&back, row);
}

/// One value of every scalar type, as the scalar and nullable tables use them.
struct Samples {
    uuid: Uuid,
    text: String,
    varchar: String,
    varchar_unbounded: String,
    /// `char(4)` pads to 4 characters, so a 4-character value reads back unchanged.
    char: String,
    smallint: i16,
    integer: i32,
    bigint: i64,
    real: f32,
    double: f64,
    boolean: bool,
    numeric: Decimal,
    numeric_scaled: Decimal,
    date: NaiveDate,
    time: NaiveTime,
    timestamp: NaiveDateTime,
    timestamptz: DateTime<Utc>,
    interval: Interval,
    json: serde_json::Value,
    jsonb: serde_json::Value,
    bytea: Vec<u8>,
    inet: IpNetwork,
    cidr: IpNetwork,
    citext: String,
    permission: PermissionAction,
    /// `money` is an int8 count of cents in binary format: 12.34.
    money: Opaque,
    /// `point` is two float8s: (1.5, -2).
    point: Opaque,
}

fn samples() -> Samples {
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let time = NaiveTime::from_hms_micro_opt(13, 14, 15, 123_456).unwrap();
    let mut point = 1.5f64.to_be_bytes().to_vec();
    point.extend_from_slice(&(-2.0f64).to_be_bytes());
    Samples {
        uuid: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        text: "héllo, 'quoted' \"text\"".into(),
        varchar: "short".into(),
        varchar_unbounded: "unbounded".into(),
        char: "abcd".into(),
        smallint: -12,
        integer: 123_456,
        bigint: 9_000_000_000,
        real: 1.5,
        double: -2.25,
        boolean: true,
        numeric: Decimal::from_str("12345.6789").unwrap(),
        numeric_scaled: Decimal::from_str("12.34").unwrap(),
        date,
        time,
        timestamp: NaiveDateTime::new(date, time),
        timestamptz: NaiveDateTime::new(date, time).and_utc(),
        interval: Interval {
            months: 14,
            days: 3,
            microseconds: 4_000_001,
        },
        json: json!({"b": 1, "a": [true, null, "x"]}),
        jsonb: json!({"nested": {"k": [1.5, "v"]}}),
        bytea: vec![0, 1, 2, 255],
        inet: IpNetwork::from_str("192.168.1.10/24").unwrap(),
        cidr: IpNetwork::from_str("10.0.0.0/8").unwrap(),
        citext: "MiXeD Case".into(),
        permission: PermissionAction::Update,
        money: Opaque(1234i64.to_be_bytes().to_vec()),
        point: Opaque(point),
    }
}

/// Drops the test database when the test ends, also when it panics (from a thread of its own,
/// since `Drop` cannot await).
struct DropDatabase(String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let name = self.0.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url()).await?;
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) && !std::thread::panicking() {
            panic!("could not drop test database {}: {dropped:?}", self.0);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_models_round_trip_every_column_type() {
    let name = format!(
        "schemac_codegen_roundtrip_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut admin = PgConnection::connect(&admin_url())
        .await
        .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at {}: {e}", admin_url()));
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let _drop = DropDatabase(name.clone());
    round_trip(&database_url(&name)).await;
}

async fn round_trip(url: &str) {
    let mut conn = PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(SCHEMA_SQL).execute(&mut conn).await.unwrap();
    let s = samples();

    // accounts: the tenant root.
    let new_account = NewAccounts {
        id: None,
        name: "Acme".into(),
    };
    let account: Accounts = Insert::into(Accounts::SQL_NAME, NewAccounts::COLUMNS)
        .or_default(new_account.id)
        .value(new_account.name.clone())
        .returning(&mut conn)
        .await;
    assert_eq!(account.name, "Acme");
    assert_eq!(
        read_back::<Accounts, _>(&mut conn, Accounts::SQL_NAME, "id", account.id).await,
        account
    );

    scalar_values(&mut conn, &s, account.id).await;
    nullable_values(&mut conn, &s).await;
    array_values(&mut conn, &s).await;
    keyword_tables(&mut conn).await;
    audit_events(&mut conn).await;
}

async fn scalar_values(conn: &mut PgConnection, s: &Samples, account_id: Uuid) {
    let new = NewScalarValues {
        account_id,
        id: Some(100),
        uuid_value: s.uuid,
        text_value: s.text.clone(),
        varchar_value: s.varchar.clone(),
        varchar_unbounded_value: s.varchar_unbounded.clone(),
        char_value: s.char.clone(),
        smallint_value: s.smallint,
        integer_value: s.integer,
        bigint_value: s.bigint,
        real_value: s.real,
        double_value: s.double,
        boolean_value: s.boolean,
        numeric_value: s.numeric,
        numeric_scaled_value: s.numeric_scaled,
        date_value: s.date,
        time_value: s.time,
        timestamp_value: s.timestamp,
        timestamptz_value: s.timestamptz,
        interval_value: s.interval,
        json_value: s.json.clone(),
        jsonb_value: s.jsonb.clone(),
        bytea_value: s.bytea.clone(),
        inet_value: s.inet,
        cidr_value: s.cidr,
        citext_value: s.citext.clone(),
        enum_value: s.permission,
        money_value: s.money.clone(),
        point_value: s.point.clone(),
        state: Some(TicketState::WontShip),
        created_at: Some(s.timestamptz),
    };
    let expected =
        |new: &NewScalarValues, id: i64, state: TicketState, created_at: DateTime<Utc>| {
            ScalarValues {
                account_id: new.account_id,
                id,
                uuid_value: new.uuid_value,
                text_value: new.text_value.clone(),
                varchar_value: new.varchar_value.clone(),
                varchar_unbounded_value: new.varchar_unbounded_value.clone(),
                char_value: new.char_value.clone(),
                smallint_value: new.smallint_value,
                integer_value: new.integer_value,
                bigint_value: new.bigint_value,
                real_value: new.real_value,
                double_value: new.double_value,
                boolean_value: new.boolean_value,
                numeric_value: new.numeric_value,
                numeric_scaled_value: new.numeric_scaled_value,
                date_value: new.date_value,
                time_value: new.time_value,
                timestamp_value: new.timestamp_value,
                timestamptz_value: new.timestamptz_value,
                interval_value: new.interval_value,
                json_value: new.json_value.clone(),
                jsonb_value: new.jsonb_value.clone(),
                bytea_value: new.bytea_value.clone(),
                inet_value: new.inet_value,
                cidr_value: new.cidr_value,
                citext_value: new.citext_value.clone(),
                enum_value: new.enum_value,
                money_value: new.money_value.clone(),
                point_value: new.point_value.clone(),
                state,
                created_at,
                doubled: i64::from(new.integer_value) * 2,
            }
        };

    let inserted = insert_scalar(conn, &new).await;
    let want = expected(&new, 100, TicketState::WontShip, s.timestamptz);
    assert_eq!(inserted, want);
    assert_eq!(
        read_back::<ScalarValues, _>(conn, ScalarValues::SQL_NAME, "id", 100i64).await,
        want
    );
    assert_serde_round_trip(&want);
    assert_eq!(
        serde_json::to_value(want.state).unwrap(),
        json!("won't ship")
    );

    // Every default left to the database: the sequence starts at 1 (the explicit 100 did not
    // use it), `state` is 'open', `created_at` is now().
    let defaults = NewScalarValues {
        id: None,
        state: None,
        created_at: None,
        ..new
    };
    let inserted = insert_scalar(conn, &defaults).await;
    assert!(
        (Utc::now() - inserted.created_at).num_seconds().abs() < 60,
        "{inserted:?}"
    );
    assert_eq!(
        inserted,
        expected(&defaults, 1, TicketState::Open, inserted.created_at)
    );
    assert_eq!(
        read_back::<ScalarValues, _>(conn, ScalarValues::SQL_NAME, "id", 1i64).await,
        inserted
    );
}

async fn insert_scalar(conn: &mut PgConnection, new: &NewScalarValues) -> ScalarValues {
    let new = new.clone();
    Insert::into(ScalarValues::SQL_NAME, NewScalarValues::COLUMNS)
        .value(new.account_id)
        .or_default(new.id)
        .value(new.uuid_value)
        .value(new.text_value)
        .value(new.varchar_value)
        .value(new.varchar_unbounded_value)
        .value(new.char_value)
        .value(new.smallint_value)
        .value(new.integer_value)
        .value(new.bigint_value)
        .value(new.real_value)
        .value(new.double_value)
        .value(new.boolean_value)
        .value(new.numeric_value)
        .value(new.numeric_scaled_value)
        .value(new.date_value)
        .value(new.time_value)
        .value(new.timestamp_value)
        .value(new.timestamptz_value)
        .value(new.interval_value)
        .value(new.json_value)
        .value(new.jsonb_value)
        .value(new.bytea_value)
        .value(new.inet_value)
        .value(new.cidr_value)
        .value(new.citext_value)
        .value(new.enum_value)
        .value(new.money_value)
        .value(new.point_value)
        .or_default(new.state)
        .or_default(new.created_at)
        .returning(conn)
        .await
}

async fn nullable_values(conn: &mut PgConnection, s: &Samples) {
    let full = NewNullableValues {
        id: Some(50),
        uuid_value: Some(s.uuid),
        text_value: Some(s.text.clone()),
        varchar_value: Some(s.varchar.clone()),
        varchar_unbounded_value: Some(s.varchar_unbounded.clone()),
        char_value: Some(s.char.clone()),
        smallint_value: Some(s.smallint),
        integer_value: Some(s.integer),
        bigint_value: Some(s.bigint),
        real_value: Some(s.real),
        double_value: Some(s.double),
        boolean_value: Some(s.boolean),
        numeric_value: Some(s.numeric),
        numeric_scaled_value: Some(s.numeric_scaled),
        date_value: Some(s.date),
        time_value: Some(s.time),
        timestamp_value: Some(s.timestamp),
        timestamptz_value: Some(s.timestamptz),
        interval_value: Some(s.interval),
        json_value: Some(s.json.clone()),
        jsonb_value: Some(s.jsonb.clone()),
        bytea_value: Some(s.bytea.clone()),
        inet_value: Some(s.inet),
        cidr_value: Some(s.cidr),
        citext_value: Some(s.citext.clone()),
        enum_value: Some(s.permission),
        money_value: Some(s.money.clone()),
        point_value: Some(s.point.clone()),
        note: Some(Some("a note".into())),
    };
    let nulls = NewNullableValues {
        id: None,
        uuid_value: None,
        text_value: None,
        varchar_value: None,
        varchar_unbounded_value: None,
        char_value: None,
        smallint_value: None,
        integer_value: None,
        bigint_value: None,
        real_value: None,
        double_value: None,
        boolean_value: None,
        numeric_value: None,
        numeric_scaled_value: None,
        date_value: None,
        time_value: None,
        timestamp_value: None,
        timestamptz_value: None,
        interval_value: None,
        json_value: None,
        jsonb_value: None,
        bytea_value: None,
        inet_value: None,
        cidr_value: None,
        citext_value: None,
        enum_value: None,
        money_value: None,
        point_value: None,
        // NULL, not the default.
        note: Some(None),
    };
    let expected = |new: &NewNullableValues, id: i32, note: Option<String>| NullableValues {
        id,
        uuid_value: new.uuid_value,
        text_value: new.text_value.clone(),
        varchar_value: new.varchar_value.clone(),
        varchar_unbounded_value: new.varchar_unbounded_value.clone(),
        char_value: new.char_value.clone(),
        smallint_value: new.smallint_value,
        integer_value: new.integer_value,
        bigint_value: new.bigint_value,
        real_value: new.real_value,
        double_value: new.double_value,
        boolean_value: new.boolean_value,
        numeric_value: new.numeric_value,
        numeric_scaled_value: new.numeric_scaled_value,
        date_value: new.date_value,
        time_value: new.time_value,
        timestamp_value: new.timestamp_value,
        timestamptz_value: new.timestamptz_value,
        interval_value: new.interval_value,
        json_value: new.json_value.clone(),
        jsonb_value: new.jsonb_value.clone(),
        bytea_value: new.bytea_value.clone(),
        inet_value: new.inet_value,
        cidr_value: new.cidr_value,
        citext_value: new.citext_value.clone(),
        enum_value: new.enum_value,
        money_value: new.money_value.clone(),
        point_value: new.point_value.clone(),
        note,
        text_length: new
            .text_value
            .as_ref()
            .map(|text| text.chars().count() as i32),
    };

    let want = expected(&full, 50, Some("a note".into()));
    assert_eq!(insert_nullable(conn, &full).await, want);
    assert_eq!(
        read_back::<NullableValues, _>(conn, NullableValues::SQL_NAME, "id", 50).await,
        want
    );
    assert_serde_round_trip(&want);

    let want = expected(&nulls, 1, None);
    assert_eq!(insert_nullable(conn, &nulls).await, want);
    assert_eq!(
        read_back::<NullableValues, _>(conn, NullableValues::SQL_NAME, "id", 1).await,
        want
    );
    assert_serde_round_trip(&want);

    // `None` for a nullable column with a default is the default, not NULL.
    let default_note = NewNullableValues {
        id: Some(51),
        note: None,
        ..nulls
    };
    assert_eq!(
        insert_nullable(conn, &default_note).await.note.as_deref(),
        Some("hello")
    );
}

async fn insert_nullable(conn: &mut PgConnection, new: &NewNullableValues) -> NullableValues {
    let new = new.clone();
    Insert::into(NullableValues::SQL_NAME, NewNullableValues::COLUMNS)
        .or_default(new.id)
        .value(new.uuid_value)
        .value(new.text_value)
        .value(new.varchar_value)
        .value(new.varchar_unbounded_value)
        .value(new.char_value)
        .value(new.smallint_value)
        .value(new.integer_value)
        .value(new.bigint_value)
        .value(new.real_value)
        .value(new.double_value)
        .value(new.boolean_value)
        .value(new.numeric_value)
        .value(new.numeric_scaled_value)
        .value(new.date_value)
        .value(new.time_value)
        .value(new.timestamp_value)
        .value(new.timestamptz_value)
        .value(new.interval_value)
        .value(new.json_value)
        .value(new.jsonb_value)
        .value(new.bytea_value)
        .value(new.inet_value)
        .value(new.cidr_value)
        .value(new.citext_value)
        .value(new.enum_value)
        .value(new.money_value)
        .value(new.point_value)
        .or_default(new.note)
        .returning(conn)
        .await
}

async fn array_values(conn: &mut PgConnection, s: &Samples) {
    // A money[] value in binary form comes from the server; it must bind back as it came.
    let money_array: Opaque = sqlx::query_scalar("SELECT ARRAY['1.00'::money, '2.50']")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let full = NewArrayValues {
        id: 1,
        uuid_values: Some(vec![s.uuid, Uuid::nil()]),
        text_values: Some(vec![s.text.clone(), String::new()]),
        varchar_values: Some(vec![s.varchar.clone(), "b".into()]),
        varchar_unbounded_values: Some(vec![s.varchar_unbounded.clone()]),
        char_values: Some(vec![s.char.clone(), "wxyz".into()]),
        smallint_values: Some(vec![s.smallint, i16::MAX]),
        integer_values: Some(vec![s.integer, i32::MIN]),
        bigint_values: Some(vec![s.bigint, -1]),
        real_values: Some(vec![s.real, 0.25]),
        double_values: Some(vec![s.double, 1e300]),
        boolean_values: Some(vec![true, false]),
        numeric_values: Some(vec![s.numeric, Decimal::from_str("-0.001").unwrap()]),
        numeric_scaled_values: Some(vec![s.numeric_scaled]),
        date_values: Some(vec![s.date]),
        time_values: Some(vec![s.time]),
        timestamp_values: Some(vec![s.timestamp]),
        timestamptz_values: Some(vec![s.timestamptz]),
        interval_values: Some(vec![
            s.interval,
            Interval {
                months: -1,
                days: 0,
                microseconds: 0,
            },
        ]),
        json_values: Some(vec![s.json.clone(), json!(null)]),
        jsonb_values: Some(vec![s.jsonb.clone(), json!([1, 2])]),
        bytea_values: Some(vec![s.bytea.clone(), Vec::new()]),
        inet_values: Some(vec![s.inet, IpNetwork::from_str("2001:db8::1/64").unwrap()]),
        cidr_values: Some(vec![s.cidr, IpNetwork::from_str("2001:db8::/32").unwrap()]),
        citext_values: Some(vec![s.citext.clone(), "Other".into()]),
        enum_values: Some(PermissionAction::ALL.to_vec()),
        money_values: Some(money_array),
        state_values: Some(TicketState::ALL.to_vec()),
        tags: Some(vec!["a".into(), "b".into()]),
    };
    let nulls = NewArrayValues {
        id: 2,
        uuid_values: None,
        text_values: None,
        varchar_values: None,
        varchar_unbounded_values: None,
        char_values: None,
        smallint_values: None,
        integer_values: None,
        bigint_values: None,
        real_values: None,
        double_values: None,
        boolean_values: None,
        numeric_values: None,
        numeric_scaled_values: None,
        date_values: None,
        time_values: None,
        timestamp_values: None,
        timestamptz_values: None,
        interval_values: None,
        json_values: None,
        jsonb_values: None,
        bytea_values: None,
        inet_values: None,
        cidr_values: None,
        citext_values: None,
        enum_values: None,
        money_values: None,
        state_values: None,
        tags: None,
    };
    let expected = |new: &NewArrayValues| ArrayValues {
        id: new.id,
        uuid_values: new.uuid_values.clone(),
        text_values: new.text_values.clone(),
        varchar_values: new.varchar_values.clone(),
        varchar_unbounded_values: new.varchar_unbounded_values.clone(),
        char_values: new.char_values.clone(),
        smallint_values: new.smallint_values.clone(),
        integer_values: new.integer_values.clone(),
        bigint_values: new.bigint_values.clone(),
        real_values: new.real_values.clone(),
        double_values: new.double_values.clone(),
        boolean_values: new.boolean_values.clone(),
        numeric_values: new.numeric_values.clone(),
        numeric_scaled_values: new.numeric_scaled_values.clone(),
        date_values: new.date_values.clone(),
        time_values: new.time_values.clone(),
        timestamp_values: new.timestamp_values.clone(),
        timestamptz_values: new.timestamptz_values.clone(),
        interval_values: new.interval_values.clone(),
        json_values: new.json_values.clone(),
        jsonb_values: new.jsonb_values.clone(),
        bytea_values: new.bytea_values.clone(),
        inet_values: new.inet_values.clone(),
        cidr_values: new.cidr_values.clone(),
        citext_values: new.citext_values.clone(),
        enum_values: new.enum_values.clone(),
        money_values: new.money_values.clone(),
        state_values: new.state_values.clone(),
        // The column default is an empty array.
        tags: new.tags.clone().unwrap_or_default(),
    };
    for new in [full, nulls] {
        let want = expected(&new);
        assert_eq!(insert_array(conn, &new).await, want);
        assert_eq!(
            read_back::<ArrayValues, _>(conn, ArrayValues::SQL_NAME, "id", new.id).await,
            want
        );
        assert_serde_round_trip(&want);
    }
    let money_text: String =
        sqlx::query_scalar("SELECT money_values::text FROM array_values WHERE id = 1")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(money_text, "{$1.00,$2.50}");
}

async fn insert_array(conn: &mut PgConnection, new: &NewArrayValues) -> ArrayValues {
    let new = new.clone();
    Insert::into(ArrayValues::SQL_NAME, NewArrayValues::COLUMNS)
        .value(new.id)
        .value(new.uuid_values)
        .value(new.text_values)
        .value(new.varchar_values)
        .value(new.varchar_unbounded_values)
        .value(new.char_values)
        .value(new.smallint_values)
        .value(new.integer_values)
        .value(new.bigint_values)
        .value(new.real_values)
        .value(new.double_values)
        .value(new.boolean_values)
        .value(new.numeric_values)
        .value(new.numeric_scaled_values)
        .value(new.date_values)
        .value(new.time_values)
        .value(new.timestamp_values)
        .value(new.timestamptz_values)
        .value(new.interval_values)
        .value(new.json_values)
        .value(new.jsonb_values)
        .value(new.bytea_values)
        .value(new.inet_values)
        .value(new.cidr_values)
        .value(new.citext_values)
        .value(new.enum_values)
        .value(new.money_values)
        .value(new.state_values)
        .or_default(new.tags)
        .returning(conn)
        .await
}

async fn keyword_tables(conn: &mut PgConnection) {
    let full = NewMatch2 {
        id: 1,
        r#type: "kind".into(),
        self_: 7,
        self_2: Some("Upper".into()),
        crate_: Some(true),
        r#fn: Some("function".into()),
        // `userId` gets the suffixed field: `user_id` fits the column `user_id` exactly.
        user_id_2: "camel".into(),
        user_id: "snake".into(),
    };
    let nulls = NewMatch2 {
        id: 2,
        self_2: None,
        crate_: None,
        r#fn: None,
        ..full.clone()
    };
    for new in [full, nulls] {
        let inserted: Match = Insert::into(Match::SQL_NAME, NewMatch2::COLUMNS)
            .value(new.id)
            .value(new.r#type.clone())
            .value(new.self_)
            .value(new.self_2.clone())
            .value(new.crate_)
            .value(new.r#fn.clone())
            .value(new.user_id_2.clone())
            .value(new.user_id.clone())
            .returning(conn)
            .await;
        let want = Match {
            id: new.id,
            r#type: new.r#type,
            self_: new.self_,
            self_2: new.self_2,
            crate_: new.crate_,
            r#fn: new.r#fn,
            user_id: new.user_id,
            user_id_2: new.user_id_2,
        };
        assert_eq!(inserted, want);
        assert_eq!(
            read_back::<Match, _>(conn, Match::SQL_NAME, "id", new.id).await,
            want
        );
        assert_serde_round_trip(&want);
    }
    let keys: Vec<String> =
        match serde_json::to_value(read_back::<Match, _>(conn, Match::SQL_NAME, "id", 1).await)
            .unwrap()
        {
            serde_json::Value::Object(map) => map.keys().cloned().collect(),
            other => panic!("not an object: {other}"),
        };
    let mut columns: Vec<String> = Match::COLUMNS.iter().map(|c| c.to_string()).collect();
    columns.sort();
    assert_eq!(keys, columns, "JSON keys are the column names");

    let new_match: NewMatch = Insert::into(NewMatch::SQL_NAME, NewNewMatch::COLUMNS)
        .value(5)
        .returning(conn)
        .await;
    assert_eq!(new_match, NewMatch { id: 5 });

    for value in [Some("v".to_string()), None] {
        let new = NewOption2 {
            id: if value.is_some() { 1 } else { 2 },
            value,
        };
        let inserted: Option2 = Insert::into(Option2::SQL_NAME, NewOption2::COLUMNS)
            .value(new.id)
            .value(new.value.clone())
            .returning(conn)
            .await;
        assert_eq!(
            inserted,
            Option2 {
                id: new.id,
                value: new.value
            }
        );
    }
}

async fn audit_events(conn: &mut PgConnection) {
    let id = Uuid::from_u128(7);
    let full = NewAuditEvents {
        id: Some(id),
        level: AuditLevel::Warn,
        levels: Some(vec![AuditLevel::Debug, AuditLevel::Warn]),
        payload: Some(json!({"who": "me"})),
    };
    let inserted: AuditEvents = insert_event(conn, &full).await;
    let want = AuditEvents {
        id,
        level: AuditLevel::Warn,
        levels: vec![AuditLevel::Debug, AuditLevel::Warn],
        payload: Some(json!({"who": "me"})),
    };
    assert_eq!(inserted, want);
    assert_eq!(
        read_back::<AuditEvents, _>(conn, AuditEvents::SQL_NAME, "id", id).await,
        want
    );
    assert_serde_round_trip(&want);

    let nulls = NewAuditEvents {
        id: None,
        level: AuditLevel::Info,
        levels: None,
        payload: None,
    };
    let inserted = insert_event(conn, &nulls).await;
    assert_ne!(inserted.id, id);
    let want = AuditEvents {
        id: inserted.id,
        level: AuditLevel::Info,
        levels: Vec::new(),
        payload: None,
    };
    assert_eq!(inserted, want);
    assert_eq!(
        read_back::<AuditEvents, _>(conn, AuditEvents::SQL_NAME, "id", want.id).await,
        want
    );
}

async fn insert_event(conn: &mut PgConnection, new: &NewAuditEvents) -> AuditEvents {
    let new = new.clone();
    Insert::into(AuditEvents::SQL_NAME, NewAuditEvents::COLUMNS)
        .or_default(new.id)
        .value(new.level)
        .or_default(new.levels)
        .value(new.payload)
        .returning(conn)
        .await
}

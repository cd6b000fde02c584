//! Code generated from the fixture catalog, against a real PostgreSQL: `codegen/schema.sql` makes
//! the database (a `TestDb` of its own), each table gets a fully populated row and a row with every
//! nullable column NULL (and every default left to the database), inserted with the generated
//! `New*::insert` and read back with `query_as::<_, Table>`; the rows must equal what went in.
//! Also: serde round-trips a row, with the column spellings as JSON keys, and `insert_sql` names a
//! defaulted column only when its field is set.

mod support;

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
use sqlx::{Encode, FromRow, Postgres, Type};
use support::TestDb;
use uuid::Uuid;

const SCHEMA_SQL: &str = include_str!("codegen/schema.sql");

/// Inserts `$new` (a `New*` value) with its generated `insert` on `$conn` and returns the row as
/// stored; panics with the statement when the database refuses it.
macro_rules! insert {
    ($conn:expr, $new:expr) => {{
        let new = &$new;
        match new.insert(&mut *$conn).await {
            Ok(row) => row,
            Err(error) => panic!("{}: {error}", new.insert_sql()),
        }
    }};
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

#[tokio::test(flavor = "multi_thread")]
async fn generated_models_round_trip_every_column_type() {
    let db = TestDb::new().await;
    db.execute(SCHEMA_SQL).await;
    let mut conn = db.connect().await;
    round_trip(&mut conn).await;
}

async fn round_trip(conn: &mut PgConnection) {
    let s = samples();

    // accounts: the tenant root.
    let new_account = NewAccount {
        id: None,
        name: "Acme".into(),
    };
    assert_eq!(
        new_account.insert_sql(),
        "INSERT INTO public.accounts (name) VALUES ($1)",
        "a defaulted column is named only when its field is set"
    );
    let account: Account = insert!(conn, new_account);
    assert_eq!(account.name, "Acme");
    assert_eq!(
        read_back::<Account, _>(conn, Account::SQL_NAME, "id", account.id).await,
        account
    );

    scalar_values(conn, &s, account.id).await;
    nullable_values(conn, &s).await;
    array_values(conn, &s).await;
    keyword_tables(conn).await;
    audit_events(conn).await;
    empty_table(conn).await;
}

async fn scalar_values(conn: &mut PgConnection, s: &Samples, account_id: Uuid) {
    let new = NewScalarValue {
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
        |new: &NewScalarValue, id: i64, state: TicketState, created_at: DateTime<Utc>| {
            ScalarValue {
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
        read_back::<ScalarValue, _>(conn, ScalarValue::SQL_NAME, "id", 100i64).await,
        want
    );
    assert_serde_round_trip(&want);
    assert_eq!(
        serde_json::to_value(want.state).unwrap(),
        json!("won't ship")
    );

    // Every default left to the database: the sequence starts at 1 (the explicit 100 did not
    // use it), `state` is 'open', `created_at` is now().
    let defaults = NewScalarValue {
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
        read_back::<ScalarValue, _>(conn, ScalarValue::SQL_NAME, "id", 1i64).await,
        inserted
    );
}

async fn insert_scalar(conn: &mut PgConnection, new: &NewScalarValue) -> ScalarValue {
    insert!(conn, new)
}

async fn nullable_values(conn: &mut PgConnection, s: &Samples) {
    let full = NewNullableValue {
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
    let nulls = NewNullableValue {
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
    let expected = |new: &NewNullableValue, id: i32, note: Option<String>| NullableValue {
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
        read_back::<NullableValue, _>(conn, NullableValue::SQL_NAME, "id", 50).await,
        want
    );
    assert_serde_round_trip(&want);

    let want = expected(&nulls, 1, None);
    assert_eq!(insert_nullable(conn, &nulls).await, want);
    assert_eq!(
        read_back::<NullableValue, _>(conn, NullableValue::SQL_NAME, "id", 1).await,
        want
    );
    assert_serde_round_trip(&want);

    // `None` for a nullable column with a default is the default, not NULL.
    let default_note = NewNullableValue {
        id: Some(51),
        note: None,
        ..nulls
    };
    assert_eq!(
        insert_nullable(conn, &default_note).await.note.as_deref(),
        Some("hello")
    );
}

async fn insert_nullable(conn: &mut PgConnection, new: &NewNullableValue) -> NullableValue {
    insert!(conn, new)
}

async fn array_values(conn: &mut PgConnection, s: &Samples) {
    // A money[] value in binary form comes from the server; it must bind back as it came.
    let money_array: Opaque = sqlx::query_scalar("SELECT ARRAY['1.00'::money, '2.50']")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let full = NewArrayValue {
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
    let nulls = NewArrayValue {
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
    let expected = |new: &NewArrayValue| ArrayValue {
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
            read_back::<ArrayValue, _>(conn, ArrayValue::SQL_NAME, "id", new.id).await,
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

async fn insert_array(conn: &mut PgConnection, new: &NewArrayValue) -> ArrayValue {
    insert!(conn, new)
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
        let inserted: Match = insert!(conn, new);
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
    // `COLUMNS` is quoted for SQL where a name needs it (`"userId"`, `"Self"`).
    assert!(
        Match::COLUMNS.contains(&"\"userId\""),
        "{:?}",
        Match::COLUMNS
    );
    let mut columns: Vec<String> = Match::COLUMNS
        .iter()
        .map(|c| c.trim_matches('"').to_string())
        .collect();
    columns.sort();
    assert_eq!(keys, columns, "JSON keys are the column names");

    let new_match: NewMatch = insert!(conn, NewNewMatch { id: 5 });
    assert_eq!(new_match, NewMatch { id: 5 });

    for value in [Some("v".to_string()), None] {
        let new = NewOption2 {
            id: if value.is_some() { 1 } else { 2 },
            value,
        };
        let inserted: Option2 = insert!(conn, new);
        assert_eq!(
            inserted,
            Option2 {
                id: new.id,
                value: new.value
            }
        );
    }
}

async fn empty_table(conn: &mut PgConnection) {
    assert_eq!(
        NewEmptyTable {}.insert_sql(),
        "INSERT INTO public.empty_table DEFAULT VALUES"
    );
    assert_eq!(insert!(conn, NewEmptyTable {}), EmptyTable {});
    let sql = format!("SELECT * FROM {}", EmptyTable::SQL_NAME);
    let rows: Vec<EmptyTable> = sqlx::query_as(&sql).fetch_all(&mut *conn).await.unwrap();
    assert_eq!(rows, [EmptyTable {}]);
}

async fn audit_events(conn: &mut PgConnection) {
    let id = Uuid::from_u128(7);
    let full = NewAuditEvent {
        id: Some(id),
        level: AuditLevel::Warn,
        levels: Some(vec![AuditLevel::Debug, AuditLevel::Warn]),
        payload: Some(json!({"who": "me"})),
    };
    let inserted: AuditEvent = insert_event(conn, &full).await;
    let want = AuditEvent {
        id,
        level: AuditLevel::Warn,
        levels: vec![AuditLevel::Debug, AuditLevel::Warn],
        payload: Some(json!({"who": "me"})),
    };
    assert_eq!(inserted, want);
    assert_eq!(
        read_back::<AuditEvent, _>(conn, AuditEvent::SQL_NAME, "id", id).await,
        want
    );
    assert_serde_round_trip(&want);

    let nulls = NewAuditEvent {
        id: None,
        level: AuditLevel::Info,
        levels: None,
        payload: None,
    };
    let inserted = insert_event(conn, &nulls).await;
    assert_ne!(inserted.id, id);
    let want = AuditEvent {
        id: inserted.id,
        level: AuditLevel::Info,
        levels: Vec::new(),
        payload: None,
    };
    assert_eq!(inserted, want);
    assert_eq!(
        read_back::<AuditEvent, _>(conn, AuditEvent::SQL_NAME, "id", want.id).await,
        want
    );
}

async fn insert_event(conn: &mut PgConnection, new: &NewAuditEvent) -> AuditEvent {
    insert!(conn, new)
}

//! GraphQL at `/graphql`, end to end over HTTP against a real server, on SQLite and
//! PostgreSQL: the same capabilities, public fields and error codes as REST.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use convene_tests::{Answer, DEMO_KEY, TestApp, next, on_both_databases};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Posts `{query, variables}` to `/graphql`, with `key` as the bearer when given.
async fn gql(app: &TestApp, key: Option<&str>, query: &str, variables: Value) -> Answer {
    let body = json!({ "query": query, "variables": variables });
    let request = app.request(Method::POST, "/graphql", Some(body));
    let request = match key {
        Some(key) => request.bearer_auth(key),
        None => request,
    };
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    answer
}

/// As the demo host.
async fn host(app: &TestApp, query: &str, variables: Value) -> Answer {
    gql(app, Some(DEMO_KEY), query, variables).await
}

/// As an invitee, without a key.
async fn anonymous(app: &TestApp, query: &str, variables: Value) -> Answer {
    gql(app, None, query, variables).await
}

/// The answer's data, after checking it has no errors.
fn data(answer: &Answer) -> &Value {
    assert!(
        answer.body.get("errors").is_none(),
        "unexpected errors: {:#}",
        answer.body
    );
    answer.data()
}

/// `extensions.code` of the only error.
fn error_code(answer: &Answer) -> &str {
    let errors = answer.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected errors: {:#}", answer.body));
    assert_eq!(errors.len(), 1, "{:#}", answer.body);
    errors[0]["extensions"]["code"].as_str().unwrap_or_default()
}

/// The fields named in the only error's `extensions.details`.
fn error_fields(answer: &Answer) -> Vec<String> {
    answer.body["errors"][0]["extensions"]["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|x| x["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Walks list field `field` (after arguments `args`, e.g. `id: "3", `) two items a page,
/// passing `nextCursor` back until `hasMore` is false; answers every item's id in the
/// order served and how many pages that took.
async fn walk(app: &TestApp, field: &str, args: &str) -> (Vec<String>, usize) {
    let query = format!(
        "query P($cursor: String) {{ {field}({args}limit: 2, cursor: $cursor) {{ items {{ id }} nextCursor hasMore }} }}"
    );
    let mut ids = Vec::new();
    let mut cursor = Value::Null;
    for pages in 1..=20 {
        let answer = host(app, &query, json!({ "cursor": cursor })).await;
        let page = &data(&answer)[field];
        let items = page["items"].as_array().expect("items");
        ids.extend(
            items
                .iter()
                .map(|i| i["id"].as_str().expect("an ID").to_string()),
        );
        if page["hasMore"] == false {
            assert!(page["nextCursor"].is_null(), "{page}");
            return (ids, pages);
        }
        assert_eq!(items.len(), 2, "only the last page may be short: {page}");
        cursor = page["nextCursor"].clone();
        assert!(cursor.is_string(), "a cursor while hasMore: {page}");
    }
    panic!("{field} still had more after 20 pages");
}

/// Every item id of list field `field` (after arguments `args`) on one default page.
async fn all_ids(app: &TestApp, field: &str, args: &str) -> Vec<String> {
    let args = if args.is_empty() {
        String::new()
    } else {
        format!("({args})")
    };
    let answer = host(
        app,
        &format!("{{ {field}{args} {{ items {{ id }} hasMore }} }}"),
        json!({}),
    )
    .await;
    let page = &data(&answer)[field];
    assert_eq!(page["hasMore"], false, "{page}");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("an ID").to_string())
        .collect()
}

/// List field `field` refuses a limit outside 1–250 and a cursor it never gave out,
/// naming the argument.
async fn assert_page_args_are_checked(app: &TestApp, field: &str, args: &str) {
    let query = format!(
        "query P($cursor: String, $limit: Int) {{ {field}({args}limit: $limit, cursor: $cursor) {{ hasMore }} }}"
    );
    for (variables, name) in [
        (json!({ "limit": 0 }), "limit"),
        (json!({ "limit": 251 }), "limit"),
        (json!({ "cursor": "junk" }), "cursor"),
    ] {
        let answer = host(app, &query, variables.clone()).await;
        assert_eq!(
            error_code(&answer),
            "VALIDATION_ERROR",
            "{field} {variables}"
        );
        assert_eq!(error_fields(&answer), [name], "{field} {variables}");
    }
}

fn instant(s: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s.as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{s} is not an ISO instant: {e}"))
        .with_timezone(&Utc)
}

/// Berlin's UTC offset on `date` (a weekday, so never a switch day): CEST from the last
/// Sunday of March to the last Sunday of October, CET otherwise.
fn berlin_offset(date: NaiveDate) -> &'static str {
    let last_sunday = |month: u32| {
        let mut day =
            NaiveDate::from_ymd_opt(date.year(), month + 1, 1).expect("a date") - Duration::days(1);
        while day.weekday() != Weekday::Sun {
            day -= Duration::days(1);
        }
        day
    };
    if date > last_sunday(3) && date < last_sunday(10) {
        "+02:00"
    } else {
        "+01:00"
    }
}

const SLOTS: &str = "query Slots($id: ID, $username: String, $slug: String, $start: String!, \
    $end: String!, $tz: String) {
  slots(eventTypeId: $id, username: $username, eventTypeSlug: $slug, start: $start, end: $end,
        timeZone: $tz) { date slots { start end } }
}";

const BOOKING_FIELDS: &str = "id uid status start end duration title location meetingUrl \
    eventTypeId eventType { id slug } hosts { id username timeZone } \
    attendees { name email timeZone } metadata cancellationReason rescheduledFromUid \
    rescheduledToUid";

fn create_booking() -> String {
    format!(
        "mutation Book($input: CreateBookingInput!) {{ createBooking(input: $input) {{ {BOOKING_FIELDS} }} }}"
    )
}

/// The Berlin-zone slot starts of the demo host's `slug` on `date`.
async fn slot_starts(app: &TestApp, slug: &str, date: NaiveDate) -> Vec<String> {
    let day = date.to_string();
    let answer = anonymous(
        app,
        SLOTS,
        json!({ "username": "demo", "slug": slug, "start": day, "end": day, "tz": "Europe/Berlin" }),
    )
    .await;
    data(&answer)["slots"]
        .as_array()
        .and_then(|days| days.first())
        .and_then(|d| d["slots"].as_array())
        .map(|slots| {
            slots
                .iter()
                .filter_map(|s| s["start"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn invitee(start: &str, event_type_id: Value, email: &str) -> Value {
    json!({ "input": {
        "start": start,
        "eventTypeId": event_type_id,
        "attendee": { "name": "Ines Invitee", "email": email, "timeZone": "Europe/Lisbon" },
        "metadata": { "source": "graphql-test" },
    }})
}

on_both_databases! {
    async fn me_answers_the_demo_host(app: TestApp) {
        let answer = host(
            &app,
            "{ me { id username email name timeZone organizationId defaultScheduleId } }",
            json!({}),
        )
        .await;
        let me = &data(&answer)["me"];
        assert_eq!(me["username"], "demo");
        assert_eq!(me["email"], "demo@convene.example");
        assert_eq!(me["timeZone"], "Europe/Berlin");
        // Ids are GraphQL IDs: strings holding the row id REST shows as a number.
        let rest = app.get("/v2/me").await;
        assert_eq!(me["id"], json!(rest.data()["id"].to_string()));
        assert_eq!(
            me["organizationId"],
            json!(rest.data()["organizationId"].to_string())
        );
        assert!(me["defaultScheduleId"].is_string(), "{me}");
    }

    async fn created_event_type_can_be_queried(app: TestApp) {
        let created = host(
            &app,
            "mutation Create($input: EventTypeInput!) {
               createEventType(input: $input) {
                 id title slug lengthInMinutes lengthInMinutesOptions beforeEventBuffer
                 bookingLimitsCount { day week disabled } bookingWindow { type value disabled }
                 locations requiresConfirmation createdAt
               }
             }",
            json!({ "input": {
                "title": "Quarterly review",
                "slug": "qbr",
                "lengthInMinutes": 45,
                "lengthInMinutesOptions": [45, 90],
                "beforeEventBuffer": 10,
                "bookingLimitsCount": { "day": 2 },
                "bookingWindow": { "type": "calendarDays", "value": 30 },
                "locations": [{ "type": "link", "link": "https://meet.example/qbr" }],
            }}),
        )
        .await;
        let e = data(&created)["createEventType"].clone();
        let id = e["id"].as_str().expect("an ID string").to_string();
        assert_eq!(e["slug"], "qbr");
        assert_eq!(e["lengthInMinutes"], 45);
        assert_eq!(e["lengthInMinutesOptions"], json!([45, 90]));
        assert_eq!(e["beforeEventBuffer"], 10);
        assert_eq!(e["bookingLimitsCount"], json!({ "day": 2, "week": null, "disabled": false }));
        assert_eq!(
            e["bookingWindow"],
            json!({ "type": "calendarDays", "value": 30, "disabled": false })
        );
        assert_eq!(
            e["locations"],
            json!([{ "type": "link", "link": "https://meet.example/qbr", "public": false }])
        );
        assert!(e["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{e}");

        let fetched = host(
            &app,
            "query One($id: ID!) { eventType(id: $id) { id title slug lengthInMinutes } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            data(&fetched)["eventType"],
            json!({ "id": id, "title": "Quarterly review", "slug": "qbr", "lengthInMinutes": 45 })
        );

        let all = host(&app, "{ eventTypes { items { slug } hasMore } }", json!({})).await;
        assert_eq!(data(&all)["eventTypes"]["hasMore"], false);
        let slugs: Vec<&str> = data(&all)["eventTypes"]["items"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|e| e["slug"].as_str())
            .collect();
        assert_eq!(slugs.len(), 3, "{slugs:?}");
        for slug in ["30min", "60min", "qbr"] {
            assert!(slugs.contains(&slug), "{slug} missing from {slugs:?}");
        }

        // The booking page's view needs no key.
        let public = anonymous(
            &app,
            "{ publicEventType(username: \"demo\", slug: \"qbr\") { id title } }",
            json!({}),
        )
        .await;
        assert_eq!(data(&public)["publicEventType"]["id"], json!(id));

        // The same slug again is a conflict; a bad field is named.
        let again = host(
            &app,
            "mutation { createEventType(input: {title: \"Again\", slug: \"qbr\", lengthInMinutes: 30}) { id } }",
            json!({}),
        )
        .await;
        assert_eq!(error_code(&again), "CONFLICT");
        assert!(again.data().is_null(), "{:#}", again.body);
        let bad = host(
            &app,
            "mutation U($id: ID!) { updateEventType(id: $id, input: {lengthInMinutes: 0}) { id } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(error_code(&bad), "VALIDATION_ERROR");
        assert_eq!(error_fields(&bad), ["lengthInMinutes"]);

        let updated = host(
            &app,
            "mutation U($id: ID!) { updateEventType(id: $id, input: {title: \"QBR\"}) { title lengthInMinutes } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            data(&updated)["updateEventType"],
            json!({ "title": "QBR", "lengthInMinutes": 45 })
        );

        let deleted = host(
            &app,
            "mutation D($id: ID!) { deleteEventType(id: $id) }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(data(&deleted)["deleteEventType"], json!(id));
        let gone = host(
            &app,
            "query One($id: ID!) { eventType(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(error_code(&gone), "NOT_FOUND");
        let junk = host(&app, "{ eventType(id: \"abc\") { id } }", json!({})).await;
        assert_eq!(error_code(&junk), "NOT_FOUND");
    }

    async fn slots_are_grouped_by_day_in_the_requested_zone(app: TestApp) {
        let date = next(Weekday::Wed);
        let day = date.to_string();
        let berlin = anonymous(
            &app,
            SLOTS,
            json!({ "username": "demo", "slug": "30min", "start": day, "end": day, "tz": "Europe/Berlin" }),
        )
        .await;
        let days = data(&berlin)["slots"].as_array().expect("a list").clone();
        assert_eq!(days.len(), 1, "{days:?}");
        assert_eq!(days[0]["date"], json!(day));
        let slots = days[0]["slots"].as_array().expect("a list");
        // 09:00–12:00 and 13:00–17:00 in half hours.
        assert_eq!(slots.len(), 14, "{slots:?}");
        let offset = berlin_offset(date);
        assert_eq!(slots[0]["start"], json!(format!("{day}T09:00:00.000{offset}")));
        assert_eq!(slots[0]["end"], json!(format!("{day}T09:30:00.000{offset}")));
        assert_eq!(slots[5]["start"], json!(format!("{day}T11:30:00.000{offset}")));
        assert_eq!(slots[6]["start"], json!(format!("{day}T13:00:00.000{offset}")));
        assert_eq!(slots[13]["end"], json!(format!("{day}T17:00:00.000{offset}")));

        // The same instants by id in UTC (the default zone), written with `+00:00`.
        let id = app.event_type_id("30min").await;
        let start = instant(&slots[0]["start"]);
        let end = instant(&slots[13]["end"]);
        let utc = anonymous(
            &app,
            SLOTS,
            json!({ "id": id.to_string(), "start": start.to_rfc3339(), "end": end.to_rfc3339() }),
        )
        .await;
        let utc_days = data(&utc)["slots"].as_array().expect("a list").clone();
        let utc_slots: Vec<&Value> = utc_days
            .iter()
            .flat_map(|d| d["slots"].as_array().into_iter().flatten())
            .collect();
        assert_eq!(utc_slots.len(), 14);
        for (a, b) in utc_slots.iter().zip(slots) {
            assert_eq!(instant(&a["start"]), instant(&b["start"]));
            assert!(a["start"].as_str().is_some_and(|s| s.ends_with("+00:00")), "{a}");
        }

        // The 60 minute length halves the count… and a bad zone is named.
        let long = anonymous(
            &app,
            "query($d: String!) { slots(username: \"demo\", eventTypeSlug: \"60min\", start: $d, end: $d, timeZone: \"Europe/Berlin\") { slots { start } } }",
            json!({ "d": day }),
        )
        .await;
        assert_eq!(data(&long)["slots"][0]["slots"].as_array().map(Vec::len), Some(7));
        let bad = anonymous(
            &app,
            SLOTS,
            json!({ "username": "demo", "slug": "30min", "start": day, "end": day, "tz": "Mars/Olympus" }),
        )
        .await;
        assert_eq!(error_code(&bad), "VALIDATION_ERROR");
        assert_eq!(error_fields(&bad), ["timeZone"]);
        let nameless = anonymous(
            &app,
            SLOTS,
            json!({ "slug": "30min", "start": day, "end": day }),
        )
        .await;
        assert_eq!(error_code(&nameless), "VALIDATION_ERROR");
        assert_eq!(error_fields(&nameless), ["username"]);

        // A weekend day has no slots, so no day entry.
        let saturday = next(Weekday::Sat).to_string();
        let weekend = anonymous(
            &app,
            SLOTS,
            json!({ "username": "demo", "slug": "30min", "start": saturday, "end": saturday, "tz": "Europe/Berlin" }),
        )
        .await;
        assert_eq!(data(&weekend)["slots"], json!([]));
    }

    async fn booking_without_a_key_then_the_same_slot_conflicts(app: TestApp) {
        let date = next(Weekday::Tue);
        let starts = slot_starts(&app, "30min", date).await;
        assert_eq!(starts.len(), 14);
        let id = app.event_type_id("30min").await.to_string();

        let booked = anonymous(&app, &create_booking(), invitee(&starts[2], json!(id), "ines@example.com")).await;
        let b = data(&booked)["createBooking"].clone();
        assert_eq!(b["status"], "ACCEPTED");
        assert!(b["uid"].as_str().is_some_and(|u| !u.is_empty()), "{b}");
        assert!(b["id"].is_string(), "{b}");
        assert_eq!(instant(&b["start"]), instant(&json!(starts[2])));
        assert!(b["start"].as_str().is_some_and(|s| s.ends_with(".000Z")), "{b}");
        assert_eq!(b["duration"], 30);
        assert_eq!(b["eventTypeId"], json!(id));
        assert_eq!(b["eventType"], json!({ "id": id, "slug": "30min" }));
        assert_eq!(b["hosts"][0]["username"], "demo");
        assert_eq!(
            b["attendees"],
            json!([{ "name": "Ines Invitee", "email": "ines@example.com", "timeZone": "Europe/Lisbon" }])
        );
        assert_eq!(b["location"], "integrations:cal-video");
        assert_eq!(b["metadata"], json!({ "source": "graphql-test" }));

        // The slot is gone from the slots list…
        let after = slot_starts(&app, "30min", date).await;
        assert_eq!(after.len(), 13);
        assert!(!after.contains(&starts[2]));

        // …and booking it again, by slug this time, is a conflict.
        let again = anonymous(
            &app,
            &create_booking(),
            json!({ "input": {
                "start": starts[2],
                "username": "demo",
                "eventTypeSlug": "30min",
                "attendee": { "name": "Olga Other", "email": "olga@example.com", "timeZone": "UTC" },
            }}),
        )
        .await;
        assert_eq!(error_code(&again), "CONFLICT");
        assert!(again.data().is_null(), "{:#}", again.body);
        assert_eq!(again.body["errors"][0]["path"], json!(["createBooking"]));

        // The booking's uid is the invitee's handle: readable without a key.
        let uid = b["uid"].as_str().expect("a uid");
        let read = anonymous(
            &app,
            "query B($uid: String!) { booking(uid: $uid) { uid status start } }",
            json!({ "uid": uid }),
        )
        .await;
        assert_eq!(
            data(&read)["booking"],
            json!({ "uid": uid, "status": "ACCEPTED", "start": b["start"] })
        );
        let missing = anonymous(&app, "{ booking(uid: \"nope\") { uid } }", json!({})).await;
        assert_eq!(error_code(&missing), "NOT_FOUND");
    }

    async fn a_bad_email_is_a_validation_error_naming_the_field(app: TestApp) {
        let starts = slot_starts(&app, "30min", next(Weekday::Thu)).await;
        let id = app.event_type_id("30min").await.to_string();
        let answer = anonymous(&app, &create_booking(), invitee(&starts[0], json!(id), "not-an-email")).await;
        assert_eq!(error_code(&answer), "VALIDATION_ERROR");
        assert_eq!(error_fields(&answer), ["attendee.email"]);
        let details = &answer.body["errors"][0]["extensions"]["details"][0];
        assert!(
            details["message"].as_str().is_some_and(|m| m.contains("not-an-email")),
            "{details}"
        );
        assert!(answer.data().is_null());

        // Several problems at once are all named; nothing was booked.
        let many = anonymous(
            &app,
            &create_booking(),
            json!({ "input": { "start": starts[0], "eventTypeId": id, "attendee": { "email": "x@" } } }),
        )
        .await;
        assert_eq!(error_code(&many), "VALIDATION_ERROR");
        let mut fields = error_fields(&many);
        fields.sort();
        assert_eq!(fields, ["attendee.email", "attendee.name", "attendee.timeZone"]);
        assert_eq!(slot_starts(&app, "30min", next(Weekday::Thu)).await.len(), 14);

        // An id that is not a number is named too, and a non-object metadata.
        let junk_id = anonymous(&app, &create_booking(), invitee(&starts[0], json!("x1"), "a@b.co")).await;
        assert_eq!(error_code(&junk_id), "VALIDATION_ERROR");
        assert_eq!(error_fields(&junk_id), ["eventTypeId"]);
        let mut input = invitee(&starts[0], json!(id), "a@b.co");
        input["input"]["metadata"] = json!([1, 2]);
        let junk_metadata = anonymous(&app, &create_booking(), input).await;
        assert_eq!(error_fields(&junk_metadata), ["metadata"]);
    }

    async fn bookings_query_lists_and_cancel_frees_the_slot(app: TestApp) {
        let date = next(Weekday::Mon);
        let starts = slot_starts(&app, "30min", date).await;
        let id = app.event_type_id("30min").await.to_string();
        let mut uids = Vec::new();
        for (i, start) in starts.iter().take(3).enumerate() {
            let booked = anonymous(
                &app,
                &create_booking(),
                invitee(start, json!(id), &format!("guest{i}@example.com")),
            )
            .await;
            uids.push(data(&booked)["createBooking"]["uid"].as_str().expect("uid").to_string());
        }

        let list = "query L($status: [BookingStatusFilter!], $email: String, $sort: SortOrder, \
                    $limit: Int, $cursor: String) {
              bookings(status: $status, attendeeEmail: $email, sortStart: $sort, limit: $limit,
                       cursor: $cursor) { items { uid status attendees { email } } nextCursor hasMore }
            }";
        let page = host(&app, list, json!({ "status": ["UPCOMING"] })).await;
        let page = &data(&page)["bookings"];
        let listed: Vec<&str> = page["items"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|b| b["uid"].as_str())
            .collect();
        assert_eq!(listed, uids.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(page["nextCursor"].is_null());
        assert_eq!(page["hasMore"], false);

        // Newest first, two per page, then the rest through the cursor.
        let first = host(&app, list, json!({ "sort": "DESC", "limit": 2 })).await;
        let first = data(&first)["bookings"].clone();
        assert_eq!(first["items"][0]["uid"], json!(uids[2]));
        assert_eq!(first["items"].as_array().map(Vec::len), Some(2));
        assert_eq!(first["hasMore"], true);
        let cursor = first["nextCursor"].as_str().expect("a next page");
        let second = host(&app, list, json!({ "sort": "DESC", "limit": 2, "cursor": cursor })).await;
        let second = &data(&second)["bookings"];
        assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(second["items"][0]["uid"], json!(uids[0]));
        assert!(second["nextCursor"].is_null());

        let by_email = host(&app, list, json!({ "email": "guest1@example.com" })).await;
        assert_eq!(
            data(&by_email)["bookings"]["items"],
            json!([{ "uid": uids[1], "status": "ACCEPTED", "attendees": [{ "email": "guest1@example.com" }] }])
        );
        let bad_limit = host(&app, list, json!({ "limit": 0 })).await;
        assert_eq!(error_code(&bad_limit), "VALIDATION_ERROR");
        assert_eq!(error_fields(&bad_limit), ["limit"]);

        // The invitee cancels without a key.
        let cancel = "mutation C($uid: String!) { cancelBooking(uid: $uid, cancellationReason: \"Sick\") { uid status cancellationReason } }";
        let cancelled = anonymous(&app, cancel, json!({ "uid": uids[0] })).await;
        assert_eq!(
            data(&cancelled)["cancelBooking"],
            json!({ "uid": uids[0], "status": "CANCELLED", "cancellationReason": "Sick" })
        );
        let twice = anonymous(&app, cancel, json!({ "uid": uids[0] })).await;
        assert_eq!(error_code(&twice), "CONFLICT");

        let tabs = host(&app, list, json!({ "status": ["CANCELLED"] })).await;
        assert_eq!(
            data(&tabs)["bookings"]["items"][0]["uid"],
            json!(uids[0])
        );
        let upcoming = host(&app, list, json!({ "status": ["UPCOMING"] })).await;
        assert_eq!(data(&upcoming)["bookings"]["items"].as_array().map(Vec::len), Some(2));

        // Its time is free again.
        assert!(slot_starts(&app, "30min", date).await.contains(&starts[0]));
        let rebooked = anonymous(&app, &create_booking(), invitee(&starts[0], json!(id), "late@example.com")).await;
        assert_eq!(data(&rebooked)["createBooking"]["status"], "ACCEPTED");
    }

    async fn reschedule_confirm_and_decline(app: TestApp) {
        let created = host(
            &app,
            "mutation { createEventType(input: {title: \"Intro\", slug: \"intro\", lengthInMinutes: 30, requiresConfirmation: true}) { id } }",
            json!({}),
        )
        .await;
        let id = data(&created)["createEventType"]["id"].clone();
        let date = next(Weekday::Fri);
        let starts = slot_starts(&app, "intro", date).await;
        assert_eq!(starts.len(), 14);

        let first = anonymous(&app, &create_booking(), invitee(&starts[0], id.clone(), "p1@example.com")).await;
        let first = data(&first)["createBooking"].clone();
        assert_eq!(first["status"], "PENDING");
        let second = anonymous(&app, &create_booking(), invitee(&starts[1], id.clone(), "p2@example.com")).await;
        let second = data(&second)["createBooking"].clone();

        // Confirming needs the host's key.
        let confirm = "mutation($uid: String!) { confirmBooking(uid: $uid) { uid status } }";
        let refused = anonymous(&app, confirm, json!({ "uid": first["uid"] })).await;
        assert_eq!(error_code(&refused), "UNAUTHORIZED");
        let confirmed = host(&app, confirm, json!({ "uid": first["uid"] })).await;
        assert_eq!(data(&confirmed)["confirmBooking"]["status"], "ACCEPTED");
        let again = host(&app, confirm, json!({ "uid": first["uid"] })).await;
        assert_eq!(error_code(&again), "CONFLICT");

        let declined = host(
            &app,
            "mutation($uid: String!) { declineBooking(uid: $uid, reason: \"Busy\") { status cancellationReason } }",
            json!({ "uid": second["uid"] }),
        )
        .await;
        assert_eq!(
            data(&declined)["declineBooking"],
            json!({ "status": "REJECTED", "cancellationReason": "Busy" })
        );

        // The invitee moves the accepted booking: a new booking, the old one cancelled.
        let moved = anonymous(
            &app,
            &format!(
                "mutation($uid: String!, $input: RescheduleBookingInput!) {{ rescheduleBooking(uid: $uid, input: $input) {{ {BOOKING_FIELDS} }} }}"
            ),
            json!({ "uid": first["uid"], "input": { "start": starts[4], "reschedulingReason": "Clash" } }),
        )
        .await;
        let moved = data(&moved)["rescheduleBooking"].clone();
        assert_ne!(moved["uid"], first["uid"]);
        assert_eq!(moved["rescheduledFromUid"], first["uid"]);
        assert_eq!(instant(&moved["start"]), instant(&json!(starts[4])));
        // Moved by the invitee, it waits for confirmation again.
        assert_eq!(moved["status"], "PENDING");
        let old = anonymous(
            &app,
            "query($uid: String!) { booking(uid: $uid) { status rescheduledToUid } }",
            json!({ "uid": first["uid"] }),
        )
        .await;
        assert_eq!(
            data(&old)["booking"],
            json!({ "status": "CANCELLED", "rescheduledToUid": moved["uid"] })
        );
        let no_start = anonymous(
            &app,
            "mutation($uid: String!) { rescheduleBooking(uid: $uid, input: {}) { uid } }",
            json!({ "uid": moved["uid"] }),
        )
        .await;
        assert_eq!(error_fields(&no_start), ["start"]);
    }

    async fn schedules_can_be_managed(app: TestApp) {
        let default = host(
            &app,
            "{ defaultSchedule { id name timeZone isDefault availability { days startTime endTime } } }",
            json!({}),
        )
        .await;
        let default = data(&default)["defaultSchedule"].clone();
        assert_eq!(default["name"], "Working hours");
        assert_eq!(default["isDefault"], true);
        let weekdays = json!(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]);
        assert_eq!(
            default["availability"],
            json!([
                { "days": weekdays, "startTime": "09:00", "endTime": "12:00" },
                { "days": weekdays, "startTime": "13:00", "endTime": "17:00" },
            ])
        );

        let fields = "id name timeZone isDefault availability { days startTime endTime } overrides { date startTime endTime }";
        let created = host(
            &app,
            &format!("mutation($input: ScheduleInput!) {{ createSchedule(input: $input) {{ {fields} }} }}"),
            json!({ "input": {
                "name": "Evenings",
                "timeZone": "America/New_York",
                "availability": [{ "days": ["Monday", "Wednesday"], "startTime": "18:00", "endTime": "21:00" }],
                "overrides": [{ "date": "2030-01-07", "startTime": "00:00", "endTime": "00:00" }],
            }}),
        )
        .await;
        let s = data(&created)["createSchedule"].clone();
        let id = s["id"].as_str().expect("an ID").to_string();
        assert_eq!(s["isDefault"], false);
        assert_eq!(s["timeZone"], "America/New_York");
        assert_eq!(
            s["overrides"],
            json!([{ "date": "2030-01-07", "startTime": "00:00", "endTime": "00:00" }])
        );

        let all = host(&app, "{ schedules { items { id name } } }", json!({})).await;
        assert_eq!(data(&all)["schedules"]["items"].as_array().map(Vec::len), Some(2));

        let updated = host(
            &app,
            &format!("mutation($id: ID!) {{ updateSchedule(id: $id, input: {{name: \"Late\", isDefault: true}}) {{ {fields} }} }}"),
            json!({ "id": id }),
        )
        .await;
        let u = &data(&updated)["updateSchedule"];
        assert_eq!(u["name"], "Late");
        assert_eq!(u["isDefault"], true);
        let one = host(&app, "query($id: ID!) { schedule(id: $id) { name } }", json!({ "id": id })).await;
        assert_eq!(data(&one)["schedule"]["name"], "Late");

        let bad = host(
            &app,
            "mutation { createSchedule(input: {name: \"Bad\", availability: [{days: [\"Funday\"], startTime: \"25:00\", endTime: \"26:00\"}]}) { id } }",
            json!({}),
        )
        .await;
        assert_eq!(error_code(&bad), "VALIDATION_ERROR");
        assert!(
            error_fields(&bad).contains(&"availability[0].startTime".to_string()),
            "{:#}",
            bad.body
        );

        let deleted = host(&app, "mutation($id: ID!) { deleteSchedule(id: $id) }", json!({ "id": id })).await;
        assert_eq!(data(&deleted)["deleteSchedule"], json!(id));
        let gone = host(&app, "query($id: ID!) { schedule(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(error_code(&gone), "NOT_FOUND");
        let anonymous_list = anonymous(&app, "{ schedules { items { id } } }", json!({})).await;
        assert_eq!(error_code(&anonymous_list), "UNAUTHORIZED");
    }

    async fn every_list_pages_through_a_cursor(app: TestApp) {
        for i in 0..3 {
            let input = json!({ "input": { "title": "Extra", "slug": format!("extra-{i}"), "lengthInMinutes": 30 } });
            data(&host(&app, "mutation($input: EventTypeInput!) { createEventType(input: $input) { id } }", input).await);
            let input = json!({ "input": { "name": format!("Extra {i}"), "timeZone": "UTC" } });
            data(&host(&app, "mutation($input: ScheduleInput!) { createSchedule(input: $input) { id } }", input).await);
        }
        for i in 0..5 {
            let input = json!({ "input": { "subscriberUrl": format!("https://example.com/hook/{i}") } });
            data(&host(&app, "mutation($input: WebhookInput!) { createWebhook(input: $input) { id } }", input).await);
        }
        let date = next(Weekday::Tue);
        let event_type = app.event_type_id("30min").await.to_string();
        for (i, start) in slot_starts(&app, "30min", date).await.iter().take(5).enumerate() {
            let booked = anonymous(&app, &create_booking(), invitee(start, json!(event_type), &format!("p{i}@example.com"))).await;
            data(&booked);
        }

        for (field, count, pages) in [("eventTypes", 5, 3), ("schedules", 4, 2), ("webhooks", 5, 3), ("bookings", 5, 3)] {
            let expected = all_ids(&app, field, "").await;
            assert_eq!(expected.len(), count, "{field}");
            let numbers: Vec<i64> = expected.iter().map(|id| id.parse().expect("a row id")).collect();
            assert!(numbers.is_sorted_by(|a, b| a < b), "{field} oldest first: {expected:?}");
            assert_eq!(walk(&app, field, "").await, (expected, pages), "{field}");
            assert_page_args_are_checked(&app, field, "").await;
        }
        let (newest_first, _) = walk(&app, "bookings", "sortStart: DESC, ").await;
        let mut expected = all_ids(&app, "bookings", "").await;
        expected.reverse();
        assert_eq!(newest_first, expected);
    }

    async fn host_fields_need_a_key(app: TestApp) {
        let answer = anonymous(&app, "{ eventTypes { items { id } } }", json!({})).await;
        assert_eq!(error_code(&answer), "UNAUTHORIZED");
        assert_eq!(answer.body["errors"][0]["path"], json!(["eventTypes"]));
        assert!(answer.data().is_null(), "{:#}", answer.body);

        for query in [
            "{ me { id } }",
            "{ bookings { nextCursor } }",
            "{ defaultSchedule { id } }",
            "mutation { createEventType(input: {title: \"X\", slug: \"x\", lengthInMinutes: 30}) { id } }",
        ] {
            let answer = anonymous(&app, query, json!({})).await;
            assert_eq!(error_code(&answer), "UNAUTHORIZED", "{query}");
        }
        // Nothing was created by the refused mutation.
        let all = host(&app, "{ eventTypes { items { slug } } }", json!({})).await;
        assert_eq!(data(&all)["eventTypes"]["items"].as_array().map(Vec::len), Some(2));
    }

    async fn an_invalid_key_is_unauthorized(app: TestApp) {
        let wrong = "cnv_0000000000000000000000000000000000000000";
        let answer = gql(&app, Some(wrong), "{ me { id } }", json!({})).await;
        assert_eq!(error_code(&answer), "UNAUTHORIZED");
        assert!(answer.data().is_null(), "{:#}", answer.body);

        // A key that is sent must be valid even for fields that need none.
        let day = next(Weekday::Wed).to_string();
        let public = gql(
            &app,
            Some(wrong),
            SLOTS,
            json!({ "username": "demo", "slug": "30min", "start": day, "end": day }),
        )
        .await;
        assert_eq!(error_code(&public), "UNAUTHORIZED");
        let not_ours = gql(&app, Some("sk_live_123"), "{ me { id } }", json!({})).await;
        assert_eq!(error_code(&not_ours), "UNAUTHORIZED");

        let basic = app
            .send(
                app.request(Method::POST, "/graphql", Some(json!({ "query": "{ me { id } }" })))
                    .header("Authorization", "Basic ZGVtbzpkZW1v"),
            )
            .await;
        assert_eq!(error_code(&basic), "UNAUTHORIZED");
    }

    async fn graphiql_and_malformed_requests(app: TestApp) {
        let page = app
            .client
            .get(format!("{}/graphql", app.base))
            .send()
            .await
            .expect("an answer");
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("a body");
        assert!(html.contains("graphiql"), "{html}");
        assert!(html.contains("/graphql"), "{html}");

        let junk = app
            .send(
                app.request(Method::POST, "/graphql", None)
                    .header("Content-Type", "application/json")
                    .body("{not json"),
            )
            .await;
        assert_eq!(junk.status, StatusCode::BAD_REQUEST);
        assert_eq!(error_code(&junk), "INVALID_REQUEST");

        let unknown = host(&app, "{ me { shoeSize } }", json!({})).await;
        assert_eq!(error_code(&unknown), "INVALID_REQUEST");
        let deep = host(
            &app,
            "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }",
            json!({}),
        )
        .await;
        assert_eq!(error_code(&deep), "INVALID_REQUEST");
    }
}

on_both_databases! {
    async fn an_idempotency_key_makes_a_mutation_retry_harmless(app: TestApp) {
        let date = next(Weekday::Thu);
        let starts = slot_starts(&app, "30min", date).await;
        let id = app.event_type_id("30min").await.to_string();
        let body = json!({
            "query": create_booking(),
            "variables": invitee(&starts[0], json!(id), "again@example.com"),
        });
        let send = || {
            app.send(
                app.request(Method::POST, "/graphql", Some(body.clone()))
                    .header("Idempotency-Key", "gql-retry-1"),
            )
        };
        let first = send().await;
        let second = send().await;
        let uid = &data(&first)["createBooking"]["uid"];
        assert!(uid.is_string(), "{:#}", first.body);
        assert_eq!(&data(&second)["createBooking"]["uid"], uid);
        assert_eq!(
            second.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()),
            Some("true")
        );
        let listed = app.get("/v2/bookings?attendeeEmail=again@example.com").await;
        assert_eq!(listed.data().as_array().map(Vec::len), Some(1), "the retry booked nothing");
    }
}

/// Webhooks through GraphQL: subscribe, see deliveries with their attempts, replay, delete.
/// The subscriber is the server's own `/healthz`, which answers POST with 405, so every
/// attempt fails and lands in the log.
async fn webhooks_through_graphql(app: TestApp) {
    let url = format!("{}/healthz", app.base);
    let created = host(
        &app,
        "mutation W($input: WebhookInput!) { createWebhook(input: $input) { id active hasSecret triggers } }",
        json!({ "input": { "subscriberUrl": url, "triggers": ["BOOKING_CREATED"], "secret": "s" } }),
    )
    .await;
    let hook = data(&created)["createWebhook"].clone();
    assert_eq!(
        hook["triggers"],
        json!(["BOOKING_CREATED"]),
        "{:#}",
        created.body
    );
    assert_eq!(hook["hasSecret"], true);
    let id = hook["id"].as_str().unwrap().to_string();

    let bad = host(
        &app,
        "mutation W($input: WebhookInput!) { createWebhook(input: $input) { id } }",
        json!({ "input": { "subscriberUrl": "gopher://x.example" } }),
    )
    .await;
    assert_eq!(error_fields(&bad), ["subscriberUrl"]);

    let date = next(Weekday::Fri);
    let starts = slot_starts(&app, "30min", date).await;
    let event_type = app.event_type_id("30min").await.to_string();
    anonymous(
        &app,
        &create_booking(),
        invitee(&starts[0], json!(event_type), "gqlhook@example.com"),
    )
    .await;

    let deliveries = "query D($id: ID!) { webhookDeliveries(id: $id) { items { id trigger status attempts log { attempt statusCode } } nextCursor } }";
    let started = std::time::Instant::now();
    let delivery = loop {
        let page = host(&app, deliveries, json!({ "id": id })).await;
        let first = data(&page)["webhookDeliveries"]["items"][0].clone();
        if first["status"] == "dead" {
            break first;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:#}",
            page.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(delivery["trigger"], "BOOKING_CREATED");
    assert_eq!(delivery["attempts"], 5);
    assert_eq!(
        delivery["log"][0],
        json!({ "attempt": 1, "statusCode": 405 })
    );

    let replayed = host(
        &app,
        "mutation R($id: ID!) { replayWebhookDeliveries(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(data(&replayed)["replayWebhookDeliveries"], 1);
    let off = host(
        &app,
        "mutation U($id: ID!, $input: WebhookInput!) { updateWebhook(id: $id, input: $input) { active } }",
        json!({ "id": id, "input": { "active": false } }),
    )
    .await;
    assert_eq!(data(&off)["updateWebhook"]["active"], false);
    let deleted = host(
        &app,
        "mutation X($id: ID!) { deleteWebhook(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(data(&deleted)["deleteWebhook"], json!(id));
    let gone = host(
        &app,
        "query G($id: ID!) { webhook(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
    let anonymous_list = anonymous(&app, "{ webhooks { items { id } } }", json!({})).await;
    assert_eq!(error_code(&anonymous_list), "UNAUTHORIZED");
}

/// The delivery log pages newest first. Deliveries need the background jobs running.
async fn webhook_deliveries_page_through_graphql(app: TestApp) {
    let url = format!("{}/healthz", app.base);
    let created = host(
        &app,
        "mutation W($input: WebhookInput!) { createWebhook(input: $input) { id } }",
        json!({ "input": { "subscriberUrl": url, "triggers": ["BOOKING_CREATED"] } }),
    )
    .await;
    let args = format!(
        "id: \"{}\", ",
        data(&created)["createWebhook"]["id"].as_str().unwrap()
    );
    let event_type = app.event_type_id("30min").await.to_string();
    for (i, start) in slot_starts(&app, "30min", next(Weekday::Wed))
        .await
        .iter()
        .take(5)
        .enumerate()
    {
        let email = format!("logged{i}@example.com");
        data(
            &anonymous(
                &app,
                &create_booking(),
                invitee(start, json!(event_type), &email),
            )
            .await,
        );
    }
    let started = std::time::Instant::now();
    let expected = loop {
        let query = format!("{{ webhookDeliveries({args}) {{ items {{ id }} hasMore }} }}");
        let page = host(&app, &query, json!({})).await;
        let items = data(&page)["webhookDeliveries"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if items.len() == 5 {
            break all_ids(&app, "webhookDeliveries", &args).await;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:#}",
            page.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let numbers: Vec<i64> = expected
        .iter()
        .map(|id| id.parse().expect("a row id"))
        .collect();
    assert!(
        numbers.is_sorted_by(|a, b| a > b),
        "newest first: {expected:?}"
    );
    assert_eq!(walk(&app, "webhookDeliveries", &args).await, (expected, 3));
    assert_page_args_are_checked(&app, "webhookDeliveries", &args).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_deliveries_page_through_graphql_sqlite() {
    webhook_deliveries_page_through_graphql(
        TestApp::spawn_with_jobs(convene_tests::Backend::Sqlite).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_deliveries_page_through_graphql_postgres() {
    webhook_deliveries_page_through_graphql(
        TestApp::spawn_with_jobs(convene_tests::Backend::Postgres).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_through_graphql_sqlite() {
    webhooks_through_graphql(TestApp::spawn_with_jobs(convene_tests::Backend::Sqlite).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_through_graphql_postgres() {
    webhooks_through_graphql(TestApp::spawn_with_jobs(convene_tests::Backend::Postgres).await)
        .await;
}

on_both_databases! {
    async fn seats_recurrence_and_locked_zones_through_graphql(app: TestApp) {
        let made = host(&app, r#"mutation($input: EventTypeInput!) { createEventType(input: $input) { id seatsPerTimeSlot seatsShowAttendees } }"#,
            json!({"input": {"title": "Group", "slug": "group", "lengthInMinutes": 30, "seatsPerTimeSlot": 2}})).await;
        let group = data(&made)["createEventType"].clone();
        assert_eq!(group["seatsPerTimeSlot"], 2);
        assert_eq!(group["seatsShowAttendees"], false);
        let day = next(Weekday::Wed).to_string();
        let slots = anonymous(&app, r#"query($id: ID!, $day: String!) { slots(eventTypeId: $id, start: $day, end: $day, timeZone: "America/New_York") { timeZone timeZoneLocked slots { start seatsBooked seatsRemaining seatsTotal } } }"#,
            json!({"id": group["id"], "day": day})).await;
        let first_day = &data(&slots)["slots"][0];
        assert_eq!(first_day["timeZone"], "America/New_York");
        assert_eq!(first_day["timeZoneLocked"], false);
        let first = first_day["slots"][0].clone();
        assert_eq!((first["seatsBooked"].clone(), first["seatsRemaining"].clone(), first["seatsTotal"].clone()), (json!(0), json!(2), json!(2)));

        let book = r#"mutation($input: CreateBookingInput!) { createBooking(input: $input) { uid seatUid attendees { email seatUid } } }"#;
        let ann = anonymous(&app, book, invitee(first["start"].as_str().unwrap(), group["id"].clone(), "ann@example.com")).await;
        let bob = anonymous(&app, book, invitee(first["start"].as_str().unwrap(), group["id"].clone(), "bob@example.com")).await;
        let (ann, bob) = (data(&ann)["createBooking"].clone(), data(&bob)["createBooking"].clone());
        assert_eq!(ann["uid"], bob["uid"], "both sit in one booking");
        assert_eq!(bob["attendees"], json!([{"email": "bob@example.com", "seatUid": bob["seatUid"]}]));
        let cancel = anonymous(&app, r#"mutation($uid: String!, $seat: String) { cancelBooking(uid: $uid, seatUid: $seat) { status attendees { email } } }"#,
            json!({"uid": ann["uid"], "seat": ann["seatUid"]})).await;
        assert_eq!(data(&cancel)["cancelBooking"]["status"], "CANCELLED");
        assert_eq!(data(&cancel)["cancelBooking"]["attendees"], json!([{"email": "ann@example.com"}]));

        let weekly = host(&app, r#"mutation($input: EventTypeInput!) { createEventType(input: $input) { id recurrence { frequency interval occurrences } lockedTimeZone } }"#,
            json!({"input": {"title": "Weekly", "slug": "weekly", "lengthInMinutes": 30, "lockedTimeZone": "Europe/London",
                   "recurrence": {"frequency": "weekly", "interval": 2, "occurrences": 3}}})).await;
        let weekly = data(&weekly)["createEventType"].clone();
        assert_eq!(weekly["recurrence"], json!({"frequency": "weekly", "interval": 2, "occurrences": 3}));
        assert_eq!(weekly["lockedTimeZone"], "Europe/London");
        let start = format!("{}T09:00:00Z", next(Weekday::Thu));
        let one = anonymous(&app, book, invitee(&start, weekly["id"].clone(), "cat@example.com")).await;
        assert_eq!(error_code(&one), "VALIDATION_ERROR", "a recurring type books a series");
        assert_eq!(error_fields(&one), ["eventTypeId"]);
        let mut series_input = invitee(&start, weekly["id"].clone(), "cat@example.com");
        series_input["input"]["recurrenceCount"] = json!(2);
        let series = anonymous(&app, r#"mutation($input: CreateBookingInput!) { createRecurringBooking(input: $input) { uid start recurringBookingUid } }"#, series_input).await;
        let series = data(&series)["createRecurringBooking"].as_array().unwrap().clone();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0]["recurringBookingUid"], series[1]["recurringBookingUid"]);
        let rest = anonymous(&app, r#"mutation($uid: String!) { cancelRecurringBookings(uid: $uid) { status } }"#, json!({"uid": series[0]["uid"]})).await;
        assert_eq!(data(&rest)["cancelRecurringBookings"], json!([{"status": "CANCELLED"}, {"status": "CANCELLED"}]));
    }
}

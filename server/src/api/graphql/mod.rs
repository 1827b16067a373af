//! GraphQL at `/graphql`: `POST` executes, `GET` serves GraphiQL.
//!
//! Thin over `app/` like REST: a resolver extracts its arguments, calls one use case
//! and shapes the answer with REST's field names. The caller comes from the same
//! `Authorization: Bearer cnv_…` header, read once per request; a key that is sent
//! must be valid, or the whole request fails with `UNAUTHORIZED`. The fields REST
//! serves without a key (`slots`, `publicEventType`, `booking`, `createBooking`,
//! `rescheduleBooking`, `cancelBooking`, `createRecurringBooking`,
//! `cancelRecurringBookings`) work without one here too; the others
//! answer `UNAUTHORIZED`. Every error carries REST's code in `extensions.code`
//! (see `error.rs`).
//!
//! The SDL is checked in as `schema.graphql`; a test fails when it drifts
//! (`UPDATE_SCHEMA=1 cargo test -p convene api::graphql` rewrites it).

mod bookings;
mod calendars;
mod chat;
mod connections;
mod customers;
mod error;
mod event_types;
mod host_limits;
mod insights;
mod loaders;
mod me;
mod notifications;
mod out_of_office;
mod page;
mod personal_data;
mod plugins;
mod recommendations;
mod routing_forms;
mod scalars;
mod schedules;
mod scheduling_links;
mod slots;
mod teams;
mod webhooks;
mod workflows;

use async_graphql::http::GraphiQLSource;
use async_graphql::{
    Context, EmptySubscription, ID, MergedObject, ParseRequestError, Schema, SchemaBuilder,
};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use self::error::{GqlError, GqlResult};
use crate::api::public_url::PublicUrl;
use crate::api::{ApiError, ErrorCode};
use crate::app::auth::Caller;
use crate::app::{App, AppError};

/// Every query: the caller, event types, schedules, slots, bookings, webhooks, notices,
/// customers, scheduling links, personal-data exports and connections.
#[derive(MergedObject, Default)]
pub struct Query(
    me::MeQuery,
    event_types::EventTypeQuery,
    schedules::ScheduleQuery,
    slots::SlotQuery,
    bookings::BookingQuery,
    webhooks::WebhookQuery,
    notifications::NotificationQuery,
    customers::CustomerQuery,
    scheduling_links::SchedulingLinkQuery,
    personal_data::PersonalDataQuery,
    connections::ConnectionQuery,
    plugins::PluginQuery,
    teams::TeamQuery,
    calendars::CalendarQuery,
    routing_forms::RoutingFormQuery,
    out_of_office::OutOfOfficeQuery,
    host_limits::HostLimitsQuery,
    insights::InsightsQuery,
    recommendations::RecommendationQuery,
    workflows::WorkflowQuery,
);

/// Every mutation: event types, schedules, the booking lifecycle, webhooks, notices,
/// customers, scheduling links, erasures, chat commands and connections.
#[derive(MergedObject, Default)]
pub struct Mutation(
    event_types::EventTypeMutation,
    schedules::ScheduleMutation,
    bookings::BookingMutation,
    webhooks::WebhookMutation,
    notifications::NotificationMutation,
    customers::CustomerMutation,
    scheduling_links::SchedulingLinkMutation,
    personal_data::PersonalDataMutation,
    chat::ChatMutation,
    connections::ConnectionMutation,
    plugins::PluginMutation,
    teams::TeamMutation,
    calendars::CalendarMutation,
    routing_forms::RoutingFormMutation,
    out_of_office::OutOfOfficeMutation,
    host_limits::HostLimitsMutation,
    recommendations::RecommendationMutation,
    workflows::WorkflowMutation,
);

/// The schema served at `/graphql`.
pub type ConveneSchema = Schema<Query, Mutation, EmptySubscription>;

/// The deepest selection a query may nest.
const MAX_DEPTH: usize = 10;
/// The most fields one query may select, counting a page's fields once per row it may
/// hold (see `page::page_complexity`): 250 customers with a rich dashboard row fit.
const MAX_COMPLEXITY: usize = 5000;

/// The schema without data: what the SDL is exported from.
fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema with `app` as its data; each request adds its `Option<Caller>`.
pub fn schema(app: App) -> ConveneSchema {
    builder().data(app).finish()
}

/// GraphQL routes: `POST /graphql` executes, `GET /graphql` serves GraphiQL.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/graphql", get(graphiql).post(execute))
        .with_state(schema(app))
}

/// The GraphiQL page, pointed at `/graphql`.
async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Convene GraphQL")
            .finish(),
    )
}

/// Runs one GraphQL request as the caller its `Authorization` header names (if any).
async fn execute(
    State(schema): State<ConveneSchema>,
    headers: HeaderMap,
    request: GraphQLRequest<Rejection>,
) -> GraphQLResponse {
    let mut response = match authenticate(&schema, &headers).await {
        Ok(caller) => {
            let mut request = request.into_inner().data(caller);
            if let Some(app) = schema.data::<App>() {
                request = request.data(PublicUrl::of(app, &headers));
                if let Some(caller) = caller {
                    request = request.data(loaders::for_request(app.clone(), caller));
                }
            }
            schema.execute(request).await
        }
        Err(err) => async_graphql::Response::from_errors(vec![error::server_error(err)]),
    };
    error::ensure_codes(&mut response.errors);
    response.into()
}

/// The caller named by `Authorization: Bearer cnv_…`; no header is an anonymous caller,
/// and a header that is malformed or names no valid key is an error (as in REST).
async fn authenticate(schema: &ConveneSchema, headers: &HeaderMap) -> GqlResult<Option<Caller>> {
    let Some(key) = crate::api::bearer::bearer(headers)? else {
        return Ok(None);
    };
    let app = schema.data::<App>().ok_or_else(missing_app)?;
    Ok(Some(crate::app::auth::authenticate(&app.db, key).await?))
}

/// A body that is not a GraphQL request: 400 (413 when too large) with a GraphQL-shaped
/// error carrying `INVALID_REQUEST`, instead of async-graphql's plain-text answer.
struct Rejection(ParseRequestError);

impl From<ParseRequestError> for Rejection {
    fn from(err: ParseRequestError) -> Rejection {
        Rejection(err)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status = match self.0 {
            ParseRequestError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        let message = format!("the body is not a GraphQL request: {}", self.0);
        let body = serde_json::json!({
            "data": null,
            "errors": [{
                "message": message,
                "extensions": { "code": ErrorCode::InvalidRequest.as_str() },
            }],
        });
        (status, axum::Json(body)).into_response()
    }
}

fn missing_app() -> GqlError {
    tracing::error!("the GraphQL schema was built without the App");
    GqlError::internal()
}

/// The use cases, from the schema's data.
fn app<'a>(ctx: &Context<'a>) -> GqlResult<&'a App> {
    ctx.data_opt::<App>().ok_or_else(missing_app)
}

/// The authenticated caller, or `UNAUTHORIZED` for an anonymous request.
fn caller(ctx: &Context<'_>) -> GqlResult<Caller> {
    maybe_caller(ctx).ok_or_else(|| {
        GqlError::new(
            ErrorCode::Unauthorized,
            "this field needs an API key: `Authorization: Bearer cnv_…`",
        )
    })
}

/// The base of the links handed out in this request.
fn public_url(ctx: &Context<'_>) -> GqlResult<PublicUrl> {
    match ctx.data_opt::<PublicUrl>() {
        Some(url) => Ok(url.clone()),
        None => Ok(PublicUrl::of(app(ctx)?, &HeaderMap::new())),
    }
}

/// The caller when a key was sent; `None` for an invitee.
fn maybe_caller(ctx: &Context<'_>) -> Option<Caller> {
    ctx.data_opt::<Option<Caller>>().copied().flatten()
}

/// The row id inside an id naming a `kind` to look up; an id that is not ours names
/// nothing, so it is `NOT_FOUND` (as REST answers for such a path).
fn lookup_id(kind: &str, id: &ID) -> GqlResult<i64> {
    id.parse().map_err(|_| {
        ApiError::new(
            ErrorCode::NotFound,
            format!("{kind} `{}` does not exist", id.0),
        )
        .into()
    })
}

/// The row id inside an id given as input field `field`.
fn field_id(field: &str, id: &ID) -> Result<i64, AppError> {
    id.parse()
        .map_err(|_| AppError::invalid(field, format!("`{}` is not an id", id.0)))
}

/// An id as GraphQL shows it: the row id as a string (GraphQL `Int` is only 32 bits).
fn to_id(id: i64) -> ID {
    ID(id.to_string())
}

#[cfg(test)]
mod tests {
    use async_graphql::SDLExportOptions;

    use super::*;

    /// The SDL as checked in.
    fn sdl() -> String {
        builder()
            .finish()
            .sdl_with_options(SDLExportOptions::new().sorted_fields())
    }

    #[test]
    fn schema_is_checked_in() {
        let sdl = sdl();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &sdl).expect("write schema.graphql");
        }
        assert!(
            std::fs::read_to_string(path).unwrap_or_default() == sdl,
            "schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test -p convene api::graphql`"
        );
    }

    /// The fields of root type `name` in the SDL, with their arguments and result type.
    fn root_fields(sdl: &str, name: &str) -> Vec<String> {
        let body = sdl
            .split(&format!("type {name} {{\n"))
            .nth(1)
            .and_then(|rest| rest.split("\n}\n").next())
            .unwrap_or_default();
        let mut fields = Vec::new();
        let mut in_description = false;
        let mut current = String::new();
        for line in body.lines() {
            let line = line.trim();
            if line == "\"\"\"" {
                in_description = !in_description;
                continue;
            }
            if in_description || line.is_empty() {
                continue;
            }
            // Arguments after a described one are printed indented on the same line.
            current.push_str(&line.replace('\t', ""));
            // A field is complete once its argument list (if any) is closed.
            let open = current.matches('(').count();
            if open == current.matches(')').count() && current.contains(':') {
                fields.push(std::mem::take(&mut current));
            }
        }
        fields
    }

    #[test]
    fn root_fields_are_the_rest_capabilities_with_string_ids() {
        let sdl = sdl();
        let query = root_fields(&sdl, "Query");
        assert_eq!(
            query,
            [
                "autoCreateStakeholders: Boolean!",
                "booking(uid: String!): Booking!",
                "bookingPageConversion(scope: InsightsScope, start: String!, end: String!, \
                 timeZone: String): [PageConversion!]!",
                "bookingStats(scope: InsightsScope, start: String!, end: String!, \
                 timeZone: String, groupBy: InsightsGroupBy! = ALL): [BookingStatsLine!]!",
                "bookings(status: [BookingStatusFilter!],attendeeEmail: String,eventTypeId: ID,\
                 afterStart: String,beforeEnd: String,sortStart: SortOrder,cursor: String,\
                 limit: Int): BookingPage!",
                "busiestHours(scope: InsightsScope, start: String!, end: String!, \
                 timeZone: String): BusiestHours!",
                "connectedCalendars(installationId: ID!): [ConnectedCalendar!]!",
                "connections: [Connection!]!",
                "csmEngagement(userId: ID,windowDays: Int! = 90): CsmEngagement!",
                "customer(id: ID!): Customer!",
                "customers(ownerId: ID,tier: String,search: String,band: String,\
                 orderBy: CustomerOrder! = CREATED,descending: Boolean! = false,cursor: String,\
                 limit: Int): CustomerPage!",
                "defaultSchedule: Schedule!",
                "eventType(id: ID!): EventType!",
                "eventTypes(cursor: String,limit: Int): EventTypePage!",
                "exportStakeholderData(id: ID!): JSON!",
                "healthWeights: HealthWeights!",
                "inboundEvents(installationId: ID,status: InboundStatus,cursor: String,\
                 limit: Int): InboundEventPage!",
                "me: User!",
                "myAccounts(band: String,cursor: String,limit: Int): CustomerPage!",
                "myBookingLimits: HostLimits!",
                "notifications(cursor: String,limit: Int): NotificationPage!",
                "outOfOffice(cursor: String,limit: Int): OutOfOfficePage!",
                "pluginInstallations: [PluginInstallation!]!",
                "pluginPackages: [PluginPackage!]!",
                "prefilledRoutingForm(id: ID!,query: JSON): PrefilledForm!",
                "publicEventType(username: String!,slug: String!): EventType!",
                "recommendationThresholds: RecommendationThresholds!",
                "roundRobinFairness(eventTypeId: ID!,start: String!,end: String!,timeZone: String): [HostShare!]!",
                "routingForm(id: ID!): RoutingForm!",
                "routingFormResponses(id: ID!,cursor: String,limit: Int): FormResponsePage!",
                "routingForms(cursor: String,limit: Int): RoutingFormPage!",
                "schedule(id: ID!): Schedule!",
                "schedules(cursor: String,limit: Int): SchedulePage!",
                "schedulingLinks(customerId: ID,cursor: String,limit: Int): SchedulingLinkPage!",
                "slots(eventTypeId: ID,username: String,eventTypeSlug: String,teamSlug: String,\
                 start: String!,end: String!,timeZone: String,duration: Int,\
                 bookingUidToReschedule: String): [SlotDay!]!",
                "teamAvailability(teamId: ID!,start: String!,end: String!,eventTypeId: ID,\
                 timeZone: String): [PooledSlot!]!",
                "unreadNotificationCount: Int!",
                "webhook(id: ID!): Webhook!",
                "webhookDeliveries(id: ID!,cursor: String,limit: Int): WebhookDeliveryPage!",
                "webhooks(cursor: String,limit: Int): WebhookPage!",
                "workflow(id: ID!): Workflow!",
                "workflowPreview(subject: String, body: String!, timeZone: String, \
                 language: String): WorkflowPreview!",
                "workflows: [Workflow!]!",
            ]
        );
        let mutation = root_fields(&sdl, "Mutation");
        assert_eq!(
            mutation,
            [
                "addStakeholder(customerId: ID!,input: StakeholderInput!): Stakeholder!",
                "addTeamMember(teamId: ID!,userId: ID!,role: String): TeamMembership!",
                "cancelBooking(uid: String!,cancellationReason: String,seatUid: String): Booking!",
                "cancelRecurringBookings(uid: String!,cancellationReason: String): [Booking!]!",
                "chooseCalendars(installationId: ID!, checked: [String!]!, destination: String): \
                 [ConnectedCalendar!]!",
                "configurePlugin(id: ID!, settings: [PluginSettingInput!]!): PluginInstallation!",
                "confirmBooking(uid: String!): Booking!",
                "connectApiKey(plugin: String!,apiKey: String!,accountLabel: String): Connection!",
                "createBooking(input: CreateBookingInput!): Booking!",
                "createCustomer(input: CustomerInput!): Customer!",
                "createEventType(input: EventTypeInput!): EventType!",
                "createOutOfOffice(input: OutOfOfficeInput!): OutOfOffice!",
                "createRecurringBooking(input: CreateBookingInput!): [Booking!]!",
                "createRoutingForm(input: RoutingFormInput!): RoutingForm!",
                "createSchedule(input: ScheduleInput!): Schedule!",
                "createSchedulingLink(input: SchedulingLinkInput!): SchedulingLink!",
                "createTeam(input: TeamInput!): Team!",
                "createTeamEventType(teamId: ID!,input: EventTypeInput!,schedulingType: String!,\
                 hosts: [TeamHostInput!],assignAllTeamMembers: Boolean): EventType!",
                "createWebhook(input: WebhookInput!): Webhook!",
                "createWorkflow(input: WorkflowInput!): Workflow!",
                "declineBooking(uid: String!,reason: String): Booking!",
                "deleteCustomer(id: ID!): ID!",
                "deleteEventType(id: ID!): ID!",
                "deleteOutOfOffice(id: ID!): ID!",
                "deleteRoutingForm(id: ID!): ID!",
                "deleteSchedule(id: ID!): ID!",
                "deleteTeamEventType(teamId: ID!, id: ID!): ID!",
                "deleteWebhook(id: ID!): ID!",
                "deleteWorkflow(id: ID!): ID!",
                "eraseStakeholder(id: ID!): StakeholderErasure!",
                "installPlugin(plugin: String!,settings: [PluginSettingInput!]! = [],ownerId: ID\
                 ): PluginInstallation!",
                "linkMeeting(bookingUid: String!,customerId: ID!,stakeholderId: ID,\
                 attendeeEmail: String): [MeetingLink!]!",
                "markAbsent(uid: String!,attendees: [PresenceInput!]!): Booking!",
                "markNotificationRead(id: ID!): Notification!",
                "pingWebhook(id: ID!): WebhookPing!",
                "reassignBooking(uid: String!): Booking!",
                "removeStakeholder(id: ID!): ID!",
                "removeTeamMember(teamId: ID!, userId: ID!): ID!",
                "replayInboundEvent(id: ID!): InboundEvent!",
                "replayWebhookDeliveries(id: ID!,deliveryId: ID): Int!",
                "rescheduleBooking(uid: String!,input: RescheduleBookingInput!): Booking!",
                "resyncPlugin(id: ID!): PluginInstallation!",
                "revokeConnection(id: ID!): Connection!",
                "revokeSchedulingLink(id: ID!): SchedulingLink!",
                "runCommand(text: String!): CommandAnswer!",
                "setAutoCreateStakeholders(on: Boolean!): Boolean!",
                "setHealthWeights(input: HealthWeightsInput!): HealthWeights!",
                "setMeetingCategory(eventTypeId: ID!,category: String): String",
                "setMyBookingLimits(input: HostLimitsInput!): HostLimits!",
                "setPluginEnabled(id: ID!, enabled: Boolean!): PluginInstallation!",
                "setRecommendationThresholds(input: RecommendationThresholdsInput!): \
                 RecommendationThresholds!",
                "setTeamCalendarSync(teamId: ID!, enabled: Boolean!): Team!",
                "submitRoutingForm(id: ID!,responses: JSON!,start: String,end: String,\
                 timeZone: String,skipContactOwner: Boolean! = false): FormSubmission!",
                "uninstallPlugin(id: ID!): ID!",
                "updateCustomer(id: ID!,input: CustomerInput!): Customer!",
                "updateEventType(id: ID!,input: EventTypeInput!): EventType!",
                "updateOutOfOffice(id: ID!, input: OutOfOfficeInput!): OutOfOffice!",
                "updateRoutingForm(id: ID!, input: RoutingFormInput!): RoutingForm!",
                "updateSchedule(id: ID!,input: ScheduleInput!): Schedule!",
                "updateStakeholder(id: ID!,input: StakeholderInput!): Stakeholder!",
                "updateTeamEventType(teamId: ID!,id: ID!,input: EventTypeInput,schedulingType: String,\
                 hosts: [TeamHostInput!],assignAllTeamMembers: Boolean): EventType!",
                "updateWebhook(id: ID!,input: WebhookInput!): Webhook!",
                "updateWorkflow(id: ID!, input: WorkflowInput!): Workflow!",
                "upgradePlugin(id: ID!): PluginInstallation!",
            ]
        );
        assert!(
            !sdl.contains("id: Int") && !sdl.contains("Id: Int"),
            "ids must be ID, not Int"
        );
    }

    #[tokio::test]
    async fn anonymous_callers_are_refused_where_rest_refuses_them() {
        let db = crate::store::connect("sqlite::memory:")
            .await
            .expect("an in-memory database");
        let schema = schema(App::new(db, Default::default()));
        let response = schema
            .execute(
                async_graphql::Request::new("{ eventTypes { items { id } } }").data(None::<Caller>),
            )
            .await;
        let body = serde_json::to_value(&response).expect("serializable");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHORIZED");
        assert_eq!(body["errors"][0]["path"][0], "eventTypes");
    }

    #[tokio::test]
    async fn queries_past_the_depth_limit_are_refused() {
        let schema = builder().finish();
        let deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }";
        let mut response = schema.execute(deep).await;
        assert!(!response.errors.is_empty(), "a query nested 11 deep runs");
        error::ensure_codes(&mut response.errors);
        let body = serde_json::to_value(&response).expect("serializable");
        assert_eq!(body["errors"][0]["message"], "Query is nested too deep.");
        assert_eq!(body["errors"][0]["extensions"]["code"], "INVALID_REQUEST");
    }
}

//! The caller's own booking limits across all their event types (REST
//! `/v2/me/booking-limits`).

use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::app;
use super::caller;
use super::error::GqlResult;
use super::event_types::{BookingLimits, BookingLimitsInput};
use crate::app::host_limits::{self, HostLimitsInput as AppInput};
use crate::domain::host_limits::HostLimits as DomainLimits;

/// A host's limits over all their event types, counted in their own zone.
#[derive(Debug, Clone, SimpleObject)]
pub struct HostLimits {
    /// Max bookings per day, week, month, year.
    pub booking_limits_count: BookingLimits,
    /// Max booked minutes per day and week.
    pub booking_limits_duration: BookingLimits,
}

impl From<DomainLimits> for HostLimits {
    fn from(l: DomainLimits) -> HostLimits {
        HostLimits {
            booking_limits_count: l.count.into(),
            booking_limits_duration: l.duration.into(),
        }
    }
}

/// Limits to set; a kind left out is removed.
#[derive(Debug, Clone, InputObject)]
pub struct HostLimitsInput {
    /// Max bookings per day, week, month, year.
    pub booking_limits_count: Option<BookingLimitsInput>,
    /// Max booked minutes per day and week.
    pub booking_limits_duration: Option<BookingLimitsInput>,
}

/// Host limit queries.
#[derive(Default)]
pub struct HostLimitsQuery;

#[Object]
impl HostLimitsQuery {
    /// The caller's own booking limits.
    async fn my_booking_limits(&self, ctx: &Context<'_>) -> GqlResult<HostLimits> {
        Ok(host_limits::get(app(ctx)?, caller(ctx)?).await?.into())
    }
}

/// Host limit changes.
#[derive(Default)]
pub struct HostLimitsMutation;

#[Object]
impl HostLimitsMutation {
    /// Replaces the caller's own booking limits.
    async fn set_my_booking_limits(
        &self,
        ctx: &Context<'_>,
        input: HostLimitsInput,
    ) -> GqlResult<HostLimits> {
        let input = AppInput {
            booking_limits_count: input.booking_limits_count.map(Into::into),
            booking_limits_duration: input.booking_limits_duration.map(Into::into),
        };
        Ok(host_limits::set(app(ctx)?, caller(ctx)?, input)
            .await?
            .into())
    }
}

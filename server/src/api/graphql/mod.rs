//! GraphQL at `/graphql`.

use axum::Router;

use crate::app::App;

/// GraphQL routes.
pub fn router(_app: App) -> Router {
    Router::new()
}

//! Local HTTP fakes of outside providers: real servers on 127.0.0.1 that behave as the
//! providers' public documentation says, including their errors, so tests drive the
//! real client code over real HTTP. Part of the test suite, not of the product.

pub mod example;
pub mod google;
pub mod microsoft;
pub mod oauth;
pub mod twilio;

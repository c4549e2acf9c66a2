//! `POST` with `X-HTTP-Method-Override: PATCH` is a `PATCH`: WeChat's
//! `wx.request` cannot send PATCH (its methods are OPTIONS, GET, HEAD, POST,
//! PUT, DELETE, TRACE, CONNECT), so a mini-program edits this way. Only a
//! `POST` may be overridden and only to `PATCH`; any other override answers
//! 400 `INVALID_PARAMETER` rather than being ignored (a request silently
//! treated as a POST could create instead of edit).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::HeaderName;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

use crate::platform::error::{ApiError, ErrorCode};

pub const HEADER: HeaderName = HeaderName::from_static("x-http-method-override");

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if let Some(value) = req.headers().get(&HEADER) {
        let wanted = value.to_str().ok().map(|v| v.trim().to_ascii_uppercase());
        if req.method() == Method::POST && wanted.as_deref() == Some("PATCH") {
            req.head_mut().method = Method::PATCH;
        } else {
            let error = ApiError::new(ErrorCode::InvalidParameter)
                .with_detail("X-HTTP-Method-Override 只能用于 POST 请求，且取值只能是 PATCH。");
            let (http_req, _) = req.into_parts();
            let res = error.error_response();
            return Ok(ServiceResponse::new(http_req, res).map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

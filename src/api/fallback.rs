//! Unknown routes (404) and known paths with another method (405 with `Allow`).

use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::api::openapi::RouteTable;
use crate::platform::error::{ApiError, ErrorCode};

pub async fn not_found(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    Err(match routes.allowed(req.path()) {
        Some(methods) => {
            let allow = methods.join(", ");
            let mut e = ApiError::new(ErrorCode::MethodNotAllowed).with_detail(format!(
                "该资源不支持 {} 方法，可用：{allow}。",
                req.method()
            ));
            if let Ok(v) = HeaderValue::from_str(&allow) {
                e = e.with_header(ALLOW, v);
            }
            e
        }
        None => ApiError::new(ErrorCode::NotFound).with_detail("请求的地址不存在。"),
    })
}

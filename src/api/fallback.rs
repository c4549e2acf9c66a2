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
        Some(methods) => method_not_allowed(&req, methods),
        None => ApiError::new(ErrorCode::NotFound).with_detail("请求的地址不存在。"),
    })
}

/// A path parameter that does not parse → 400 `INVALID_PARAMETER`, unless
/// the path is another route's literal path called with a method it does
/// not take (`PATCH /schools/import` reaches `PATCH /schools/{id}`): 405.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, req| {
        let routes = req.app_data::<web::Data<RouteTable>>();
        if let Some(methods) = routes.and_then(|r| r.literal(req.path()))
            && !methods.contains(&req.method().as_str())
        {
            return method_not_allowed(req, methods).into();
        }
        ApiError::new(ErrorCode::InvalidParameter)
            .with_detail("路径参数无效。")
            .with_cause(anyhow::anyhow!("{err}"))
            .into()
    })
}

fn method_not_allowed(req: &HttpRequest, methods: &[&str]) -> ApiError {
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

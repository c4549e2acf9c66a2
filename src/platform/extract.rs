//! Request extractors that answer problem+json on bad input, and the actix
//! configs that make actix's own extractors do the same.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::platform::error::{ApiError, ErrorCode, FieldError};

/// A JSON body, deserialized and validated. Malformed JSON → 400
/// `MALFORMED_JSON`; a field of the wrong type, a missing field or a broken
/// rule → 422 `VALIDATION_FAILED` with a JSON pointer per field; a body over
/// the limit → 413; another content type → 415.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T> std::ops::Deref for ValidJson<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

const DEFAULT_LIMIT: usize = 256 * 1024;

/// A body that could not be read: too slow (408, see
/// [`crate::platform::client`]) or broken off (400).
pub fn payload_error(e: actix_web::error::PayloadError) -> ApiError {
    if crate::platform::client::is_body_timeout(&e) {
        return ApiError::new(ErrorCode::RequestTimeout);
    }
    ApiError::new(ErrorCode::MalformedJson)
        .with_detail("请求内容读取失败。")
        .with_cause(anyhow::anyhow!("payload error: {e}"))
}

/// Body limits of the process (app data), read by the extractors.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// Largest JSON body accepted, in bytes.
    pub json: usize,
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<BodyLimits>>()
            .map(|l| l.json)
            .unwrap_or(DEFAULT_LIMIT);
        let content_type_ok = is_json_content_type(req);
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::new(ErrorCode::UnsupportedMediaType));
            }
            if declared_len.is_some_and(|n| n > limit) {
                return Err(too_large(limit));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(payload_error)?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            let value = parse_json::<T>(&body)?;
            value.validate()?;
            Ok(ValidJson(value))
        })
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge)
        .with_detail(format!("请求内容过大，不能超过 {} KB。", limit / 1024))
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(ct) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Integral numbers written with a fraction (`433.0`, `2e3`) become integers:
/// JSON Schema counts them as integers (and a client's number type may
/// print them so), serde's integer fields would refuse them.
/// Answers whether it changed anything.
fn integral_floats_as_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                #[allow(clippy::cast_possible_truncation)] // integral and within ±2^53
                let i = f as i64;
                *value = Value::from(i);
                return true;
            }
            false
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| integral_floats_as_integers(v) | changed),
        Value::Object(members) => members
            .values_mut()
            .fold(false, |changed, v| integral_floats_as_integers(v) | changed),
        _ => false,
    }
}

/// Deserializes JSON, telling syntax errors (400) from data errors (422 with a pointer).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(ErrorCode::MalformedJson).with_detail("请求内容为空。"));
    }
    // The body as sent, straight into `T` (so a duplicated field is refused,
    // as serde's derive does); only when that fails on the data and the body
    // has integral floats, once more with them as integers.
    let mut de = serde_json::Deserializer::from_slice(body);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    if result.is_ok() {
        de.end().map_err(malformed)?;
    } else if let Err(e) = &result
        && e.inner().classify() == serde_json::error::Category::Data
    {
        let mut value: serde_json::Value = serde_json::from_slice(body).map_err(malformed)?;
        if integral_floats_as_integers(&mut value)
            && let Ok(v) = serde_json::from_value::<T>(value)
        {
            return Ok(v);
        }
    }
    match result {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().clone();
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let pointer = path_to_pointer(&path);
                    let (pointer, code) = missing_field(&inner.to_string())
                        .map(|f| {
                            let p = if pointer == "/" {
                                format!("/{f}")
                            } else {
                                format!("{pointer}/{f}")
                            };
                            (p, "required")
                        })
                        .unwrap_or((pointer, "type"));
                    let text = inner.to_string();
                    let (code, message) = match read_field_rule(&text) {
                        Some((rule, message)) if code != "required" => (rule, message),
                        _ if code == "required" => (code, "此项必填。".to_owned()),
                        _ => (code, "类型或取值不正确。".to_owned()),
                    };
                    Err(
                        ApiError::validation(vec![FieldError::new(&pointer, code, message)])
                            .with_cause(anyhow::anyhow!("{inner}")),
                    )
                }
                _ => Err(malformed(inner)),
            }
        }
    }
}

fn malformed(e: serde_json::Error) -> ApiError {
    ApiError::new(ErrorCode::MalformedJson)
        .with_detail(format!(
            "请求内容不是有效的 JSON（第 {} 行第 {} 列）。",
            e.line(),
            e.column()
        ))
        .with_cause(e)
}

const FIELD_RULE: &str = "field rule ";

/// A deserialization error that names the rule a field broke and the
/// message to show (e.g. a date out of range): [`parse_json`] answers it at
/// the field's pointer with this code and message, instead of `type`.
pub fn field_rule<E: serde::de::Error>(code: &str, message: &str) -> E {
    E::custom(format!("{FIELD_RULE}{code}: {message}"))
}

/// The code and message of a [`field_rule`] error, without serde_json's
/// position suffix.
fn read_field_rule(text: &str) -> Option<(&str, String)> {
    let rest = text.strip_prefix(FIELD_RULE)?;
    let (code, message) = rest.split_once(": ")?;
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    Some((code, message.to_owned()))
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        out.push('/');
        match seg {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => out.push_str(variant),
            Segment::Unknown => out.push('?'),
        }
    }
    if out.is_empty() { "/".to_owned() } else { out }
}

/// Error handlers so that actix's `Query` and `Json` extractors (and
/// the API layer's `path_config` for `Path`)
/// answer problem+json like the rest of the API.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let mut e = ApiError::new(ErrorCode::InvalidParameter).with_detail("查询参数无效。");
        let msg = err.to_string();
        if let Some(field) = missing_field(msg.rsplit(": ").next().unwrap_or_default()) {
            e.errors.push(FieldError::new(
                &format!("/{field}"),
                "required",
                "此项必填。",
            ));
        }
        e.with_cause(anyhow::anyhow!("{msg}")).into()
    })
}

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| {
            use actix_web::error::JsonPayloadError as J;
            let e = match &err {
                J::OverflowKnownLength { .. } | J::Overflow { .. } => {
                    ApiError::new(ErrorCode::PayloadTooLarge)
                }
                J::ContentType => ApiError::new(ErrorCode::UnsupportedMediaType),
                J::Deserialize(d) if d.classify() == serde_json::error::Category::Data => {
                    ApiError::validation(vec![FieldError::new("/", "type", d.to_string())])
                }
                _ => ApiError::new(ErrorCode::MalformedJson),
            };
            e.with_cause(anyhow::anyhow!("{err}")).into()
        })
}

/// The `Idempotency-Key` header, when given (1–255 visible ASCII characters).
#[derive(Clone, Debug, Default)]
pub struct IdempotencyKey(pub Option<String>);

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match req.headers().get(IDEMPOTENCY_KEY) {
            None => Ok(Self(None)),
            Some(v) => match v.to_str() {
                Ok(s)
                    if !s.is_empty()
                        && s.len() <= 255
                        && s.bytes().all(|b| b.is_ascii_graphic()) =>
                {
                    Ok(Self(Some(s.to_owned())))
                }
                _ => Err(ApiError::new(ErrorCode::IdempotencyKeyInvalid).with_detail(
                    "Idempotency-Key 须为 1–255 个可见 ASCII 字符（建议使用 UUID）。",
                )),
            },
        })
    }
}

/// A raw request body of at most `LIMIT` bytes (for CSV uploads).
pub struct RawBody<const LIMIT: usize>(pub web::Bytes);

impl<const LIMIT: usize> FromRequest for RawBody<LIMIT> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared_len.is_some_and(|n| n > LIMIT) {
                return Err(too_large(LIMIT));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(payload_error)?;
                if body.len() + chunk.len() > LIMIT {
                    return Err(too_large(LIMIT));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(RawBody(body.freeze()))
        })
    }
}

/// A file sent either as the whole body (e.g. `text/csv`) or as the `file`
/// part of a `multipart/form-data` body (what `wx.uploadFile` and a browser
/// form send); any other part is refused (422 naming it), as a JSON body's
/// unknown field is. At most `LIMIT` bytes of
/// file (413 beyond); a broken multipart body → 400 `MALFORMED_MULTIPART`;
/// a multipart body without a `file` part → 422 on `/file`.
pub struct FileOrBody<const LIMIT: usize>(pub web::Bytes);

impl<const LIMIT: usize> FromRequest for FileOrBody<LIMIT> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/form-data")
            });
        if !is_multipart {
            let raw = RawBody::<LIMIT>::from_request(req, payload);
            return Box::pin(async move { raw.await.map(|RawBody(b)| Self(b)) });
        }
        // The form's overhead (boundaries, part headers) on top of the file.
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut mp = actix_multipart::Multipart::new(req.headers(), payload.take());
        Box::pin(async move {
            if declared_len.is_some_and(|n| n > LIMIT + 64 * 1024) {
                return Err(too_large(LIMIT));
            }
            let broken = |e: actix_multipart::MultipartError| {
                ApiError::new(ErrorCode::MalformedMultipart)
                    .with_detail("上传内容格式不正确，请以 multipart/form-data 上传 file 字段。")
                    .with_cause(anyhow::anyhow!("multipart: {e}"))
            };
            let mut file: Option<web::BytesMut> = None;
            while let Some(field) = mp.next().await {
                let mut field = field.map_err(broken)?;
                let name = field.name().unwrap_or_default().to_owned();
                if name != "file" || file.is_some() {
                    let pointer = format!("/{}", name.replace('~', "~0").replace('/', "~1"));
                    return Err(ApiError::validation(vec![FieldError::new(
                        &pointer,
                        "unknown",
                        "表单只能包含一个 file 字段。",
                    )]));
                }
                let mut buf = web::BytesMut::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(broken)?;
                    if buf.len() + chunk.len() > LIMIT {
                        return Err(too_large(LIMIT));
                    }
                    buf.extend_from_slice(&chunk);
                }
                file = Some(buf);
            }
            match file {
                Some(b) => Ok(Self(b.freeze())),
                None => Err(ApiError::validation(vec![FieldError::new(
                    "/file",
                    "required",
                    "请选择要上传的文件（表单字段 file）。",
                )])),
            }
        })
    }
}

/// The `If-Match` header, when given: the ETag of the view a change was
/// decided on (see [`crate::platform::decision`]). A value that is not
/// visible ASCII answers 400 `INVALID_PARAMETER`.
#[derive(Clone, Debug, Default)]
pub struct IfMatch(pub Option<String>);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match req.headers().get(header::IF_MATCH) {
            None => Ok(Self(None)),
            Some(v) => match v.to_str() {
                Ok(s) if !s.trim().is_empty() => Ok(Self(Some(s.trim().to_owned()))),
                _ => Err(ApiError::new(ErrorCode::InvalidParameter)
                    .with_detail("If-Match 请求头格式无效，请填写读取时得到的 ETag。")),
            },
        })
    }
}

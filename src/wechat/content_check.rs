//! WeChat content security for user text that others will read (SPEC §C):
//! article titles, nomination stories, objections. Where WeChat credentials
//! are configured, the text goes through `msgSecCheck` v2: `risky` is refused
//! with 422 `CONTENT_RISKY` pointing at the field; `review` is accepted and
//! reported, so the secretariat (who reviews articles, nominations and
//! objections anyway) sees it flagged. Without credentials (development)
//! every text passes.

use crate::platform::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::wechat::{Suggest, WeChat};

/// WeChat's scene numbers: 2 is a comment (objections), 3 a forum post (titles, stories).
pub const SCENE_COMMENT: u8 = 2;
pub const SCENE_FORUM: u8 = 3;

/// What the check said of an accepted text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Passed, or no check configured.
    Pass,
    /// Accepted, but a person should look at it.
    NeedsReview,
}

/// Checks `text` written by the member with `openid`; `pointer` names the
/// field in the request for the 422.
pub async fn check(
    wechat: Option<&WeChat>,
    openid: &str,
    scene: u8,
    text: &str,
    pointer: &str,
) -> ApiResult<Verdict> {
    let Some(wechat) = wechat else {
        return Ok(Verdict::Pass);
    };
    if text.trim().is_empty() {
        return Ok(Verdict::Pass);
    }
    match wechat.msg_sec_check(openid, scene, text).await? {
        Suggest::Pass => Ok(Verdict::Pass),
        Suggest::Review => Ok(Verdict::NeedsReview),
        Suggest::Risky => {
            let mut e = ApiError::validation(vec![FieldError::new(
                pointer,
                "content_risky",
                "内容未通过微信内容安全检测，请修改后再提交。",
            )]);
            e.code = ErrorCode::ContentRisky;
            Err(e.with_detail("内容未通过微信内容安全检测，请修改后再提交。"))
        }
    }
}

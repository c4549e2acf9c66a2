//! Codes from the mini-program (`wx.login()`, the `getPhoneNumber` button):
//! WeChat exchanges them; in development without WeChat credentials,
//! `dev:<value>` stands in for one.

use crate::wechat::WeChat;

/// Who exchanges a code, as the server is configured.
#[derive(Clone, Copy, Debug)]
pub struct CodeExchange<'a> {
    /// The WeChat client; absent when no WeChat app is configured.
    pub wechat: Option<&'a WeChat>,
    /// Whether `dev:<value>` codes are accepted (development without WeChat).
    pub dev_codes: bool,
}

/// What a code is, once routed.
pub enum Code<'a> {
    /// `dev:<value>` in development: the value itself.
    Dev(&'a str),
    /// A code for WeChat to exchange.
    WeChat(&'a WeChat, &'a str),
    /// Neither: WeChat is not configured and the code is no development code.
    Unconfigured,
}

impl<'a> CodeExchange<'a> {
    /// Routes a (trimmed) code: a development code when those are accepted,
    /// else WeChat's when WeChat is configured.
    pub fn route<'c>(&self, code: &'c str) -> Code<'c>
    where
        'a: 'c,
    {
        match (code.strip_prefix("dev:"), self.dev_codes, self.wechat) {
            (Some(value), true, _) => Code::Dev(value),
            (_, _, Some(wechat)) => Code::WeChat(wechat, code),
            _ => Code::Unconfigured,
        }
    }
}

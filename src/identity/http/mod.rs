//! Identity's HTTP surface.

pub mod auth;
pub mod invitations;
pub mod me;
pub mod members;

use secrecy::ExposeSecret;

use crate::identity::codes::CodeExchange;
use crate::state::AppState;

/// Who exchanges the mini-program's codes, as this server is configured.
fn code_exchange(state: &AppState) -> CodeExchange<'_> {
    CodeExchange {
        wechat: state.wechat.as_ref(),
        dev_codes: state.settings.dev_login_enabled(),
    }
}

/// The key that signs access tokens.
fn jwt_secret(state: &AppState) -> &[u8] {
    state.settings.jwt_secret.expose_secret().as_bytes()
}

//! The route table: every area's handlers, registered with `.service(...)`
//! inside a utoipa scope so that each lands in the spec; the OpenAPI
//! assembly; operations endpoints and the fallback.

pub mod fallback;
pub mod meta;
pub mod openapi;
pub mod ops;
pub mod problem;
pub mod query;

use utoipa::openapi::RefOr;
use utoipa::openapi::path::Paths;
use utoipa::openapi::schema::Schema;
use utoipa_actix_web::OpenApiFactory;
use utoipa_actix_web::service_config::ServiceConfig;

/// All routes: operations at the root, the API under `/api/v1` — with each
/// handler's part of the spec (what [`openapi::document`] assembles).
pub fn configure(cfg: &mut ServiceConfig) {
    root(cfg);
    cfg.service(utoipa_actix_web::scope("/api/v1").configure(api_v1));
}

/// The same routes, in the same order, for serving: plain actix, so an HTTP
/// worker does not build every operation's part of the spec again only to
/// throw it away (the spec is built once, by [`openapi::document`]).
pub fn serve(cfg: &mut actix_web::web::ServiceConfig) {
    root_serve(cfg);
    cfg.service(actix_web::web::scope("/api/v1").configure(api_v1_serve));
}

/// Declares a group of handlers once: `$register` adds them to a
/// [`ServiceConfig`] (routes and spec), `$serve` to an actix one (routes
/// only), `$each` describes each one (its operations and the schemas it
/// publishes), so a test can find two Rust types publishing one schema name
/// — utoipa keeps only one of them, silently.
macro_rules! handlers {
    ($register:ident, $serve:ident, $each:ident: $($handler:path),* $(,)?) => {
        fn $register(cfg: &mut ServiceConfig) {
            $(cfg.service($handler);)*
        }

        fn $serve(cfg: &mut actix_web::web::ServiceConfig) {
            $(cfg.service($handler);)*
        }

        fn $each(out: &mut Vec<Published>) {
            $({
                let mut schemas = Vec::new();
                OpenApiFactory::schemas(&$handler, &mut schemas);
                out.push(Published {
                    handler: stringify!($handler),
                    paths: OpenApiFactory::paths(&$handler),
                    schemas,
                });
            })*
        }
    };
}

/// What one handler contributes to the spec.
pub struct Published {
    pub handler: &'static str,
    /// Its operations (paths relative to its scope).
    pub paths: Paths,
    /// The schemas it publishes, by name (with those they refer to).
    pub schemas: Vec<(String, RefOr<Schema>)>,
}

/// Every handler's contribution, as the handlers declare them.
pub fn published() -> Vec<Published> {
    let mut out = Vec::new();
    root_each(&mut out);
    api_v1_each(&mut out);
    out
}

handlers!(root, root_serve, root_each: ops::healthz, ops::readyz, ops::metrics, ops::openapi_json);

handlers!(
    api_v1,
    api_v1_serve,
    api_v1_each:
    meta::server_info,
    crate::identity::http::auth::login,
    crate::identity::http::auth::refresh,
    crate::identity::http::auth::logout,
    crate::identity::http::me::get_me,
    crate::identity::http::me::patch_me,
    crate::identity::http::me::bind_phone,
    crate::notifications::http::list_notifications,
    crate::notifications::http::unread_count,
    crate::notifications::http::mark_read,
    crate::notifications::http::mark_all_read,
    crate::notifications::http::list_subscriptions,
    crate::notifications::http::accept_subscriptions,
    crate::identity::http::invitations::redeem,
    crate::organisation::http::list_districts,
    crate::organisation::http::create_district,
    crate::organisation::http::update_district,
    crate::organisation::http::list_schools,
    crate::organisation::http::create_school,
    crate::organisation::http::import_schools,
    crate::organisation::http::update_school,
    crate::identity::http::invitations::create_invitation,
    crate::identity::http::invitations::list_invitations,
    crate::identity::http::invitations::revoke_invitation,
    crate::identity::http::members::list_members,
    crate::identity::http::members::get_member,
    crate::identity::http::members::put_roles,
    crate::audit::http::list_audit,
    crate::honours::http::standings::get_standings,
    crate::honours::http::standings::standings_xlsx,
    crate::honours::http::standings::notice_xlsx,
    crate::honours::http::standings::put_settings,
    crate::honours::http::notice::publish_notice,
    crate::honours::http::notice::get_notice,
    crate::honours::http::notice::file_objection,
    crate::honours::http::notice::list_objections,
    crate::honours::http::notice::resolve_objection,
    crate::honours::http::eligibility::get_school_eligibility,
    crate::honours::http::eligibility::put_school_eligibility,
    crate::honours::http::eligibility::list_school_eligibility,
    crate::honours::http::eligibility::batch_school_eligibility,
    crate::honours::http::eligibility::get_individual_eligibility,
    crate::honours::http::eligibility::put_individual_eligibility,
    crate::honours::http::eligibility::list_individual_eligibility,
    crate::honours::http::eligibility::batch_individual_eligibility,
    crate::honours::http::people::list_authors,
    crate::honours::http::people::merge_authors,
    crate::honours::http::proposal::build_proposal,
    crate::honours::http::proposal::get_proposal,
    crate::honours::http::proposal::patch_proposal,
    crate::honours::http::proposal::submit_proposal,
    crate::honours::http::proposal::approve_proposal,
    crate::honours::http::proposal::return_proposal,
    crate::honours::http::proposal::get_honours,
    crate::nominations::http::campaigns::list_campaigns,
    crate::nominations::http::campaigns::create_campaign,
    crate::nominations::http::campaigns::get_campaign,
    crate::nominations::http::campaigns::update_campaign,
    crate::nominations::http::campaigns::create_late_grant,
    crate::nominations::http::campaigns::create_nomination,
    crate::nominations::http::campaigns::list_nominations,
    crate::nominations::http::campaigns::forward,
    crate::nominations::http::campaigns::export_zip,
    crate::nominations::http::nominations::get_nomination,
    crate::nominations::http::nominations::patch_nomination,
    crate::nominations::http::nominations::delete_nomination,
    crate::nominations::http::nominations::submit,
    crate::nominations::http::nominations::withdraw,
    crate::nominations::http::nominations::upload_attachment,
    crate::nominations::http::nominations::get_attachment,
    crate::nominations::http::nominations::replace_attachment,
    crate::nominations::http::nominations::delete_attachment,
    crate::nominations::http::nominations::form_docx,
    crate::nominations::http::nominations::review,
    crate::articles::http::sources::list_sources,
    crate::articles::http::sources::create_source,
    crate::articles::http::sources::update_source,
    crate::articles::http::articles::submit_article,
    crate::articles::http::articles::list_articles,
    crate::articles::http::articles::get_article,
    crate::articles::http::articles::withdraw_article,
    crate::articles::http::articles::review_article,
    crate::articles::http::articles::review_articles,
    crate::articles::http::articles::merge_article,
    crate::articles::http::articles::rerun_verification,
);

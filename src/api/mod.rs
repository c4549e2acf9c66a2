//! The route table: every area's handlers, registered with `.service(...)`
//! inside a utoipa scope so that each lands in the spec; the OpenAPI
//! assembly; operations endpoints and the fallback.

pub mod fallback;
pub mod meta;
pub mod openapi;
pub mod ops;

use utoipa_actix_web::service_config::ServiceConfig;

/// All routes: operations at the root, the API under `/api/v1`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics)
        .service(ops::openapi_json)
        .service(utoipa_actix_web::scope("/api/v1").configure(api_v1));
}

fn api_v1(cfg: &mut ServiceConfig) {
    cfg.service(meta::server_info)
        .service(crate::identity::http::auth::login)
        .service(crate::identity::http::auth::refresh)
        .service(crate::identity::http::auth::logout)
        .service(crate::identity::http::me::get_me)
        .service(crate::identity::http::me::patch_me)
        .service(crate::identity::http::me::bind_phone)
        .service(crate::identity::http::invitations::redeem)
        .service(crate::organisation::http::list_districts)
        .service(crate::organisation::http::create_district)
        .service(crate::organisation::http::update_district)
        .service(crate::organisation::http::list_schools)
        .service(crate::organisation::http::create_school)
        .service(crate::organisation::http::import_schools)
        .service(crate::organisation::http::update_school)
        .service(crate::identity::http::invitations::create_invitation)
        .service(crate::identity::http::invitations::list_invitations)
        .service(crate::identity::http::invitations::revoke_invitation)
        .service(crate::identity::http::members::list_members)
        .service(crate::identity::http::members::get_member)
        .service(crate::identity::http::members::put_roles)
        .service(crate::audit::http::list_audit)
        .service(crate::honours::http::standings::get_standings)
        .service(crate::honours::http::standings::standings_xlsx)
        .service(crate::honours::http::standings::put_settings)
        .service(crate::honours::http::notice::publish_notice)
        .service(crate::honours::http::notice::get_notice)
        .service(crate::honours::http::notice::file_objection)
        .service(crate::honours::http::notice::list_objections)
        .service(crate::honours::http::notice::resolve_objection)
        .service(crate::honours::http::proposal::get_school_eligibility)
        .service(crate::honours::http::proposal::put_school_eligibility)
        .service(crate::honours::http::proposal::get_individual_eligibility)
        .service(crate::honours::http::proposal::put_individual_eligibility)
        .service(crate::honours::http::proposal::build_proposal)
        .service(crate::honours::http::proposal::get_proposal)
        .service(crate::honours::http::proposal::patch_proposal)
        .service(crate::honours::http::proposal::submit_proposal)
        .service(crate::honours::http::proposal::approve_proposal)
        .service(crate::honours::http::proposal::return_proposal)
        .service(crate::honours::http::proposal::get_honours)
        .service(crate::nominations::http::campaigns::list_campaigns)
        .service(crate::nominations::http::campaigns::create_campaign)
        .service(crate::nominations::http::campaigns::get_campaign)
        .service(crate::nominations::http::campaigns::update_campaign)
        .service(crate::nominations::http::campaigns::create_late_grant)
        .service(crate::nominations::http::campaigns::create_nomination)
        .service(crate::nominations::http::campaigns::list_nominations)
        .service(crate::nominations::http::campaigns::forward)
        .service(crate::nominations::http::campaigns::export_zip)
        .service(crate::nominations::http::nominations::get_nomination)
        .service(crate::nominations::http::nominations::patch_nomination)
        .service(crate::nominations::http::nominations::submit)
        .service(crate::nominations::http::nominations::withdraw)
        .service(crate::nominations::http::nominations::upload_attachment)
        .service(crate::nominations::http::nominations::get_attachment)
        .service(crate::nominations::http::nominations::delete_attachment)
        .service(crate::nominations::http::nominations::form_docx)
        .service(crate::nominations::http::nominations::review)
        .service(crate::articles::http::sources::list_sources)
        .service(crate::articles::http::sources::create_source)
        .service(crate::articles::http::sources::update_source)
        .service(crate::articles::http::articles::submit_article)
        .service(crate::articles::http::articles::list_articles)
        .service(crate::articles::http::articles::get_article)
        .service(crate::articles::http::articles::withdraw_article)
        .service(crate::articles::http::articles::review_article)
        .service(crate::articles::http::articles::merge_article);
}

//! HTTP handlers, one file per area. Every handler is registered with
//! `.service(...)` inside a utoipa scope so that it lands in the spec.

use utoipa_actix_web::service_config::ServiceConfig;

pub mod articles;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod fallback;
pub mod invitations;
pub mod me;
pub mod members;
pub mod meta;
pub mod nominations;
pub mod notice;
pub mod ops;
pub mod org;
pub mod proposal;
pub mod sources;
pub mod standings;

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
        .service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(me::get_me)
        .service(me::patch_me)
        .service(me::bind_phone)
        .service(invitations::redeem)
        .service(org::list_districts)
        .service(org::create_district)
        .service(org::update_district)
        .service(org::list_schools)
        .service(org::create_school)
        .service(org::import_schools)
        .service(org::update_school)
        .service(invitations::create_invitation)
        .service(invitations::list_invitations)
        .service(invitations::revoke_invitation)
        .service(members::list_members)
        .service(members::get_member)
        .service(members::put_roles)
        .service(audit::list_audit)
        .service(standings::get_standings)
        .service(standings::standings_xlsx)
        .service(standings::put_settings)
        .service(notice::publish_notice)
        .service(notice::get_notice)
        .service(notice::file_objection)
        .service(notice::list_objections)
        .service(notice::resolve_objection)
        .service(proposal::put_school_eligibility)
        .service(proposal::put_individual_eligibility)
        .service(proposal::build_proposal)
        .service(proposal::get_proposal)
        .service(proposal::patch_proposal)
        .service(proposal::submit_proposal)
        .service(proposal::approve_proposal)
        .service(proposal::return_proposal)
        .service(proposal::get_honours)
        .service(campaigns::list_campaigns)
        .service(campaigns::create_campaign)
        .service(campaigns::get_campaign)
        .service(campaigns::update_campaign)
        .service(campaigns::create_late_grant)
        .service(campaigns::create_nomination)
        .service(campaigns::list_nominations)
        .service(campaigns::forward)
        .service(campaigns::export_zip)
        .service(nominations::get_nomination)
        .service(nominations::patch_nomination)
        .service(nominations::submit)
        .service(nominations::withdraw)
        .service(nominations::upload_attachment)
        .service(nominations::get_attachment)
        .service(nominations::delete_attachment)
        .service(nominations::form_docx)
        .service(nominations::review)
        .service(sources::list_sources)
        .service(sources::create_source)
        .service(sources::update_source)
        .service(articles::submit_article)
        .service(articles::list_articles)
        .service(articles::get_article)
        .service(articles::withdraw_article)
        .service(articles::review_article)
        .service(articles::merge_article);
}

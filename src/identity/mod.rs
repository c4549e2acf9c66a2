//! Identity: WeChat login, access and refresh tokens, the member's own
//! profile (`/me`, phone binding), members and their roles, invitations.
//! [`principal`] holds the extractors every area's HTTP uses to say who may
//! call it; [`lookup`] names a member for other areas (who decided).

pub mod http;
pub mod lookup;
pub mod phone;
pub mod principal;
pub mod roles;
pub mod tokens;

pub use principal::{
    ArticleReader, Auth, Correspondent, CorrespondentOrSecretariat, Council, DistrictLead,
    Principal, Secretariat, SecretariatOrCouncil,
};

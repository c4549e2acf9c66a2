//! Access: who is calling and what they may do, below every area. The
//! authenticated [`principal`] and the extractors a handler's signature uses
//! to say who may call it (`Secretariat`, `DistrictLead`, …), the [`roles`]
//! and their scopes, the stored [`grants`], the access [`tokens`] and the
//! ones [`revoked`] by logging out.
//! Login, members and invitations — the use cases that create these — are
//! the identity area's.

pub mod grants;
pub mod principal;
pub mod revoked;
pub mod roles;
pub mod tokens;

pub use principal::{
    ArticleReader, Auth, Correspondent, CorrespondentOrSecretariat, Council, DistrictLead,
    Principal, Secretariat, SecretariatOrCouncil,
};

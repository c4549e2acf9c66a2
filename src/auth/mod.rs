//! Tokens: a short-lived access token (JWT HS256) and a refresh token
//! (random, stored hashed, rotated on every use, revoked by family on reuse).

pub mod extract;
pub mod tokens;

pub use extract::{
    ArticleReader, Auth, Correspondent, CorrespondentOrSecretariat, Council, DistrictLead,
    Principal, Secretariat, SecretariatOrCouncil,
};

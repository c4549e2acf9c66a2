//! Roles come from the organisation, never from the client (SPEC §C, §D).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A role a member holds. One member may hold several.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 通讯员 of a school: submits articles.
    Correspondent,
    /// 片区负责人 of a district: files nominations.
    DistrictLead,
    /// 秘书处: manages and reviews everything.
    Secretariat,
    /// 理事会: approves the honours proposal.
    Council,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Correspondent => "correspondent",
            Self::DistrictLead => "district_lead",
            Self::Secretariat => "secretariat",
            Self::Council => "council",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "correspondent" => Some(Self::Correspondent),
            "district_lead" => Some(Self::DistrictLead),
            "secretariat" => Some(Self::Secretariat),
            "council" => Some(Self::Council),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Correspondent => "通讯员",
            Self::DistrictLead => "片区负责人",
            Self::Secretariat => "秘书处",
            Self::Council => "理事会",
        }
    }
}

/// One role with the organisation it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub school_id: Option<i64>,
    pub district_id: Option<i64>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum GrantError {
    SchoolRequired,
    DistrictRequired,
    NoOrganisationExpected,
}

impl Grant {
    /// Checks the shape: a correspondent belongs to a school, a district lead
    /// to a district; secretariat and council to neither.
    pub fn new(
        role: Role,
        school_id: Option<i64>,
        district_id: Option<i64>,
    ) -> Result<Self, GrantError> {
        match role {
            Role::Correspondent if school_id.is_none() => Err(GrantError::SchoolRequired),
            Role::Correspondent if district_id.is_some() => Err(GrantError::NoOrganisationExpected),
            Role::DistrictLead if district_id.is_none() => Err(GrantError::DistrictRequired),
            Role::DistrictLead if school_id.is_some() => Err(GrantError::NoOrganisationExpected),
            Role::Secretariat | Role::Council if school_id.is_some() || district_id.is_some() => {
                Err(GrantError::NoOrganisationExpected)
            }
            _ => Ok(Self {
                role,
                school_id,
                district_id,
            }),
        }
    }

    /// Unique per member and role: `school:5`, `district:3` or empty.
    pub fn scope_key(&self) -> String {
        match (self.school_id, self.district_id) {
            (Some(s), _) => format!("school:{s}"),
            (_, Some(d)) => format!("district:{d}"),
            _ => String::new(),
        }
    }
}

impl GrantError {
    pub fn message(&self) -> &'static str {
        match self {
            Self::SchoolRequired => "通讯员角色须指定学校（school_id）。",
            Self::DistrictRequired => "片区负责人角色须指定片区（district_id）。",
            Self::NoOrganisationExpected => "该角色不应指定此学校或片区。",
        }
    }
}

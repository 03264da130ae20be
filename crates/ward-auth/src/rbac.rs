//! Roles and the one policy function, [`allowed`].
//!
//! Least privilege, denied by default: `allowed` is a single `match` whose arms list what each
//! role may do and whose last arm is `_ => false`. A new role, action or resource is therefore
//! denied everywhere until an arm says otherwise. The crate README shows the same matrix as a
//! table that a test regenerates and compares, so the documentation cannot drift.
//!
//! Some rules are not about the role alone and stay with the caller:
//! - **Ownership**: without `manage` on `token`, a user reads, creates and deletes only their
//!   own API tokens.
//! - **Clinicians see assets of their care unit only** ([`asset_scope`]); the caller filters
//!   lists and refuses single assets outside it.
//! - **Re-authentication** before sensitive actions ([`requires_reauth`], then
//!   [`crate::session::reauth_fresh`]).
//!
//! What holds for every role: findings come from sensors and are never created, edited or
//! deleted by hand (only moved through their lifecycle); the audit trail and the ledger are
//! written by the server alone, never by a user.

use serde::{Deserialize, Serialize};

/// A staff role. Each user has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs Ward: users, sensors, settings, tokens; sees everything but cannot alter the audit
    /// trail.
    Administrator,
    /// Triages findings: acknowledges, resolves, assigns; imports advisories.
    SecurityAnalyst,
    /// Owns the device inventory (clinical engineering) and fixes findings on devices.
    BiomedicalEngineer,
    /// Reads everything, including the audit trail, and exports the audit trail and ledger;
    /// changes nothing.
    Auditor,
    /// Sees what care needs: the devices of their care unit and whether they have open findings;
    /// no evidence, no audit trail, no exports.
    Clinician,
}

/// What a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See it (list or one).
    Read,
    /// Make a new one.
    Create,
    /// Change its fields.
    Update,
    /// Remove it (for tokens: revoke).
    Delete,
    /// Finding lifecycle: seen, being handled.
    Acknowledge,
    /// Finding lifecycle: fixed.
    Resolve,
    /// Finding lifecycle: known and accepted, with a reason (a governance decision).
    AcceptRisk,
    /// Give a finding to someone.
    Assign,
    /// Add a comment.
    Comment,
    /// Take data out of Ward in bulk (CSV, JSON, evidence bundles).
    Export,
    /// Administrative control of the kind: roles and MFA resets for users, approval of sensors,
    /// anyone's tokens, security settings.
    Manage,
}

/// What a request acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// A device in the inventory.
    Asset,
    /// A finding: its title, severity, status, device.
    Finding,
    /// A finding's evidence and detail (which protocol carried credentials or patient data, peers,
    /// packet references): more than care needs.
    FindingEvidence,
    /// A sensor and its registration.
    Sensor,
    /// An API or sensor token.
    Token,
    /// A staff account.
    User,
    /// The audit trail.
    Audit,
    /// A vulnerability advisory, SBOM or KEV entry.
    Advisory,
    /// Server settings.
    Settings,
    /// An export of the tamper-evident ledger (checkpoints and proofs).
    LedgerExport,
}

impl Role {
    /// Every role, in the order of the README table.
    pub const ALL: [Self; 5] = [Self::Administrator, Self::SecurityAnalyst, Self::BiomedicalEngineer, Self::Auditor, Self::Clinician];

    /// The name used in the API, the store and the README.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::SecurityAnalyst => "security_analyst",
            Self::BiomedicalEngineer => "biomedical_engineer",
            Self::Auditor => "auditor",
            Self::Clinician => "clinician",
        }
    }

    /// The role of a stored name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl Action {
    /// Every action.
    pub const ALL: [Self; 11] = [
        Self::Read,
        Self::Create,
        Self::Update,
        Self::Delete,
        Self::Acknowledge,
        Self::Resolve,
        Self::AcceptRisk,
        Self::Assign,
        Self::Comment,
        Self::Export,
        Self::Manage,
    ];

    /// The name used in the API, the store and the README.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Acknowledge => "acknowledge",
            Self::Resolve => "resolve",
            Self::AcceptRisk => "accept_risk",
            Self::Assign => "assign",
            Self::Comment => "comment",
            Self::Export => "export",
            Self::Manage => "manage",
        }
    }

    /// The action of a stored name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl Resource {
    /// Every resource, in the order of the README table.
    pub const ALL: [Self; 10] = [
        Self::Asset,
        Self::Finding,
        Self::FindingEvidence,
        Self::Sensor,
        Self::Token,
        Self::User,
        Self::Audit,
        Self::Advisory,
        Self::Settings,
        Self::LedgerExport,
    ];

    /// The name used in the API, the store and the README.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Asset => "asset",
            Self::Finding => "finding",
            Self::FindingEvidence => "finding_evidence",
            Self::Sensor => "sensor",
            Self::Token => "token",
            Self::User => "user",
            Self::Audit => "audit",
            Self::Advisory => "advisory",
            Self::Settings => "settings",
            Self::LedgerExport => "ledger_export",
        }
    }

    /// The resource of a stored name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// Whether `role` may do `action` on `resource`. Denied unless an arm below allows it.
#[must_use]
pub const fn allowed(role: Role, action: Action, resource: Resource) -> bool {
    use Action as A;
    use Resource as R;
    use Role::{Administrator, Auditor, BiomedicalEngineer, Clinician, SecurityAnalyst};
    match (role, resource, action) {
        // Administrator: everything except writing history (findings are never created or
        // deleted by hand, the audit trail and ledger are append-only by the server).
        (Administrator, R::Asset, A::Read | A::Create | A::Update | A::Delete | A::Comment | A::Export | A::Manage)
        | (Administrator, R::Finding, A::Read | A::Acknowledge | A::Resolve | A::AcceptRisk | A::Assign | A::Comment | A::Export)
        | (Administrator, R::FindingEvidence, A::Read | A::Export)
        | (Administrator, R::Sensor, A::Read | A::Create | A::Update | A::Delete | A::Manage)
        | (Administrator, R::Token, A::Read | A::Create | A::Delete | A::Manage)
        | (Administrator, R::User, A::Read | A::Create | A::Update | A::Delete | A::Manage)
        | (Administrator, R::Audit, A::Read | A::Export)
        | (Administrator, R::Advisory, A::Read | A::Create | A::Update | A::Delete)
        | (Administrator, R::Settings, A::Read | A::Update | A::Manage)
        | (Administrator, R::LedgerExport, A::Read | A::Export) => true,

        // Security analyst: triage. Accepting a risk is left to an administrator (separation of
        // duties: the one who triages does not also sign off the exception).
        (SecurityAnalyst, R::Asset, A::Read | A::Update | A::Comment | A::Export)
        | (SecurityAnalyst, R::Finding, A::Read | A::Acknowledge | A::Resolve | A::Assign | A::Comment | A::Export)
        | (SecurityAnalyst, R::FindingEvidence, A::Read | A::Export)
        | (SecurityAnalyst, R::Sensor | R::User | R::Settings, A::Read)
        | (SecurityAnalyst, R::Token, A::Read | A::Create | A::Delete)
        | (SecurityAnalyst, R::Advisory, A::Read | A::Create | A::Update) => true,

        // Biomedical engineer: the inventory is theirs; they fix findings on their devices.
        (BiomedicalEngineer, R::Asset, A::Read | A::Create | A::Update | A::Comment | A::Export)
        | (BiomedicalEngineer, R::Finding, A::Read | A::Acknowledge | A::Resolve | A::Comment | A::Export)
        | (BiomedicalEngineer, R::FindingEvidence | R::Sensor | R::User | R::Advisory, A::Read)
        | (BiomedicalEngineer, R::Token, A::Read | A::Create | A::Delete) => true,

        // Auditor: reads everything, exports only the audit trail and the ledger.
        (Auditor, _, A::Read) | (Auditor, R::Audit | R::LedgerExport, A::Export) => true,

        // Clinician: the devices of their unit and whether they have findings; nothing more.
        (Clinician, R::Asset | R::Finding, A::Read) => true,

        _ => false,
    }
}

/// Which assets a role sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetScope {
    /// Every asset.
    All,
    /// Only the assets of the user's care unit(s); the caller filters.
    CareUnit,
}

/// Which assets `role` sees.
#[must_use]
pub const fn asset_scope(role: Role) -> AssetScope {
    match role {
        Role::Clinician => AssetScope::CareUnit,
        Role::Administrator | Role::SecurityAnalyst | Role::BiomedicalEngineer | Role::Auditor => AssetScope::All,
    }
}

/// Whether an action needs a recent authentication ([`crate::session::reauth_fresh`]) in a
/// browser session: changing users, tokens, sensors or settings, accepting a risk, and any
/// export.
#[must_use]
pub const fn requires_reauth(action: Action, resource: Resource) -> bool {
    matches!(
        (action, resource),
        (Action::Export | Action::AcceptRisk | Action::Manage, _)
            | (Action::Create | Action::Update | Action::Delete, Resource::User | Resource::Token | Resource::Sensor | Resource::Settings)
    )
}

/// The role matrix as a Markdown table: a row per resource, a column per role, the allowed
/// actions in each cell. The README embeds it; a test keeps the two equal.
#[must_use]
pub fn markdown_matrix() -> String {
    let mut out = String::from("| resource |");
    for role in Role::ALL {
        out.push_str(&format!(" {} |", role.as_str()));
    }
    out.push_str("\n|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for resource in Resource::ALL {
        out.push_str(&format!("| `{}` |", resource.as_str()));
        for role in Role::ALL {
            let actions: Vec<&str> = Action::ALL.into_iter().filter(|a| allowed(role, *a, resource)).map(Action::as_str).collect();
            let cell = if actions.is_empty() { "—".to_owned() } else { actions.join(", ") };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The expected matrix, written out by hand from the role descriptions, independently of
    /// the `match` in `allowed`: `role resource: actions…`, one line per pair that has any.
    const EXPECTED: &str = "
        administrator asset: read create update delete comment export manage
        administrator finding: read acknowledge resolve accept_risk assign comment export
        administrator finding_evidence: read export
        administrator sensor: read create update delete manage
        administrator token: read create delete manage
        administrator user: read create update delete manage
        administrator audit: read export
        administrator advisory: read create update delete
        administrator settings: read update manage
        administrator ledger_export: read export
        security_analyst asset: read update comment export
        security_analyst finding: read acknowledge resolve assign comment export
        security_analyst finding_evidence: read export
        security_analyst sensor: read
        security_analyst token: read create delete
        security_analyst user: read
        security_analyst advisory: read create update
        security_analyst settings: read
        biomedical_engineer asset: read create update comment export
        biomedical_engineer finding: read acknowledge resolve comment export
        biomedical_engineer finding_evidence: read
        biomedical_engineer sensor: read
        biomedical_engineer token: read create delete
        biomedical_engineer user: read
        biomedical_engineer advisory: read
        auditor asset: read
        auditor finding: read
        auditor finding_evidence: read
        auditor sensor: read
        auditor token: read
        auditor user: read
        auditor audit: read export
        auditor advisory: read
        auditor settings: read
        auditor ledger_export: read export
        clinician asset: read
        clinician finding: read
    ";

    fn expected() -> BTreeSet<(Role, Action, Resource)> {
        let mut set = BTreeSet::new();
        for line in EXPECTED.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (head, actions) = line.split_once(':').expect("role resource: actions");
            let (role, resource) = head.split_once(' ').expect("role resource");
            let role = Role::parse(role).expect("role name");
            let resource = Resource::parse(resource).expect("resource name");
            for action in actions.split_whitespace() {
                assert!(set.insert((role, Action::parse(action).expect("action name"), resource)), "duplicate in EXPECTED: {line}");
            }
        }
        set
    }

    #[test]
    fn every_combination_matches_the_expected_matrix() {
        let expected = expected();
        let mut checked = 0;
        for role in Role::ALL {
            for action in Action::ALL {
                for resource in Resource::ALL {
                    let want = expected.contains(&(role, action, resource));
                    assert_eq!(allowed(role, action, resource), want, "{} {} {}", role.as_str(), action.as_str(), resource.as_str());
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 5 * 11 * 10);
    }

    #[test]
    fn invariants_that_hold_for_every_role() {
        for role in Role::ALL {
            for action in [Action::Create, Action::Update, Action::Delete] {
                assert!(!allowed(role, action, Resource::Audit), "nobody edits the audit trail");
                assert!(!allowed(role, action, Resource::LedgerExport), "nobody edits the ledger");
                assert!(!allowed(role, action, Resource::Finding), "findings come from sensors");
            }
            if role != Role::Administrator {
                for resource in Resource::ALL {
                    assert!(!allowed(role, Action::Manage, resource), "only administrators manage");
                }
            }
        }
        for action in Action::ALL {
            for resource in Resource::ALL {
                assert!(!allowed(Role::Clinician, Action::Export, resource));
                assert!(!allowed(Role::Clinician, action, Resource::Audit));
                assert!(!allowed(Role::Clinician, action, Resource::FindingEvidence));
                if action != Action::Read {
                    assert!(!allowed(Role::Auditor, action, resource) || action == Action::Export, "auditor changes nothing");
                }
            }
        }
    }

    #[test]
    fn names_round_trip_and_match_serde() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(serde_json_name(&r), r.as_str());
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(serde_json_name(&a), a.as_str());
        }
        for r in Resource::ALL {
            assert_eq!(Resource::parse(r.as_str()), Some(r));
            assert_eq!(serde_json_name(&r), r.as_str());
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("Administrator"), None, "names are exact");
    }

    /// The name serde writes (what the API and the store see), without quotes.
    fn serde_json_name<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).expect("serialise").trim_matches('"').to_owned()
    }

    #[test]
    fn clinicians_see_their_unit_only_and_sensitive_actions_need_reauth() {
        assert_eq!(asset_scope(Role::Clinician), AssetScope::CareUnit);
        assert_eq!(asset_scope(Role::Auditor), AssetScope::All);
        assert!(requires_reauth(Action::Manage, Resource::User));
        assert!(requires_reauth(Action::Create, Resource::Token));
        assert!(requires_reauth(Action::Export, Resource::Asset));
        assert!(requires_reauth(Action::AcceptRisk, Resource::Finding));
        assert!(!requires_reauth(Action::Read, Resource::Finding));
        assert!(!requires_reauth(Action::Comment, Resource::Finding));
    }

    /// The README's role table is generated from `allowed`; this test fails when they differ.
    /// `WARD_UPDATE_README=1 cargo test -p ward-auth readme` rewrites it on purpose.
    #[test]
    fn readme_role_matrix_is_current() {
        const START: &str = "<!-- role-matrix:start (generated by the readme_role_matrix_is_current test) -->\n";
        const END: &str = "<!-- role-matrix:end -->";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).expect("crates/ward-auth/README.md");
        let start = readme.find(START).expect("start marker in README") + START.len();
        let end = readme[start..].find(END).expect("end marker in README") + start;
        let table = markdown_matrix();
        if readme[start..end] != table {
            if std::env::var_os("WARD_UPDATE_README").is_some() {
                let updated = format!("{}{}{}", &readme[..start], table, &readme[end..]);
                std::fs::write(path, updated).expect("write README");
            } else {
                panic!("README role matrix is stale; run WARD_UPDATE_README=1 cargo test -p ward-auth readme\n{table}");
            }
        }
    }
}

//! Ward's vulnerability knowledge: which known vulnerabilities each device of a hospital carries,
//! how sure the match is, and what to fix first.
//!
//! - [`csaf`] reads CSAF 2.0 advisories (CISA's medical advisories) into products, vulnerabilities
//!   and remediations; [`kev`] and [`epss`] read CISA's Known Exploited Vulnerabilities catalog
//!   and FIRST's exploit prediction scores; [`sbom`] reads CycloneDX and SPDX JSON.
//! - [`version`] orders firmware-style versions; [`range`] parses the version ranges advisories
//!   really contain, and says "needs review" for what it cannot.
//! - [`inventory`] reads the devices to check: a `ward analyze` report or an asset list (CSV or
//!   JSON); [`names`] normalises vendor and product names with the alias data of
//!   `knowledge/vendors/`; [`matcher`] finds the advisories that apply to each device, through an
//!   index by vendor, and says why and how sure.
//! - [`risk`] scores each device with its reasons and orders its remediations.
//!
//! It does not fetch anything from the network, and it does not decide: a match that is not
//! certain is marked for review, never silently kept or dropped.
#![deny(missing_docs)]

pub mod assess;
pub mod csaf;
pub mod epss;
pub mod inventory;
pub mod kev;
pub mod matcher;
pub mod names;
pub mod range;
pub mod risk;
pub mod sbom;
pub mod version;
pub mod fuzzing;

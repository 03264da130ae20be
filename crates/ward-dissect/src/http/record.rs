//! The HTTP record: one request or one response. No credential, cookie value, query value or
//! body byte is ever kept: credentials become a scheme name, cookies a count, the query a
//! count, the body a length and the names of the patient indicators it carries.

use serde::Serialize;

fn is_false(b: &bool) -> bool {
    !*b
}

/// One HTTP/1.x message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct HttpRecord {
    /// `request` or `response`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Transaction number on the connection, from 0: the n-th response answers the n-th request
    /// (RFC 9112 §9.3.2). Interim (1xx) responses carry the number of the request they precede.
    pub tx_id: u64,
    /// `HTTP/1.0` or `HTTP/1.1`, as sent.
    pub version: String,
    /// Request method (any token; `GET`, `POST`, `CONNECT`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Request target form: `origin`, `absolute`, `authority` (CONNECT) or `asterisk`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_form: Option<&'static str>,
    /// Host from the target (absolute and authority forms) or else the Host header; lowercase,
    /// without port or userinfo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Port from the same place, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Path without the query string or fragment; an id after `Patient`, `Person`,
    /// `RelatedPerson` or `patients` is replaced by `{id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The target had a query string (its values are never kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_present: Option<bool>,
    /// Number of non-empty `&`-separated query parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_params: Option<u32>,
    /// The target's authority carried `user:password@` (not kept).
    #[serde(skip_serializing_if = "is_false")]
    pub url_userinfo_present: bool,
    /// Response status code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Response reason phrase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Response: the method of the request it answers, when that request was seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_method: Option<String>,
    /// User-Agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// X-Powered-By.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_powered_by: Option<String>,
    /// Media type of Content-Type, lowercase, without parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Clinical content by its media type: `application/fhir+json`, `application/fhir+xml`,
    /// `application/json+fhir`, `application/xml+fhir`, `x-application/hl7-v2+er7`,
    /// `application/hl7-v2`, `application/hl7-v2+xml`, `application/dicom`,
    /// `application/dicom+json`, `application/dicom+xml`,
    /// `multipart/related; type=application/dicom` (DICOMweb)...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clinical_content: Option<&'static str>,
    /// Content-Length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_length: Option<u64>,
    /// Transfer-Encoding, lowercase, as sent (several headers joined by `, `).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_encoding: Option<String>,
    /// Content-Encoding, lowercase (`gzip`...): such bodies are not scanned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    /// Scheme of Authorization: `basic`, `bearer`, `digest`, `ntlm`, `negotiate`... or `other`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_scheme: Option<&'static str>,
    /// Scheme of Proxy-Authorization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_authorization_scheme: Option<&'static str>,
    /// HTTP Basic credentials (base64 of user:password, i.e. cleartext) were sent in
    /// Authorization or Proxy-Authorization. Never the credentials themselves.
    #[serde(skip_serializing_if = "is_false")]
    pub basic_auth_present: bool,
    /// Response: schemes offered in WWW-Authenticate and Proxy-Authenticate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub auth_challenges: Vec<&'static str>,
    /// Request: cookie pairs sent in Cookie headers (values never kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookies: Option<u32>,
    /// Response: Set-Cookie headers (values never kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_cookies: Option<u32>,
    /// Host of an absolute Location (redirect target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_host: Option<String>,
    /// Upgrade, lowercase (`websocket`, `h2c`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<String>,
    /// Request: `Expect: 100-continue`.
    #[serde(skip_serializing_if = "is_false")]
    pub expect_continue: bool,
    /// Header fields in the message.
    pub headers: u32,
    /// Body bytes (after de-chunking).
    pub body_length: u64,
    /// Body bytes scanned for patient indicators (a bounded prefix; 0 for encoded bodies).
    pub body_scanned: u64,
    /// The connection ended before the message did.
    #[serde(skip_serializing_if = "is_false")]
    pub truncated: bool,
    /// Names of the patient-identity indicators found in the scanned body: `fhir:Patient`,
    /// `fhir:Person`, `fhir:RelatedPerson`, `fhir:identifier`, `fhir:name`, `fhir:telecom`,
    /// `fhir:address`, `fhir:birthDate`, `fhir:subject`, `fhir:patient`, `hl7v2:message`,
    /// `hl7v2:PID`, `hl7v2:NK1`, `dicom-file`, `dicom:PatientName`, `dicom:PatientID`,
    /// `dicom:PatientBirthDate`. Never values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phi_indicators: Vec<&'static str>,
    /// FHIR resource types present in the scanned body (names from the FHIR R4 list only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fhir_resources: Vec<&'static str>,
}

impl HttpRecord {
    /// The body carries patient identity, or the message declares clinical content.
    #[must_use]
    pub fn carries_phi(&self) -> bool {
        self.phi_indicators.iter().any(|i| *i != "hl7v2:message")
            || (self.clinical_content.is_some() && self.body_length > 0)
    }
}

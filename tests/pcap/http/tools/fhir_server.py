#!/usr/bin/python3
"""A FHIR-like demo server (HTTP/1.1, persistent connections) for Ward's HTTP fixtures.

Serves one FAKE patient (no real person): Zebulon Quixotewright, born 1931-07-14,
MRN-0042-LEAK. Every response has a Content-Length; the POST handler accepts a Patient and
answers 201 with a Location. Python's http.server answers `Expect: 100-continue` itself.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATIENT = {
    "resourceType": "Patient",
    "id": "pat-1001",
    "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": "MRN-0042-LEAK"}],
    "name": [{"family": "Quixotewright", "given": ["Zebulon"]}],
    "telecom": [{"system": "phone", "value": "+1-555-0142"}],
    "gender": "male",
    "birthDate": "1931-07-14",
}
BUNDLE = {
    "resourceType": "Bundle",
    "type": "searchset",
    "total": 2,
    "entry": [
        {"resource": {"resourceType": "Observation", "id": f"obs-{n}", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
                      "subject": {"reference": "Patient/pat-1001", "display": "Zebulon Quixotewright"},
                      "valueQuantity": {"value": 60 + n, "unit": "/min"}}}
        for n in (1, 2)
    ],
}
METADATA = {"resourceType": "CapabilityStatement", "status": "active", "kind": "instance", "fhirVersion": "4.0.1",
            "format": ["application/fhir+json"]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WardFhirDemo/0.1"

    def send_json(self, code, obj, extra=()):
        body = json.dumps(obj, indent=1).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/fhir+json; charset=utf-8")
        self.send_header("X-Powered-By", "WardDemoFHIR/0.1 (FHIR 4.0.1)")
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/fhir/Patient/pat-1001":
            self.send_json(200, PATIENT)
        elif path == "/fhir/Observation":
            self.send_json(200, BUNDLE)
        elif path == "/fhir/metadata":
            self.send_json(200, METADATA)
        else:
            self.send_json(404, {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found"}]})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        self.send_response(201)
        self.send_header("Location", "http://127.0.0.1:8000/fhir/Patient/pat-1002/_history/1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()

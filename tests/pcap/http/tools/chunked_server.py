#!/usr/bin/python3
"""A server that sends chunked bodies (RFC 9112 §7.1) for Ward's HTTP fixtures: a FHIR XML
Patient, an HL7 v2 ADT message with a trailer field, and a DICOMweb multipart/related
response holding a DICOM file. All patients are FAKE (Ysolde Marchbanks-Trevelyan, born
1944-02-29, MRN-7781-LEAK; the DICOM file's patient is Quixotewright^Zebulon).
"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FHIR_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<Patient xmlns="http://hl7.org/fhir">
  <id value="pat-2002"/>
  <identifier><system value="urn:oid:2.16.840.1.113883.19.5"/><value value="MRN-7781-LEAK"/></identifier>
  <name><family value="Marchbanks-Trevelyan"/><given value="Ysolde"/></name>
  <birthDate value="1944-02-29"/>
</Patient>
"""
HL7 = (b"MSH|^~\\&|WARDADT|WARDHOSP|RCV|RCVFAC|20240229120000||ADT^A01|CTRL-9|P|2.5.1\r"
       b"EVN|A01|20240229120000\r"
       b"PID|1||MRN-7781-LEAK^^^WARDHOSP^MR||MARCHBANKS-TREVELYAN^YSOLDE||19440229|F\r"
       b"PV1|1|I|ICU^01^A\r")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "WardChunkDemo/0.1"

    def chunked(self, ctype, body, pieces, trailer=None):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        if trailer:
            self.send_header("Trailer", trailer[0])
        self.end_headers()
        step = max(1, len(body) // pieces)
        for n, i in enumerate(range(0, len(body), step)):
            part = body[i:i + step]
            ext = b";piece=" + str(n).encode() if n == 1 else b""
            self.wfile.write(b"%x%s\r\n%s\r\n" % (len(part), ext, part))
            self.wfile.flush()
        self.wfile.write(b"0\r\n")
        if trailer:
            self.wfile.write(trailer[0].encode() + b": " + trailer[1].encode() + b"\r\n")
        self.wfile.write(b"\r\n")

    def do_GET(self):
        if self.path == "/fhir/Patient/pat-2002":
            self.chunked("application/fhir+xml; charset=utf-8", FHIR_XML, 3)
        elif self.path == "/hl7/adt":
            self.chunked("x-application/hl7-v2+er7", HL7, 2, ("X-Checksum", "ok"))
        elif self.path.startswith("/wado/"):
            dcm = open(sys.argv[2], "rb").read()
            b = b"ward-boundary-7f3a"
            body = (b"--" + b + b"\r\nContent-Type: application/dicom\r\n\r\n" + dcm + b"\r\n--" + b + b"--\r\n")
            self.chunked('multipart/related; type="application/dicom"; boundary=' + b.decode(), body, 4)
        else:
            self.send_error(404)

    def log_message(self, *a):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()

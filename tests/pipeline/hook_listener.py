"""A webhook receiver on 127.0.0.1 for the pipeline tests.

Usage: hook_listener.py OUT PORTFILE. Each POST appends one line to OUT,
"CONTENT-TYPE BODY" (the body is the one-line JSON notify.py sends), and
is answered 200, or 500 on the path /fail. The port, chosen by the
kernel, is written to PORTFILE once the socket listens.
"""
import http.server
import os
import sys


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ctype = self.headers.get("Content-Type", "-").encode()
        with open(sys.argv[1], "ab") as f:
            f.write(ctype + b" " + body.replace(b"\n", b" ") + b"\n")
        self.send_response(500 if self.path == "/fail" else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
tmp = sys.argv[2] + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, sys.argv[2])
server.serve_forever()

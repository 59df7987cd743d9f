#!/usr/bin/python3
"""A front for a registry that answers every /v2/ request with a redirect, as registries in front
of a storage backend (S3, a CDN) do, to check that keel-fetch sends its credentials only to the
registry's own host. On an HTTPS port with the given certificate:
  Host FRONT:  basic auth required (401 with a Basic challenge), then 307 to https://OTHER:PORT/hop/PATH
  Host OTHER:  /hop/PATH logs whether an Authorization header came, then 307 to https://OTHER:TARGET/PATH
Each request is one line on stderr: "redirector: HOST PATH authorization=yes|no".

usage: redirector.py PORT CERT KEY FRONT OTHER TARGET_PORT USER:PASSWORD"""
import base64, http.server, ssl, sys

port, cert, key, front, other, target, userpass = sys.argv[1:8]
want = 'Basic ' + base64.b64encode(userpass.encode()).decode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def reply(self, code, headers):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def do_GET(self):
        host = self.headers.get('Host', '').split(':')[0]
        auth = self.headers.get('Authorization')
        sys.stderr.write('redirector: %s %s authorization=%s\n' % (host, self.path, 'yes' if auth else 'no'))
        sys.stderr.flush()
        if host == front:
            if auth != want:
                return self.reply(401, [('WWW-Authenticate', 'Basic realm="front"')])
            return self.reply(307, [('Location', 'https://%s:%s/hop%s' % (other, port, self.path))])
        if self.path.startswith('/hop/'):
            return self.reply(307, [('Location', 'https://%s:%s%s' % (other, target, self.path[4:]))])
        self.reply(404, [])

    def log_message(self, fmt, *args):
        pass


srv = http.server.ThreadingHTTPServer(('127.0.0.1', int(port)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
sys.stderr.write('redirector: ready\n')
sys.stderr.flush()
srv.serve_forever()

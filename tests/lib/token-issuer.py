#!/usr/bin/python3
"""The registry token flow's other half for tests (Debian has no token server): an HTTPS server on
loopback that checks basic auth against one user:password and answers GET /token?service=&scope=
with {"token": JWT}: ES256, the signing certificate in the x5c header, which the registry trusts
through auth.token.rootcertbundle. Prints "token-issuer: ready" when it listens.

usage: token-issuer.py PORT TLS_CERT TLS_KEY SIGN_CERT SIGN_KEY ISSUER USER:PASSWORD"""
import base64, http.server, json, ssl, sys, time, uuid
from urllib.parse import urlparse, parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

port, tls_cert, tls_key, sign_cert, sign_key, issuer, userpass = sys.argv[1:8]
cert = x509.load_pem_x509_certificate(open(sign_cert, 'rb').read())
x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
key = open(sign_key, 'rb').read()
want = 'Basic ' + base64.b64encode(userpass.encode()).decode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def answer(self, code, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        if url.path != '/token':
            return self.answer(404, {'error': 'not found'})
        if self.headers.get('Authorization') != want:
            return self.answer(401, {'error': 'bad credentials'}, [('WWW-Authenticate', 'Basic realm="token"')])
        access = []
        for s in q.get('scope', []):
            kind, name, actions = s.split(':', 2)
            access.append({'type': kind, 'name': name, 'actions': actions.split(',')})
        now = int(time.time())
        claims = {'iss': issuer, 'sub': userpass.split(':')[0], 'aud': q.get('service', [''])[0],
                  'exp': now + 600, 'nbf': now - 60, 'iat': now, 'jti': str(uuid.uuid4()), 'access': access}
        token = jwt.encode(claims, key, algorithm='ES256', headers={'x5c': x5c})
        self.answer(200, {'token': token, 'expires_in': 600, 'issued_at': time.strftime('%Y-%m-%dT%H:%M:%SZ')})

    def log_message(self, fmt, *args):
        sys.stderr.write('token-issuer: ' + (fmt % args) + '\n')


srv = http.server.ThreadingHTTPServer(('127.0.0.1', int(port)), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(tls_cert, tls_key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print('token-issuer: ready', flush=True)
srv.serve_forever()

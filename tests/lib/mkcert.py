#!/usr/bin/python3
"""Test certificates (EC P-256) valid from 2020 to 2040, so a guest whose clock starts at keel's
build time (a board without an RTC: docs/update.md, "The clock") still finds them valid; openssl
req in Debian 12 cannot set a start date.

usage: mkcert.py ca NAME              -> NAME.key NAME.pem (a CA)
       mkcert.py leaf NAME CA DNS,... -> NAME.key NAME.pem signed by CA.key/CA.pem"""
import datetime, sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

START, END = datetime.datetime(2020, 1, 1), datetime.datetime(2040, 1, 1)


def save(name, key, cert):
    open(name + '.key', 'wb').write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    open(name + '.pem', 'wb').write(cert.public_bytes(serialization.Encoding.PEM))


def main():
    kind, name = sys.argv[1], sys.argv[2]
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    b = x509.CertificateBuilder().subject_name(subject).public_key(key.public_key()) \
        .serial_number(x509.random_serial_number()).not_valid_before(START).not_valid_after(END)
    if kind == 'ca':
        cert = b.issuer_name(subject).add_extension(x509.BasicConstraints(ca=True, path_length=None), True) \
            .sign(key, hashes.SHA256())
    else:
        ca_key = serialization.load_pem_private_key(open(sys.argv[3] + '.key', 'rb').read(), None)
        ca = x509.load_pem_x509_certificate(open(sys.argv[3] + '.pem', 'rb').read())
        sans = [x509.DNSName(n) for n in sys.argv[4].split(',')]
        cert = b.issuer_name(ca.subject).add_extension(x509.BasicConstraints(ca=False, path_length=None), True) \
            .add_extension(x509.SubjectAlternativeName(sans), False).sign(ca_key, hashes.SHA256())
    save(name, key, cert)


main()

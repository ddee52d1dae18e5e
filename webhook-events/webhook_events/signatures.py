"""Verifying an SNS HTTPS notification: anyone can POST to a public endpoint, only SNS can sign.

SNS signs a canonical text of the message's fields with the key of a certificate it serves from
`SigningCertURL`; SignatureVersion 1 uses SHA1withRSA, 2 SHA256withRSA. The certificate is trusted
because it is fetched over HTTPS from an `sns.<region>.amazonaws.com` host, so the URL is checked
before anything is fetched. Needs the `cryptography` package.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

# The fields SNS signs, in the order it signs them; a field absent from the message is skipped.
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
# A region-shaped label only: `sns.s3.amazonaws.com` is an S3 bucket named "sns", which anyone
# could own and fill with a certificate of their own.
CERTIFICATE_HOST = re.compile(r"sns\.[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+\.amazonaws\.com(?:\.cn)?")
CERTIFICATE_PATH = re.compile(r"/SimpleNotificationService-[0-9a-f]+\.pem")

CertificateFetcher = Callable[[str], bytes]


class InvalidSignature(ValueError):
    """The notification is not provably from SNS: refuse it (answer 403 and do nothing)."""


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    """The canonical text SNS signs: `name\\nvalue\\n` for each signed field present."""
    fields = SIGNED_FIELDS.get(str(message.get("Type")))
    if fields is None:
        raise InvalidSignature(f"unknown SNS message type {message.get('Type')!r}")
    return "".join(f"{name}\n{message[name]}\n" for name in fields if message.get(name) is not None).encode()


def check_certificate_url(url: str) -> None:
    """Refuse a certificate that does not come over HTTPS from SNS itself."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not CERTIFICATE_HOST.fullmatch(parts.hostname or "") or parts.port is not None:
        raise InvalidSignature(f"the signing certificate is not served by SNS: {url!r}")
    if not CERTIFICATE_PATH.fullmatch(parts.path) or parts.query or parts.fragment:
        raise InvalidSignature(f"the signing certificate URL is not an SNS certificate: {url!r}")


@functools.lru_cache(maxsize=16)
def fetch_certificate(url: str) -> bytes:
    """The PEM at `url`, cached: SNS signs with few certificates, so most messages fetch nothing."""
    check_certificate_url(url)
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - https only, checked above
        return bytes(response.read())


def verify_notification(message: Mapping[str, Any], fetch: CertificateFetcher = fetch_certificate) -> None:
    """Return if SNS signed `message` (a parsed HTTPS notification); raise InvalidSignature otherwise."""
    try:
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature as BadSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "verifying SNS signatures needs the `cryptography` package; install it, or pass verify=False "
            "and verify the notification yourself"
        ) from error

    version = str(message.get("SignatureVersion"))
    algorithm = {"1": hashes.SHA1, "2": hashes.SHA256}.get(version)
    if algorithm is None:
        raise InvalidSignature(f"unsupported SignatureVersion {version!r}")
    url = str(message.get("SigningCertURL") or message.get("SigningCertUrl") or "")
    check_certificate_url(url)
    try:
        signature = base64.b64decode(str(message.get("Signature") or ""), validate=True)
    except binascii.Error as error:
        raise InvalidSignature("the signature is not base64") from error
    key = x509.load_pem_x509_certificate(fetch(url)).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidSignature("the signing certificate does not hold an RSA key")
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except BadSignature as error:
        raise InvalidSignature("the signature does not match the message") from error

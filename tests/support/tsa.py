"""A local RFC 3161 timestamp authority for tests: ``openssl ts -reply`` behind loopback HTTP.

``make_pki(folder)`` writes a test CA and a TSA certificate (extendedKeyUsage critical
timeStamping) with the openssl command; ``LocalTSA(pki)`` answers each POSTed
``application/timestamp-query`` by running ``openssl ts -reply`` on it. ``include_ca``
decides whether its responses embed the CA certificate (a real TSA often sends only its own).
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TSA_CONFIG = """
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {folder}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
{certs}
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

TSA_EXTENSIONS = "extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n"


@dataclass(frozen=True)
class Pki:
    folder: Path
    ca_cert: Path
    tsa_cert: Path
    tsa_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(folder: Path, name: str = "Test TSA") -> Pki:
    """A CA and a TSA certificate it signed, under ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "30",
        "-subj",
        f"/CN={name} Root CA",
        cwd=folder,
    )
    _openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "tsa.key",
        "-out",
        "tsa.csr",
        "-subj",
        f"/CN={name}",
        cwd=folder,
    )
    (folder / "tsa.ext").write_text(TSA_EXTENSIONS)
    _openssl(
        "x509",
        "-req",
        "-in",
        "tsa.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "tsa.crt",
        "-days",
        "30",
        "-extfile",
        "tsa.ext",
        cwd=folder,
    )
    (folder / "serial").write_text("01\n")
    return Pki(folder, folder / "ca.crt", folder / "tsa.crt", folder / "tsa.key")


class LocalTSA:
    """``with LocalTSA(pki) as tsa:`` — ``tsa.url`` takes RFC 3161 queries; ``tsa.queries`` counts them."""

    def __init__(self, pki: Pki, *, include_ca: bool = False, status: int = 200):
        self.pki, self.status, self.queries = pki, status, []
        certs = f"certs = $dir/{pki.ca_cert.name}" if include_ca else ""
        self.config = pki.folder / f"tsa-{id(self)}.cnf"
        self.config.write_text(TSA_CONFIG.format(folder=pki.folder, certs=certs))
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/tsr"

    def __enter__(self) -> LocalTSA:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reply(self, query: bytes) -> bytes:
        """``openssl ts -reply`` for one DER query (serialised: openssl bumps a serial file)."""
        with self._lock:
            self.queries.append(query)
            done = subprocess.run(
                [
                    "openssl",
                    "ts",
                    "-reply",
                    "-config",
                    str(self.config),
                    "-queryfile",
                    "/dev/stdin",
                    "-out",
                    "/dev/stdout",
                ],
                input=query,
                capture_output=True,
                check=True,
                timeout=60,
            )
        return done.stdout

    def _handler(self):
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = tsa.reply(query) if tsa.status == 200 else b"no"
                self.send_response(tsa.status)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

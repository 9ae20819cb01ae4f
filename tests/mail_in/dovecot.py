"""A real Dovecot IMAP server for the tests and the benchmark, with its own configuration in a folder.

Debian's ``dovecot-imapd`` is run as root in the foreground (``dovecot -F -c CONF``), on a free
loopback port, with the mail stored as the unprivileged user ``mail`` (``mail_uid``/``mail_gid``)
and the users in a passwd-file; nothing of the machine's own Dovecot is used (its own
``base_dir``, ``state_dir`` and ``instance_name``). Torn down (SIGTERM, then SIGKILL) after.

TLS as a mail provider serves it: a private CA and a server certificate it signed (for
``127.0.0.1`` and ``localhost``), made for each server with the ``openssl`` command (a dependency
of ``dovecot-core``); the plain port offers STARTTLS, ``tls_port`` speaks implicit TLS (IMAPS). ``ca_file`` is the CA's certificate, the
one a client must trust; nobody else does.

Missing Dovecot (or not root): the tests are skipped, unless ``TANDEM_REQUIRE_DOVECOT=1`` (CI),
which makes them fail instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "tandem", "imap-test-secret"


def require_dovecot() -> None:
    """Skip (or, with TANDEM_REQUIRE_DOVECOT=1, fail) where no Dovecot can be run."""
    why = None
    if not DOVECOT.exists():
        why = f"{DOVECOT} is missing (apt-get install dovecot-imapd)"
    elif os.geteuid() != 0:
        why = "Dovecot is run as root by the tests (mail stored as the user mail)"
    if why is None:
        return
    if os.environ.get("TANDEM_REQUIRE_DOVECOT") == "1":
        pytest.fail(f"TANDEM_REQUIRE_DOVECOT=1 but {why}")
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Dovecot:
    host: str
    port: int  # plain, offering STARTTLS
    user: str
    password: str
    folder: Path
    process: subprocess.Popen[bytes]
    tls_port: int = 0  # implicit TLS
    ca_file: Path = Path()  # the private CA that signed the server's certificate

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)
        finally:
            client.logout()

    def count(self, folder: str) -> int:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                return 0
            return int(client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"])
        finally:
            client.logout()

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = tandem-test-{port}
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/server.pem
ssl_key = <{root}/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = mail
default_internal_group = mail
default_login_user = mail
mail_uid = mail
mail_gid = mail
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = passwd-file
  args = {root}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


def make_certificates(folder: Path) -> None:
    """A private CA (``ca.pem``) and the server's key and certificate it signed (``server.key``,
    ``server.pem``, for 127.0.0.1 and localhost), by the ``openssl`` command; ECDSA P-256 keys,
    quick to make."""

    def openssl(*arguments: str) -> None:
        subprocess.run(["openssl", *arguments], cwd=folder, check=True, capture_output=True)

    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=Tandem test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout", "ca.key", "-out", "ca.pem",
    )
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
    (folder / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
    )
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
        "-extfile", "server.ext", "-out", "server.pem",
    )


@contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    """Start Dovecot with its configuration in a fresh folder; stop it and remove the folder after.

    The folder is made under the system's temporary folder, not pytest's (whose parents are
    private to root): Dovecot's processes run as ``mail`` and must reach it.
    """
    mail = pwd.getpwnam("mail")
    root = Path(tempfile.mkdtemp(prefix="tandem-dovecot-"))
    root.chmod(0o755)  # the mail user walks into it
    (root / "mail").mkdir()
    os.chown(root / "mail", mail.pw_uid, mail.pw_gid)
    port = tls_port = free_port()
    while tls_port == port:
        tls_port = free_port()
    make_certificates(root)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{mail.pw_uid}:{mail.pw_gid}::{root}/mail/{USER}::\n")
    conf = root / "dovecot.conf"
    conf.write_text(CONFIG.format(root=root, port=port, tls_port=tls_port))
    process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = Dovecot("127.0.0.1", port, USER, PASSWORD, root, process, tls_port, root / "ca.pem")
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise RuntimeError(f"dovecot exited with {process.returncode}: {output}\n{server.log()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    if probe.recv(100).startswith(b"* OK"):
                        with socket.create_connection(("127.0.0.1", tls_port), timeout=1):
                            break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"dovecot did not answer on port {port} within 30 s\n{server.log()}") from None
                time.sleep(0.05)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)

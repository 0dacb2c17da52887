"""harness.py - real Postfix and InfluxDB instances for pfqmon's tests.

Everything here is private to one test run: a base directory from mkdtemp,
loopback ports chosen free at start (a server that finds its port taken
meanwhile starts again on another), a syslog_name with the run's id. The
default /etc/postfix and /var/spool/postfix, and port 25, are never
touched. Processes are stopped by the PIDs this module started, in
close(), which the tests call from finally blocks and atexit.

Needs root (Postfix's setgid tools take -c only from root) and Debian's
postfix, influxdb and python3 packages. Standard library only.
"""

import atexit
import email
import email.policy
import errno
import json
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

SBIN = "/usr/sbin"


def _terminate(signum, frame):
    # A CI timeout sends SIGTERM: unwind, so that finally blocks and
    # atexit stop the Postfix and InfluxDB instances this run started.
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, _terminate)


def free_port():
    """A loopback TCP port nothing listens on right now. Another program
    may bind it before the server it is for does: a caller that hands it
    to a server starts that server again on another port when it reports
    the address in use (port_taken()). A port that must refuse
    connections is a RefusedPort instead."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_taken(log):
    """Whether a server's log says it found its address in use."""
    return "address already in use" in log.lower()


def listening(pid, port):
    """Whether process pid holds a TCP socket listening on loopback port:
    a server that answers on a port chosen by free_port() may be another
    program's."""
    inodes = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                for line in f.readlines()[1:]:
                    col = line.split()
                    if col[3] == "0A" and int(col[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add("socket:[%s]" % col[9])
        except OSError:
            pass
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) in inodes:
                return True
        except OSError:
            pass
    return False


class RefusedPort:
    """A loopback port bound but not listening, for as long as the object
    lives: connections to it are refused, and no other program can take
    it meanwhile."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


def ipv6_works():
    """Whether this kernel makes IPv6 sockets: Postfix's inet_protocols
    drops IPv6 (and refuses XCLIENT ADDR=IPv6:...) when it cannot."""
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
        return True
    except OSError:
        return False


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, capture_output=True, check=check, **kw)


def default_config_for(conf):
    """A throw-away directory to stand in for /etc/postfix: its main.cf
    lists conf in alternate_config_directories, which postqueue -c
    needs (from root too: it reads the default main.cf first)."""
    etc = tempfile.mkdtemp(prefix="pfqmon-etc.")
    os.chmod(etc, 0o755)
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write("alternate_config_directories = %s\n" % conf)
    return etc


def in_namespace(etc, argv, **kw):
    """argv in a private mount namespace where /etc/postfix is etc; the
    machine's own /etc/postfix is never touched."""
    script = 'mount --bind "$0" /etc/postfix && exec "$@"'
    return subprocess.run(["unshare", "-m", "--propagation", "private",
                           "sh", "-c", script, etc] + argv,
                          capture_output=True, timeout=300, **kw)


class Tarpit:
    """Accepts SMTP connections and never answers: mail routed here stays
    in the active queue. Stops by itself after max_seconds."""

    def __init__(self, max_seconds=1800):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stopped = False
        self.deadline = time.monotonic() + max_seconds
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.5)
        while not self.stopped and time.monotonic() < self.deadline:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except socket.timeout:
                continue
            except OSError:
                break

    def close(self):
        self.stopped = True
        for c in self.conns:
            c.close()
        self.sock.close()


class Postfix:
    """A throw-away Postfix instance: own config, queue, data and log
    directories, smtpd on a loopback port."""

    def __init__(self, root=None, long_ids=False, name="pfqtest"):
        self.base = tempfile.mkdtemp(prefix="pfqmon-postfix.", dir=root)
        os.chmod(self.base, 0o755)
        self.conf = os.path.join(self.base, "etc")
        self.spool = os.path.join(self.base, "spool")
        self.data = os.path.join(self.base, "data")
        self.logfile = os.path.join(self.base, "log", "maillog")
        self.long_ids = long_ids
        self.name = "%s-%d" % (name, os.getpid())
        self.tarpit = Tarpit()
        self.smtp_port = None
        self.refused = RefusedPort()
        self.dead_port = self.refused.port  # relayhost: connection refused
        self.ipv6 = ipv6_works()            # IPv6 clients can be played
        self.running = False
        self.master_pid = None
        atexit.register(self.close)

    # -- setup ------------------------------------------------------------

    def setup(self):
        pf = pwd.getpwnam("postfix")
        for d in (self.conf, self.spool, self.data, os.path.dirname(self.logfile)):
            os.makedirs(d, exist_ok=True)
        os.chown(self.data, pf.pw_uid, pf.pw_gid)
        open(self.logfile, "a").close()
        os.chown(self.logfile, pf.pw_uid, pf.pw_gid)
        for f in ("master.cf", "dynamicmaps.cf", "postfix-files"):
            shutil.copy("/etc/postfix/" + f, self.conf)
        for d in ("dynamicmaps.cf.d", "postfix-files.d"):
            if os.path.isdir("/etc/postfix/" + d):
                shutil.copytree("/etc/postfix/" + d, os.path.join(self.conf, d))
        shutil.copy("/usr/share/postfix/main.cf.debian",
                    os.path.join(self.conf, "main.cf"))
        self.smtp_port = free_port()
        # The documentation ranges play the clients; 2001:db8::/32 also
        # needs IPv6 in inet_protocols, or XCLIENT refuses its addresses.
        nets = "127.0.0.0/8, 198.51.100.0/24, 203.0.113.0/24, [2001:db8::]/32"
        self.postconf(
            "compatibility_level = 3.6",
            "queue_directory = " + self.spool,
            "data_directory = " + self.data,
            "maillog_file = " + self.logfile,
            "maillog_file_prefixes = /var, /dev/stdout, " + self.base,
            "syslog_name = " + self.name,
            "myhostname = trial.invalid", "mydomain = invalid",
            "myorigin = $myhostname", "mydestination =",
            "local_recipient_maps =", "alias_maps =", "alias_database =",
            "inet_interfaces = loopback-only",
            "inet_protocols = " + ("ipv4, ipv6" if self.ipv6 else "ipv4"),
            "mynetworks = " + nets,
            "smtpd_authorized_xclient_hosts = " + nets,
            "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination",
            "smtpd_recipient_restrictions = check_recipient_access inline:{ hold.test=HOLD }",
            "relayhost = [127.0.0.1]:%d" % self.dead_port,
            "transport_maps = inline:{ tarpit.test=smtp:[127.0.0.1]:%d, "
            "discard.test=discard: }" % self.tarpit.port,
            "smtp_connect_timeout = 5s", "smtp_helo_timeout = 3600s",
            "minimal_backoff_time = 3600s", "maximal_backoff_time = 4000s",
            "queue_run_delay = 3600s", "qmgr_message_active_limit = 100",
            "in_flow_delay = 0",
            "smtp_tls_security_level = none", "smtpd_tls_security_level = none",
            "smtpd_client_connection_rate_limit = 0",
            "smtpd_client_message_rate_limit = 0",
            "smtpd_peername_lookup = no", "disable_dns_lookups = yes",
            "smtp_host_lookup = native", "default_process_limit = 20",
            "smtputf8_enable = yes",
            "enable_long_queue_ids = " + ("yes" if self.long_ids else "no"))
        run([SBIN + "/postconf", "-c", self.conf, "-F", "*/*/chroot = n"])
        run([SBIN + "/postconf", "-c", self.conf, "-F",
             "smtp/inet/service = 127.0.0.1:%d" % self.smtp_port])
        res = run([SBIN + "/postfix", "-c", self.conf, "check"], check=False)
        if res.returncode != 0:
            raise RuntimeError("postfix check failed: %s\n%s" % (
                res.stderr.decode(errors="replace"), self.log_tail()))

    def postconf(self, *settings):
        run([SBIN + "/postconf", "-c", self.conf, "-e"] + list(settings))

    def log_tail(self, n=20):
        try:
            with open(self.logfile, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # -- lifecycle --------------------------------------------------------

    def start(self):
        for attempt in range(5):
            with open(self.logfile, "rb") as f:
                seen = len(f.read())
            res = run([SBIN + "/postfix", "-c", self.conf, "start"], check=False)
            if res.returncode == 0:
                break
            with open(self.logfile, "rb") as f:
                new = f.read()[seen:].decode(errors="replace")
            if attempt == 4 or not port_taken(new):
                raise RuntimeError("postfix start failed:\n" + self.log_tail())
            # Another program took smtpd's port since setup(): another one.
            port = free_port()
            run([SBIN + "/postconf", "-c", self.conf, "-F", "127.0.0.1:%d/inet/service = "
                 "127.0.0.1:%d" % (self.smtp_port, port)])
            self.smtp_port = port
        self.running = True
        pidfile = os.path.join(self.spool, "pid", "master.pid")
        for _ in range(100):
            try:
                self.master_pid = int(open(pidfile).read().split()[0])
                break
            except (OSError, ValueError, IndexError):
                time.sleep(0.05)
        self.wait_smtp()

    def wait_smtp(self, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.smtp_port), 1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("smtpd does not listen:\n" + self.log_tail())

    def stop(self):
        if not self.running:
            return
        run([SBIN + "/postfix", "-c", self.conf, "stop"], check=False)
        self.running = False
        # postfix stop signals master and returns; wait for it by PID.
        for _ in range(200):
            if self.master_pid is None or not pid_alive(self.master_pid):
                break
            time.sleep(0.05)
        else:
            os.kill(self.master_pid, signal.SIGKILL)

    def close(self):
        try:
            self.stop()
        finally:
            self.tarpit.close()
            self.refused.close()
            shutil.rmtree(self.base, ignore_errors=True)

    # -- the queue, as Postfix sees it -------------------------------------

    def postqueue_j(self):
        res = run([SBIN + "/postqueue", "-c", self.conf, "-j"], check=False)
        return [json.loads(l) for l in res.stdout.decode("utf-8").splitlines() if l]

    def postsuper(self, flag, ids):
        run([SBIN + "/postsuper", "-c", self.conf, flag, "-"],
            input="".join(i + "\n" for i in ids).encode())

    def postcat_envelopes(self, ids):
        """{queue_id: facts} from one 'postcat -e -q ID...' run: the stored
        sender, the pending recipients, sasl_username and client address
        (log_client_address first; peer: client_address), and the queue
        the file is in."""
        out = {}
        for i in range(0, len(ids), 200):
            res = run([SBIN + "/postcat", "-c", self.conf, "-e", "-q"]
                      + ids[i:i + 200], check=False)
            out.update(parse_postcat_e(res.stdout, self.spool))
        return out

    def postcat_files(self, paths, spool=None):
        """{path relative to spool (default: this instance's queue
        directory): facts} from 'postcat -e' of each file named, read by
        its path as postcat reads any file; a file postcat refuses is not
        in the result. The facts also hold the arrival time (seconds) and
        size postcat shows ("size" None when the file has no size record,
        as postdrop's files)."""
        spool = spool or self.spool
        out = {}
        for i in range(0, len(paths), 200):
            batch = paths[i:i + 200]
            res = run([SBIN + "/postcat", "-c", self.conf, "-e"] + batch, check=False)
            if res.returncode != 0:
                # postcat stops at the first file it refuses: one by one
                for path in batch:
                    one = run([SBIN + "/postcat", "-c", self.conf, "-e", path], check=False)
                    if one.returncode == 0:
                        out.update(parse_postcat_e(one.stdout, spool, by_path=True))
                continue
            out.update(parse_postcat_e(res.stdout, spool, by_path=True))
        return out

    def sendmail(self, sender, rcpt, body=b"Subject: local\n\nhello\n"):
        run([SBIN + "/sendmail", "-C", self.conf, "-f", sender, rcpt], input=body)

    def wait_settled(self, quiet=1.0, timeout=60):
        """Wait until postqueue -j lists the same (queue, id) set for
        `quiet` seconds: nothing moves any more."""
        end = time.monotonic() + timeout
        last, since = None, time.monotonic()
        while time.monotonic() < end:
            now = sorted((m["queue_name"], m["queue_id"]) for m in self.postqueue_j())
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return last
            time.sleep(0.1)
        raise RuntimeError("the queue does not settle")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def parse_postcat_e(data, spool, by_path=False):
    """postcat -e output -> {queue_id (by_path: the path relative to
    spool): facts}."""
    out, cur = {}, None
    for raw in data.split(b"\n"):
        if raw.startswith(b"*** ENVELOPE RECORDS "):
            path = raw[len(b"*** ENVELOPE RECORDS "):-len(b" ***")].decode()
            rel = os.path.relpath(path, spool) if path.startswith("/") else path
            qid = os.path.basename(rel)
            cur = out[rel if by_path else qid] = {
                "queue": rel.split("/")[0], "sender": None, "recipients": [],
                "sasl": None, "client": None, "log_client": None, "arrival": None,
                "size": None, "seg": "env"}
            continue
        if cur is None:
            continue
        if raw.startswith(b"*** MESSAGE CONTENTS") or raw.startswith(b"*** HEADER EXTRACTED"):
            cur["seg"] = "extract" if b"EXTRACTED" in raw else "content"
            continue
        name, sep, payload = raw.partition(b": ")
        if not sep:
            continue
        name = name.strip()
        if name == b"sender" and cur["sender"] is None:
            cur["sender"] = payload
        elif name == b"message_arrival_time" and cur["arrival"] is None:
            # postcat prints the local time, as this process reads it
            cur["arrival"] = int(time.mktime(time.strptime(
                payload.decode().strip(), "%a %b %d %H:%M:%S %Y")))
        elif name == b"message_size" and cur["size"] is None:
            cur["size"] = int(payload.split()[0])
        elif name == b"recipient":
            cur["recipients"].append(payload)
        elif name == b"named_attribute" and cur["seg"] == "env":
            k, _, v = payload.partition(b"=")
            for attr, slot in ((b"sasl_username", "sasl"), (b"client_address", "client"),
                               (b"log_client_address", "log_client")):
                if k == attr and v and cur[slot] is None:
                    cur[slot] = v
    for f in out.values():
        # "client" is what pfqmon reads; "peer" Postfix's own bare form
        # of the (XCLIENT) client, e.g. 2001:db8::25 for IPv6:2001:db8::25.
        f["peer"] = f["client"]
        f["client"] = f.pop("log_client") or f["client"]
        del f["seg"]
    return out


# -- SMTP injection --------------------------------------------------------

class Injector:
    """One SMTP connection, many transactions; XCLIENT before a message
    sets the client address and SASL login Postfix records for it."""

    def __init__(self, port):
        self.port = port
        self.smtp = smtplib.SMTP("127.0.0.1", port, timeout=30)
        self.smtp.ehlo("injector.test")

    def xclient(self, addr=None, login=None, name=None):
        args = []
        if addr:
            args.append("ADDR=" + addr)
        args.append("LOGIN=" + (login if login else "[UNAVAILABLE]"))
        if name:
            args.append("NAME=" + name)
        code, msg = self.smtp.docmd("XCLIENT", " ".join(args))
        if code != 220:
            raise RuntimeError("XCLIENT %s: %d %s" % (args, code, msg))
        # After XCLIENT the session restarts: EHLO again.
        self.smtp.ehlo_resp = None
        self.smtp.ehlo("client.test")

    def send(self, sender, rcpts, body=None, utf8=False):
        """MAIL FROM and RCPT TO exactly as given (no address rewriting
        by smtplib), then DATA. Returns the reply to DATA."""
        s = self.smtp
        s.command_encoding = "utf-8" if utf8 else "ascii"
        opts = " SMTPUTF8" if utf8 else ""
        code, msg = s.docmd("MAIL FROM:<%s>%s" % (sender, opts))
        if code != 250:
            s.rset()
            raise RuntimeError("MAIL FROM:<%r>: %d %s" % (sender, code, msg))
        for r in rcpts:
            code, msg = s.docmd("RCPT TO:<%s>" % r)
            if code not in (250, 251):
                s.rset()
                raise RuntimeError("RCPT TO:<%s>: %d %s" % (r, code, msg))
        if body is None:
            body = b"Subject: test\r\nFrom: x@x.test\r\n\r\nhello\r\n"
        code, msg = s.data(body)
        if code != 250:
            raise RuntimeError("DATA: %d %s" % (code, msg))
        return msg

    def close(self):
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass


# -- InfluxDB ---------------------------------------------------------------

class Influx:
    """A private InfluxDB 1.x: own directories, loopback HTTP and RPC
    ports, no reporting, no _internal database."""

    def __init__(self, root=None, subscriber=False):
        self.base = tempfile.mkdtemp(prefix="pfqmon-influx.", dir=root)
        self.port = free_port()
        self.rpc_port = free_port()
        self.subscriber = subscriber        # Kapacitor subscribes
        self.proc = None
        self.started = False
        atexit.register(self.close)

    def start(self):
        """Start influxd; after stop() it comes back on the same port with
        the same data, as after an outage. On its first start it moves to
        other ports if another program took one of its own meanwhile."""
        for attempt in range(5):
            log = self._start()
            if log is None:
                self.started = True
                return
            if self.started or attempt == 4 or not port_taken(log):
                break
            self.port, self.rpc_port = free_port(), free_port()
        raise RuntimeError("influxd did not start: " + log[-300:])

    def _start(self):
        """One start: None once influxd itself answers, or what it logged."""
        conf = os.path.join(self.base, "influxdb.conf")
        b = self.base
        with open(conf, "w") as f:
            f.write('reporting-disabled = true\n'
                    'bind-address = "127.0.0.1:%d"\n'
                    '[meta]\n  dir = "%s/meta"\n  logging-enabled = false\n'
                    '[data]\n  dir = "%s/data"\n  wal-dir = "%s/wal"\n'
                    '  query-log-enabled = false\n  index-version = "inmem"\n'
                    '[monitor]\n  store-enabled = false\n'
                    '[http]\n  enabled = true\n  bind-address = "127.0.0.1:%d"\n'
                    '  auth-enabled = false\n  log-enabled = false\n'
                    '  pprof-enabled = false\n'
                    '[continuous_queries]\n  enabled = false\n'
                    '[subscriber]\n  enabled = %s\n'
                    % (self.rpc_port, b, b, b, self.port,
                       "true" if self.subscriber else "false"))
        path = os.path.join(b, "influxd.log")
        self.log = open(path, "ab")
        seen = self.log.tell()
        self.proc = subprocess.Popen(["influxd", "run", "-config", conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 20
        while time.monotonic() < end and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(self.url("/ping"), timeout=1) as r:
                    if r.status == 204 and listening(self.proc.pid, self.port):
                        return None
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        with open(path, "rb") as f:
            return f.read()[seen:].decode(errors="replace")

    def url(self, path, **params):
        q = "?" + urllib.parse.urlencode(params) if params else ""
        return "http://127.0.0.1:%d%s%s" % (self.port, path, q)

    def query(self, q, db=None, epoch=None):
        params = {"q": q}
        if db:
            params["db"] = db
        if epoch:
            params["epoch"] = epoch
        req = urllib.request.Request(self.url("/query"),
                                     data=urllib.parse.urlencode(params).encode())
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read().decode("utf-8"))

    def write(self, db, body):
        """POST /write; returns (status, error body)."""
        req = urllib.request.Request(self.url("/write", db=db, precision="ns"),
                                     data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def stop(self):
        """Stop influxd (by its PID), keeping its data and port."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def points(self, db, q):
        """The rows of one SELECT, as lists, times in nanoseconds."""
        res = self.query(q, db, epoch="ns")["results"][0]
        return [row for s in res.get("series", []) for row in s["values"]]

    def close(self):
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


# -- alert mails: the abuse scene's hostile names, and an SMTP sink ---------
# (test_alerts.py for Kapacitor, test_prometheus.py for Alertmanager)

# What the attacker chose: a SASL login and a sender meant to run
# commands when pasted into a shell, with spaces, UTF-8 and a leading '-'.
EVIL_LOGIN = "-x'`touch PWNED1`'$(touch PWNED2);|<b>&\"y"
# (Postfix refuses a sender with a leading '-'; a SASL login may have one.)
EVIL_SENDER = "\"a'`touch PWNED3`'$(touch PWNED4);|&* \u00fc\"@evil.example"
EVIL_SENDER_TAG = "a'`touch PWNED3`'$(touch PWNED4);|&* \u00fc@evil.example"
VICTIM, VICTIM_LOGIN = "victim@customer.example", "victim"
VICTIM_IPS = ["198.51.100.%d" % i for i in range(10, 15)]
RELAY_IP = "203.0.113.66"
EVIL_IP = "198.51.100.77"
PWNED = ("PWNED1", "PWNED2", "PWNED3", "PWNED4")


class Sink:
    """An SMTP server on loopback that keeps every mail it gets."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        self.mails, self.lock = [], threading.Lock()
        for attempt in range(5):
            self.port = free_port()
            self.ctl = Controller(self, hostname="127.0.0.1", port=self.port)
            try:
                self.ctl.start()
                break
            except OSError as e:        # another program took the port
                if attempt == 4 or e.errno != errno.EADDRINUSE:
                    raise

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        body = msg.get_body(("html", "plain"))
        with self.lock:
            self.mails.append({"at": time.monotonic(), "to": list(envelope.rcpt_tos),
                               "subject": str(msg["subject"]),
                               "body": body.get_content() if body else ""})
        return "250 OK"

    def since(self, t0):
        with self.lock:
            return [m for m in self.mails if m["at"] >= t0]

    def close(self):
        self.ctl.stop()


def wait_mails(sink, t0, pred, count=1, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = [m for m in sink.since(t0) if pred(m)]
        if len(got) >= count:
            return got
        time.sleep(0.5)
    return [m for m in sink.since(t0) if pred(m)]


def envelopes(pf):
    """{queue_id: facts} of every message in the queue, by postcat."""
    ids = [m["queue_id"] for m in pf.postqueue_j()]
    return pf.postcat_envelopes(ids)


def ids_of(env, key, value, queues=("incoming", "active", "deferred", "hold")):
    return {i for i, f in env.items()
            if f.get(key) is not None and f[key].decode("utf-8", "replace") == value
            and f["queue"] in queues}


def paste(line, conf, stub_dir, work):
    """Run one pasted line in bash, postsuper stubbed (or not, stub_dir None)."""
    from testenv import PFQMON
    env = dict(os.environ, MAIL_CONFIG=conf,
               PATH=((stub_dir + ":") if stub_dir else "") + os.path.dirname(PFQMON)
               + ":/usr/sbin:/usr/bin:/sbin:/bin")
    return subprocess.run(["bash", "--noprofile", "--norc", "-c", line], cwd=work, env=env,
                          capture_output=True, timeout=60)


def stub(work):
    d = os.path.join(work, "stub")
    os.makedirs(d)
    log = os.path.join(work, "postsuper.log")
    with open(os.path.join(d, "postsuper"), "w") as f:
        f.write("#!/bin/sh\nprintf 'ARGS %%s\\n' \"$*\" >>%s\ncat >>%s\n" % (log, log))
    os.chmod(os.path.join(d, "postsuper"), 0o755)
    return d, log


# The only command line a mail may give an admin to paste: pfqmon top, or
# pfqmon select --encoded with percent-encoded names, into postcat or
# postsuper.
PLAIN_COMMAND = re.compile(r"pfqmon (top|select --encoded [A-Za-z0-9%+._~= -]+)"
                           r"( \| (head -3 \| xargs -n1 postcat -hq|postsuper -[hdH] -))?")


def paste_all(lines, conf, work, repo):
    """Paste each line into bash in work, postsuper stubbed. Returns
    (problems: lines that are not PLAIN_COMMAND or failed, held: what
    was given to postsuper -h, canaries: PWNED files that appeared in
    work or repo)."""
    stub_dir, log = stub(work)
    problems = []
    for line in lines:
        if not PLAIN_COMMAND.fullmatch(line):
            problems.append("not a plain pfqmon/postsuper line: %r" % line)
        res = paste(line, conf, stub_dir, work)
        if res.returncode != 0:
            problems.append("%r: exit %d %s" % (line, res.returncode, res.stderr[-200:]))
    held = []
    if os.path.exists(log):
        cur = None
        for entry in open(log).read().splitlines():
            if entry.startswith("ARGS "):
                cur = entry[5:]
            elif cur == "-h -":
                held.append(entry)
    canaries = [p for p in PWNED if os.path.exists(os.path.join(work, p))
                or os.path.exists(os.path.join(repo, p))]
    return problems, held, canaries


def xtext(s):
    """XCLIENT's encoding (RFC 3461 xtext): +HH for what is not plain."""
    return "".join(c if 33 <= ord(c) <= 126 and c not in "+=" else
                   "".join("+%02X" % b for b in c.encode()) for c in s)

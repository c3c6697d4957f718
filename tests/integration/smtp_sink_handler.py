"""aiosmtpd handler for SmtpSink (sinks.py): keeps every message exactly as
received (raw bytes after the SMTP dot-unstuffing, CRLF line ends kept) with
its envelope, so tests can check the wire format and not a re-serialisation.

Run by sinks.SmtpSink as
    python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink_handler.RawMaildir DIR

Each message becomes DIR/<n>.eml (the bytes) and DIR/<n>.json (mail_from,
rcpt_tos, peer, time), where n is a zero-padded arrival counter; both are
written to a temporary name and renamed, the .json last, so a reader that
sees the .json sees a complete message. RCPT TO an address whose local part
starts with "reject" is answered 550 (a permanent refusal)."""
import itertools
import json
import os
import time


class RawMaildir:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        existing = [n for n in os.listdir(directory) if n.endswith(".json")]
        self.counter = itertools.count(len(existing) + 1)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("RawMaildir needs one argument: the directory")
        return cls(args[0])

    def _write(self, path, data):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # A recipient whose local part starts with "reject" is refused for
        # good (550), to test permanent failures; everyone else is accepted.
        if address.lower().startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        base = os.path.join(self.directory, "%08d" % n)
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content if isinstance(envelope.content, bytes) \
                else envelope.content.encode("utf-8", "surrogateescape")
        self._write(base + ".eml", raw)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "peer": list(session.peer) if session.peer else None,
            "time": time.time(),
        }
        self._write(base + ".json", json.dumps(meta).encode())
        return "250 OK"

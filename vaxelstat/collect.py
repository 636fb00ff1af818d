"""`vaxelstat collect`: follow growing PBX logs beside the PBX and send their new lines to a
collection point's push endpoint as they are written.

    VAXELSTAT_PUSH_TOKEN=… vaxelstat collect --point 3 --url https://stat.example.se \\
        --format asterisk-queue-log /var/log/asterisk/queue_log

Every few seconds (--interval) each file's complete new lines are sent, in order, to
`URL/ingest/push/POINT/` (at most --chunk bytes a request). The offset sent so far is kept in a
state file after each answer, so a restart goes on where it stopped: nothing is skipped, and
a request whose answer was lost is sent again once (the import reads the same lines twice as
once). A rotated file (renamed away and a new one created, or copied and truncated) is read
to its end first where it can be found beside the new one (a name that begins with the
file's, holding the lines sent so far): followed on while the PBX still writes to it (it
does until it opens its log again), then finished, then any file rotated after it (two
rotations while the collector was stopped), then the new one. When the server is away or
busy the collector waits longer each time (up to five minutes), then sends what is waiting;
a wrong token, point or format stops it with the server's reason.

It needs nothing but Python's standard library and no database: it is the product's only
piece that runs on the PBX's machine. The token is read from VAXELSTAT_PUSH_TOKEN or
--token-file (a --token on the command line is seen by every user of the machine).
"""

import argparse
import hashlib
import http.client
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# The bytes of a file's beginning whose digest tells it from another file of its name.
HEAD = 4096
MAX_BACKOFF = 300.0
DEFAULT_CHUNK = 4 * 1024 * 1024
# A rotated file written to this recently is still the PBX's (it writes to the renamed file
# until it opens its log again): followed on, before the new one.
SETTLE_S = 10.0
# Answers that mean the lines were read (a 422: the server read and rejected them all, and
# keeps them as rejected records to be fixed and read again there).
DELIVERED = {200, 422}
# Answers that waiting cannot mend: the collector stops and says why.
FATAL = {400, 401, 403, 404, 413}


class Fatal(Exception):
    """A refusal that sending again will not change."""


@dataclass
class Followed:
    """Where a followed file stands: which file (device and inode, and the digest of its
    first bytes) and how many of its bytes were sent."""

    path: str
    dev: int = 0
    inode: int = 0
    offset: int = 0
    head: str = ""


def _head(path: Path, upto: int) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read(min(upto, HEAD))).hexdigest()


def _is_same(path: Path, followed: Followed) -> bool:
    """Whether the file at `path` is the followed one (its inode, and its first bytes as they
    were when they were sent), and holds at least the bytes sent."""
    try:
        st = path.stat()
    except OSError:
        return False
    if (st.st_dev, st.st_ino) != (followed.dev, followed.inode) or st.st_size < followed.offset:
        return False
    return not followed.head or _head(path, followed.offset) == followed.head


def _rotated(followed: Followed) -> Path | None:
    """The followed file under its rotated name (queue_log.1, queue_log-20261207, …): renamed
    (the same inode) or copied before a truncation (the same first bytes)."""
    path = Path(followed.path)
    try:
        siblings = sorted(
            (p for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
    except OSError:
        return None
    for sibling in siblings:
        if _is_same(sibling, followed):
            return sibling
    if followed.head:
        for sibling in siblings:
            try:
                if sibling.stat().st_size >= followed.offset and (
                    _head(sibling, followed.offset) == followed.head
                ):
                    return sibling
            except OSError:
                continue
    return None


# Rotated files compressed by logrotate: not the log's text.
COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zip")


def _rotated_since(path: Path, old: Path) -> list[Path]:
    """The files rotated after `old` (written to later than it), oldest first."""
    when = old.stat().st_mtime
    found = []
    for sibling in path.parent.iterdir():
        if (
            sibling.name.startswith(path.name)
            and sibling not in (path, old)
            and not sibling.name.endswith(COMPRESSED)
            and sibling.is_file()
            and sibling.stat().st_mtime > when
        ):
            found.append(sibling)
    return sorted(found, key=lambda p: p.stat().st_mtime)


def _answer(body: bytes) -> dict[str, Any]:
    """The push endpoint's answer; a body that is not its JSON (a proxy's page) is an
    error to wait out."""
    try:
        return dict(json.loads(body or b"{}"))
    except (ValueError, TypeError) as exc:
        raise OSError(f"an answer that is not the push endpoint's: {body[:200]!r}") from exc


class Collector:
    def __init__(
        self,
        url: str,
        point: int,
        token: str,
        files: list[str],
        state: Path,
        fmt: str = "",
        chunk: int = DEFAULT_CHUNK,
        timeout: float = 60.0,
        log: Any = None,
        settle: float = SETTLE_S,
    ) -> None:
        self.endpoint = f"{url.rstrip('/')}/ingest/push/{point}/"
        self.token, self.fmt, self.chunk, self.timeout = token, fmt, chunk, timeout
        self.state = state
        self.settle = settle
        self.log = log or sys.stderr
        saved = self._load()
        self.files = [
            saved.get(str(Path(f).absolute())) or Followed(str(Path(f).absolute())) for f in files
        ]

    # -- the state file ---------------------------------------------------------------------

    def _load(self) -> dict[str, Followed]:
        try:
            data = json.loads(self.state.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise Fatal(f"{self.state}: the collector's state cannot be read: {exc}") from exc
        return {f["path"]: Followed(**f) for f in data.get("files", [])}

    def _save(self) -> None:
        """The offsets, written whole or not at all (a new file renamed over the old)."""
        tmp = self.state.with_name(self.state.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"files": [asdict(f) for f in self.files]}, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state)

    # -- sending ----------------------------------------------------------------------------

    def _send(self, name: str, body: bytes) -> dict[str, Any]:
        query = {"filename": name}
        if self.fmt:
            query["format"] = self.fmt
        request = urllib.request.Request(
            f"{self.endpoint}?{urllib.parse.urlencode(query)}",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "text/plain; charset=utf-8",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return _answer(answer.read())
        except urllib.error.HTTPError as exc:
            body = exc.read()
            if exc.code in DELIVERED:
                return _answer(body)
            text = body.decode("utf-8", "replace")[:500]
            if exc.code in FATAL:
                raise Fatal(f"{self.endpoint}: {exc.code} {text}") from exc
            raise OSError(f"{self.endpoint}: {exc.code} {text}") from exc
        except http.client.HTTPException as exc:
            # A connection cut in the middle of the answer: sent again.
            raise OSError(f"{self.endpoint}: {type(exc).__name__}: {exc}") from exc

    def _lines(self, path: Path, offset: int, to_end: bool = False) -> bytes:
        """The complete lines after `offset` (at most a chunk; a rotated file's last line
        whole, newline or not: nothing more will be written to it)."""
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(self.chunk)
            more = f.read(1)
        cut = data.rfind(b"\n") + 1
        if to_end and not more:
            return data
        return data[:cut]

    def _send_from(self, followed: Followed, path: Path, to_end: bool = False) -> int:
        """Send `path`'s lines after the followed offset; return the bytes sent."""
        sent = 0
        while body := self._lines(path, followed.offset, to_end):
            # The file's first bytes as sent (read before the answer: the file may rotate
            # while it is awaited).
            head = _head(path, followed.offset + len(body)) if followed.offset < HEAD else ""
            answer = self._send(Path(followed.path).name, body)
            followed.offset += len(body)
            followed.head = head or followed.head
            self._save()
            sent += len(body)
            if answer.get("rejected"):
                self.log.write(
                    f"{path}: {answer['rejected']} of {answer.get('read', '?')} lines rejected "
                    "by the server (kept there to be fixed)\n"
                )
        return sent

    def _finish_rotated(self, followed: Followed) -> tuple[int, bool]:
        """The rest of a rotated file; return the bytes sent and whether it is finished.
        The PBX writes to the renamed file until it opens its log again: one written to in
        the last `settle` seconds is followed on, and the new file waits its turn. Files
        rotated since (two rotations while the collector was stopped) follow it whole,
        oldest first."""
        old = _rotated(followed)
        path = Path(followed.path)
        if old is None:
            self.log.write(
                f"{path}: rotated, and its earlier file was not found beside it: lines "
                f"written after byte {followed.offset} of it were not sent\n"
            )
            return 0, True
        sent = self._send_from(followed, old)
        if time.time() - old.stat().st_mtime < self.settle:
            return sent, False
        sent += self._send_from(followed, old, to_end=True)
        for between in _rotated_since(path, old):
            sent += self._send_from(Followed(followed.path), between, to_end=True)
        return sent, True

    def round(self) -> int:
        """One pass over the files; return the bytes sent."""
        sent = 0
        for followed in self.files:
            path = Path(followed.path)
            if followed.inode and not _is_same(path, followed):
                done, finished = self._finish_rotated(followed)
                sent += done
                if not finished:
                    continue
                followed.dev = followed.inode = followed.offset = 0
                followed.head = ""
                self._save()
            try:
                st = path.stat()
            except FileNotFoundError:
                continue  # between a rotation's rename and the new file
            if not followed.inode:
                followed.dev, followed.inode = st.st_dev, st.st_ino
            sent += self._send_from(followed, path)
        return sent

    def run(self, interval: float, stop: Any = None) -> None:
        """Rounds every `interval` seconds until `stop()` says so; waiting longer each time
        the server is away (up to MAX_BACKOFF)."""
        wait = interval
        while not (stop and stop()):
            try:
                self.round()
                wait = interval
            except OSError as exc:  # the server away, a timeout, a 5xx or 429
                wait = min(max(wait * 2, interval), MAX_BACKOFF)
                self.log.write(f"{exc}; sending again in {wait:.0f} s\n")
            time.sleep(wait)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="vaxelstat collect",
        description="Follow growing PBX logs and send their new lines to a collection point.",
    )
    parser.add_argument("--point", type=int, required=True, help="the collection point's id")
    parser.add_argument("--url", required=True, help="the server's address, https://…")
    parser.add_argument("--token", help="the point's push token (better: VAXELSTAT_PUSH_TOKEN)")
    parser.add_argument("--token-file", type=Path, help="a file holding the push token")
    parser.add_argument("--format", default="", help="the files' format, e.g. asterisk-cdr")
    parser.add_argument(
        "--state",
        type=Path,
        help="where the offsets are kept (default: vaxelstat-collect-POINT.json here)",
    )
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between rounds")
    parser.add_argument("--once", action="store_true", help="one round, then stop")
    parser.add_argument("files", nargs="+", metavar="FILE")
    args = parser.parse_args(argv)
    token = os.environ.get("VAXELSTAT_PUSH_TOKEN", "") or args.token or ""
    if args.token_file:
        token = args.token_file.read_text(encoding="utf-8").strip()
    if not token:
        parser.error("no push token: set VAXELSTAT_PUSH_TOKEN, or give --token-file")
    if not 0.5 <= args.interval <= 3600:
        parser.error("--interval is from 0.5 to 3600 seconds")
    if urllib.parse.urlsplit(args.url).scheme not in ("http", "https"):
        parser.error(f"--url {args.url!r} is no http(s) address")
    state = args.state or Path(f"vaxelstat-collect-{args.point}.json")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        collector = Collector(args.url, args.point, token, args.files, state, args.format)
        if args.once:
            collector.round()
        else:
            collector.run(args.interval, stop=lambda: bool(stopping))
    except Fatal as exc:
        sys.stderr.write(f"vaxelstat collect: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        sys.stderr.write(f"vaxelstat collect: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

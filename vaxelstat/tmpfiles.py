"""The data directory's tmp/: every temporary file of an import, a push or a store insert.

Each file's name begins with the process id that made it, so a process that starts can remove
what a process that died (a kill, a power cut) left behind, without touching the files of one
still at work (a CLI import beside the server, on a shared store).
"""

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import IO

from django.conf import settings

# A file without a process id in its name (from before names had one) is removed once it
# has not changed for this long.
UNNAMED_AFTER_S = 3600


def folder() -> Path:
    path = settings.DATA_DIR / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def named(suffix: str = "", prefix: str = "") -> IO[bytes]:
    """A temporary file, removed when closed."""
    return tempfile.NamedTemporaryFile(  # noqa: SIM115 (the caller closes it)
        dir=folder(), prefix=f"{os.getpid()}-{prefix}", suffix=suffix
    )


def reserved(suffix: str = "") -> Path:
    """The name of a new, empty temporary file, which the caller removes."""
    handle, name = tempfile.mkstemp(dir=folder(), prefix=f"{os.getpid()}-", suffix=suffix)
    os.close(handle)
    return Path(name)


def alive(pid: int) -> bool:
    """Whether a process of this machine is running."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def remove_leftovers() -> int:
    """Remove the temporary files and folders (an import's spilled workspace) of processes
    that are gone; return how many."""
    removed = 0
    now = time.time()
    for path in folder().iterdir():
        head = path.name.split("-", 1)[0]
        try:
            gone = (
                not alive(int(head))
                if head.isdigit()
                else (now - path.stat().st_mtime > UNNAMED_AFTER_S)
            )
            if gone and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
            elif gone:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed

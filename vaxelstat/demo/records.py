"""What the simulated PBX writes: Asterisk CDR rows and queue_log lines, as records."""

from dataclasses import dataclass


@dataclass(slots=True)
class CdrRow:
    src: str
    dst: str
    dcontext: str
    clid: str
    channel: str
    dstchannel: str
    lastapp: str
    lastdata: str
    start: int
    answer: int | None
    end: int
    disposition: str
    uniqueid: str
    linkedid: str
    sequence: int
    accountcode: str = ""
    amaflags: str = "DOCUMENTATION"
    userfield: str = ""
    peeraccount: str = ""

    @property
    def duration(self) -> int:
        return self.end - self.start

    @property
    def billsec(self) -> int:
        return self.end - self.answer if self.answer is not None else 0


@dataclass(slots=True)
class QueueLogLine:
    epoch: int
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...] = ()

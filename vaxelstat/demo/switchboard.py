"""The demo company's switchboard: who works there and how its calls are routed.

The simulated PBX is a FreePBX-style Asterisk (SPEC §13): extensions 1001–1025 as PJSIP peers,
ACD queues 400 and 401 (ext-queues), ring group 600 (ext-group), IVR context ivr-1 and time
condition 1 on the main number.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Person:
    ext: str
    name: str
    # Probability of picking up a ringing phone when free.
    answer_prob: float = 0.8
    voicemail: bool = True
    # Call forward on no answer: an extension or an external number.
    forward_to: str | None = None


@dataclass(frozen=True)
class Queue:
    number: str
    name: str
    members: tuple[str, ...]
    # Local hours (start, end) when members are logged in, per member; default office hours.
    login: dict[str, tuple[float, float]] = field(default_factory=dict)
    mean_talk_s: float = 150.0
    timeout_s: int = 300
    # Share of IVR callers routed here.
    ivr_share: float = 0.5


@dataclass(frozen=True)
class HuntGroup:
    number: str
    name: str
    members: tuple[str, ...]
    ring_s: int = 20


MAIN_NUMBER = "0812345600"
TRUNK = "trunk"
IVR_CONTEXT = "ivr-1"
IVR_NAME = "Huvudmeny"
RULE_ID = "1"
RULE_NAME = "Kontorstid"
OPEN_HOURS = (8.0, 17.0)  # local time, Monday to Friday
# Every queue member's afternoon break, local hours: paused in the queue (PAUSE … UNPAUSE),
# offered no calls.
BREAK_HOURS = (14.5, 14.75)
BREAK_REASON = "Fika"

_NAMES = [
    "Anna Lindqvist",
    "Erik Johansson",
    "Maria Karlsson",
    "Lars Nilsson",
    "Karin Eriksson",
    "Johan Larsson",
    "Eva Olsson",
    "Per Persson",
    "Kristina Svensson",
    "Anders Gustafsson",
    "Sara Pettersson",
    "Mikael Jonsson",
    "Emma Jansson",
    "Fredrik Hansson",
    "Linnéa Bengtsson",
    "Oskar Lindberg",
    "Ingrid Åström",
    "Gustav Öberg",
    "Elin Sandberg",
    "Henrik Forsberg",
    "Sofia Lundgren",
    "Magnus Holm",
    "Ida Wallin",
    "Nils Ekström",
    "Hanna Sjöberg",
]


def people() -> list[Person]:
    result = []
    for i, name in enumerate(_NAMES):
        ext = str(1001 + i)
        forward_to = {"1007": "0701234567", "1008": "1009", "1016": "0739876543"}.get(ext)
        answer_prob = 0.9 if i < 15 else 0.7
        result.append(
            Person(ext, name, answer_prob, voicemail=ext not in {"1024"}, forward_to=forward_to)
        )
    return result


QUEUES = (
    Queue(
        "400",
        "Växel",
        ("1001", "1002", "1003"),
        login={"1003": (10.0, 15.0)},
        mean_talk_s=120.0,
        ivr_share=0.55,
    ),
    Queue(
        "401",
        "Support",
        ("1010", "1011", "1012", "1013"),
        login={m: (8.0, 16.5) for m in ("1010", "1011", "1012", "1013")},
        mean_talk_s=300.0,
        ivr_share=0.33,
    ),
)
HUNT_GROUPS = (HuntGroup("600", "Ekonomi", ("1020", "1021", "1022")),)

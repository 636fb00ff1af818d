"""Every figure, defined once, as data (SPEC §5).

A measure is a key within a scope (the legs it counts): its Swedish and English label and
definition, the unit, and how it is computed. The nine standard reports are presets over this
table; UI tooltips, exports, the help page and the API read it too. "Included in" is derived
from the identities below, so it cannot drift from them.
"""

import itertools
from dataclasses import dataclass, field

from django.utils.translation import get_language

from vaxelstat.reports.journey import JOURNEY_ENDINGS


@dataclass(frozen=True)
class Measure:
    scope: str  # "user_in", "user_out", "group", "routing", "agent"
    key: str
    label_sv: str
    label_en: str
    definition_sv: str
    definition_en: str
    # How it is computed: "count" (legs matching `where`), "sum" / "avg" / "max" of `value`
    # over legs matching `where`, or "share": the percentage of the legs matching `of` that
    # match `value` (a service level: $service_level_s and $short_abandon_s are the
    # organization's limits), or "ratio": the sum of `value` over the legs matching `where`
    # as a percentage of the sum of `of` over all the report's legs.
    agg: str
    where: str = "true"
    value: str = ""
    unit: str = "count"  # "count", "seconds" or "percent"
    of: str = ""
    # The legs it reads beyond the store's own columns: "callbacks" (the columns of
    # vaxelstat.reports.callbacks) or "journey" (vaxelstat.reports.journey's), computed when
    # asked for.
    source: str = ""

    @property
    def label(self) -> str:
        """The column's heading in the active language."""
        return self.label_en if english() else self.label_sv


ANSWERED_USER = "type = 'in_answered'"
UNANSWERED_GROUP = "type IN ('abandoned', 'no_agent')"


ANSWERED_GROUP = "type = 'answered'"
ANSWERED_OUT = "type = 'out_answered'"
ABANDONED_GROUP = "type = 'abandoned'"
# Answered within the organization's service-level time.
ANSWERED_IN_TIME = f"{ANSWERED_GROUP} AND wait_s <= $service_level_s"
# The distributions of the groups' waits: the limits in seconds (SPEC §5's Kötid).
ANSWERED_WITHIN = (10, 20, 30, 60, 120)
ABANDONED_WITHIN = (5, 10, 30, 60)


def _distribution() -> list[Measure]:
    """Answered and abandoned within each limit (cumulative: Kötid at most the limit), and in
    each band above the first limit (more than one limit, at most the next; the last with no
    upper limit): the first limit's count and the bands add up to the kind's total."""
    kinds = (
        (
            "answered",
            ANSWERED_GROUP,
            ANSWERED_WITHIN,
            "Besvarade",
            "Answered",
            "Samtal som besvarades",
            "Calls answered",
        ),
        (
            "abandoned",
            ABANDONED_GROUP,
            ABANDONED_WITHIN,
            "Avbrutna",
            "Abandoned",
            "Samtal där den som ringde lade på",
            "Calls where the caller hung up",
        ),
    )
    measures = []
    for kind, where, limits, sv, en, who_sv, who_en in kinds:
        # (key, label_sv, label_en, the wait in words in Swedish and English, the wait's rule)
        bands = [
            (
                f"{kind}_within_{n}",
                f"{sv} inom {n} s",
                f"{en} within {n} s",
                f"högst {n} sekunders",
                f"at most {n} seconds",
                f"wait_s <= {n}",
            )
            for n in limits
        ]
        bands += [
            (
                f"{kind}_band_{low}_{high}",
                f"{sv} efter {low}–{high} s",
                f"{en} after {low}–{high} s",
                f"mer än {low} och högst {high} sekunders",
                f"more than {low} and at most {high} seconds",
                f"wait_s > {low} AND wait_s <= {high}",
            )
            for low, high in itertools.pairwise(limits)
        ]
        last = limits[-1]
        bands.append(
            (
                f"{kind}_after_{last}",
                f"{sv} efter mer än {last} s",
                f"{en} after more than {last} s",
                f"mer än {last} sekunders",
                f"more than {last} seconds",
                f"wait_s > {last}",
            )
        )
        measures += [
            Measure(
                "group",
                key,
                label_sv,
                label_en,
                f"{who_sv} efter {wait_sv} kötid.",
                f"{who_en} after a wait of {wait_en}.",
                "count",
                f"{where} AND {wait}",
            )
            for key, label_sv, label_en, wait_sv, wait_en, wait in bands
        ]
    return measures


# Samtalstid and (M) Samtalstid, by aggregation: key, labels and definitions.
_TALK = {
    "sum": (
        "talk_time",
        "Samtalstid",
        "Talk time",
        "Summan av samtalslängden för besvarade samtal.",
        "The sum of the talk time of answered calls.",
    ),
    "avg": (
        "mean_talk_time",
        "(M) Samtalstid",
        "(M) Talk time",
        "Medelvärdet av samtalslängden för besvarade samtal.",
        "The mean talk time of answered calls.",
    ),
}


def _talk(scope: str, answered: str, agg: str) -> Measure:
    """Samtalstid ("sum") or (M) Samtalstid ("avg"): the talk of the answered legs
    (`answered`) of a scope."""
    key, label_sv, label_en, definition_sv, definition_en = _TALK[agg]
    return Measure(
        scope,
        key,
        label_sv,
        label_en,
        definition_sv,
        definition_en,
        agg,
        answered,
        "talk_s",
        "seconds",
    )


MEASURES: list[Measure] = [
    # Incoming legs of users.
    Measure(
        "user_in",
        "incoming",
        "Totalt inkommande",
        "Total incoming",
        "Alla inkommande samtal till användaren.",
        "All incoming calls to the user.",
        "count",
    ),
    Measure(
        "user_in",
        "answered",
        "Besvarade",
        "Answered",
        "Inkommande samtal som användaren besvarade.",
        "Incoming calls the user answered.",
        "count",
        ANSWERED_USER,
    ),
    Measure(
        "user_in",
        "unanswered",
        "Ej besvarade",
        "Unanswered",
        "Inkommande samtal som ringde utan att besvaras (även gruppsamtal).",
        "Incoming calls that rang without being answered (group calls included).",
        "count",
        "type = 'in_no_answer'",
    ),
    Measure(
        "user_in",
        "busy",
        "Upptaget",
        "Busy",
        "Inkommande samtal som mötte upptaget.",
        "Incoming calls that met busy.",
        "count",
        "type = 'in_busy'",
    ),
    Measure(
        "user_in",
        "voicemail",
        "Omstyrda (röstbrevlåda)",
        "Redirected (voicemail)",
        "Inkommande samtal som gick till röstbrevlådan.",
        "Incoming calls that went to voicemail.",
        "count",
        "type = 'in_voicemail'",
    ),
    Measure(
        "user_in",
        "forwarded",
        "Omstyrda (till annat nummer)",
        "Redirected (to another number)",
        "Inkommande samtal som vidarekopplades till ett annat nummer.",
        "Incoming calls forwarded to another number.",
        "count",
        "type = 'in_forwarded'",
    ),
    Measure(
        "user_in",
        "mean_answer_time",
        "(M) Svarstid",
        "(M) Answer time",
        "Medelvärdet av kötiden för besvarade samtal.",
        "The mean wait of answered calls.",
        "avg",
        ANSWERED_USER,
        "wait_s",
        "seconds",
    ),
    Measure(
        "user_in",
        "internal",
        "Interna",
        "Internal",
        "Inkommande samtal från en annan användare i växeln.",
        "Incoming calls from another user of the switchboard.",
        "count",
        "internal",
    ),
    Measure(
        "user_in",
        "external",
        "Externa",
        "External",
        "Inkommande samtal utifrån.",
        "Incoming calls from outside.",
        "count",
        "NOT internal",
    ),
    _talk("user_in", ANSWERED_USER, "sum"),
    _talk("user_in", ANSWERED_USER, "avg"),
    # Outgoing legs of users.
    Measure(
        "user_out",
        "outgoing",
        "Totalt utgående",
        "Total outgoing",
        "Alla utgående samtal från användaren.",
        "All outgoing calls of the user.",
        "count",
    ),
    Measure(
        "user_out",
        "answered",
        "Besvarade",
        "Answered",
        "Utgående samtal som besvarades.",
        "Outgoing calls that were answered.",
        "count",
        ANSWERED_OUT,
    ),
    Measure(
        "user_out",
        "unanswered",
        "Ej besvarade",
        "Unanswered",
        "Utgående samtal som inte besvarades.",
        "Outgoing calls not answered.",
        "count",
        "type = 'out_unanswered'",
    ),
    _talk("user_out", ANSWERED_OUT, "sum"),
    _talk("user_out", ANSWERED_OUT, "avg"),
    # Group legs (ACD and hunt groups).
    Measure(
        "group",
        "incoming",
        "Totalt inkommande",
        "Total incoming",
        "Alla samtal som nådde gruppen.",
        "All calls that reached the group.",
        "count",
    ),
    Measure(
        "group",
        "answered",
        "Besvarade",
        "Answered",
        "Samtal som en medlem besvarade.",
        "Calls a member answered.",
        "count",
        "type = 'answered'",
    ),
    Measure(
        "group",
        "unanswered",
        "Ej besvarade",
        "Unanswered",
        "Samtal där den som ringde lade på i kö, eller ingen medlem var ledig.",
        "Calls where the caller hung up while waiting, or no member was available.",
        "count",
        UNANSWERED_GROUP,
    ),
    Measure(
        "group",
        "forwarded",
        "Vidarekopplade",
        "Forwarded",
        "Samtal som lämnade gruppen till ett annat mål (timeout, överflöde, röstbrevlåda).",
        "Calls that left the group for another destination (timeout, overflow, voicemail).",
        "count",
        "type = 'forwarded'",
    ),
    Measure(
        "group",
        "mean_answer_time",
        "(M) Svarstid",
        "(M) Answer time",
        "Medelvärdet av kötiden för besvarade samtal.",
        "The mean wait of answered calls.",
        "avg",
        "type = 'answered'",
        "wait_s",
        "seconds",
    ),
    _talk("group", ANSWERED_GROUP, "avg"),
    Measure(
        "group",
        "mean_wait_unanswered",
        "(M) Kötid ej besvarade",
        "(M) Wait of unanswered",
        "Medelvärdet av kötiden för ej besvarade samtal.",
        "The mean wait of unanswered calls.",
        "avg",
        UNANSWERED_GROUP,
        "wait_s",
        "seconds",
    ),
    Measure(
        "group",
        "max_wait",
        "Max kötid",
        "Max wait",
        "Den längsta kötiden för något samtal.",
        "The longest wait of any call.",
        "max",
        "true",
        "wait_s",
        "seconds",
    ),
    Measure(
        "group",
        "service_level",
        "Servicenivå",
        "Service level",
        "Andel besvarade inom servicenivåtiden av alla samtal utom de som avbröts inom "
        "gränsen för korta avbrott.",
        "Share answered within the service-level time of all calls but those abandoned "
        "within the short-abandon limit.",
        "share",
        value=ANSWERED_IN_TIME,
        unit="percent",
        of=f"NOT coalesce({ABANDONED_GROUP} AND wait_s <= $short_abandon_s, false)",
    ),
    Measure(
        "group",
        "service_level_answered",
        "Servicenivå (besvarade)",
        "Service level (answered)",
        "Andel av de besvarade samtalen som besvarades inom servicenivåtiden.",
        "Share of the answered calls that were answered within the service-level time.",
        "share",
        value=ANSWERED_IN_TIME,
        unit="percent",
        of=ANSWERED_GROUP,
    ),
    Measure(
        "group",
        "abandoned",
        "Avbrutna",
        "Abandoned",
        "Samtal där den som ringde lade på i kö.",
        "Calls where the caller hung up while waiting.",
        "count",
        "type = 'abandoned'",
    ),
    *_distribution(),
    # Routing legs (rule-based numbers and IVR menus).
    Measure(
        "routing",
        "handled",
        "Hanterade samtal",
        "Handled calls",
        "Alla samtal som nådde numret eller menyn.",
        "All calls that reached the number or menu.",
        "count",
    ),
    Measure(
        "routing",
        "connected",
        "Framkopplade",
        "Connected",
        "Samtal som kopplades vidare.",
        "Calls passed on.",
        "count",
        "type = 'connected'",
    ),
    Measure(
        "routing",
        "not_connected",
        "Ej framkopplade",
        "Not connected",
        "Samtal som slutade här.",
        "Calls that ended here.",
        "count",
        "type = 'not_connected'",
    ),
    Measure(
        "routing",
        "mean_menu_time",
        "(M) Tid i knappvalsmeny",
        "(M) Time in menu",
        "Medelvärdet av tiden i menyn.",
        "The mean time spent in the menu.",
        "avg",
        "true",
        "wait_s",
        "seconds",
    ),
]

# The agents: the members of answering groups (users), by the group calls that rang them (the
# legs of a user with Gruppsamtal från: ACD queues' and ring groups'), and by their time in
# the queues (direction 'agent': quarter-hour slices of sessions and pauses, their seconds as
# talk_s).
OFFERED = "direction = 'in'"
ANSWERED_AGENT = f"{OFFERED} AND {ANSWERED_USER}"
LOGGED_IN = "direction = 'agent' AND type = 'logged_in'"
PAUSED = "direction = 'agent' AND type = 'paused'"
AGENT_LEGS = "(direction = 'agent' OR (direction = 'in' AND group_from <> ''))"
# Logged in and not paused: the seconds of the logged-in slices less those of the paused ones.
AVAILABLE_S = (
    "CASE WHEN type = 'logged_in' THEN talk_s WHEN type = 'paused' THEN -talk_s ELSE 0 END"
)
MEASURES += [
    Measure(
        "agent",
        "offered",
        "Erbjudna",
        "Offered",
        "Gruppsamtal som ringde hos agenten, besvarade eller inte (ett per samtal och grupp, "
        "hur många gånger telefonen än ringde).",
        "Group calls that rang the agent, answered or not (one per call and group, however "
        "often the phone rang).",
        "count",
        OFFERED,
    ),
    Measure(
        "agent",
        "answered",
        "Besvarade",
        "Answered",
        "Erbjudna samtal som agenten besvarade.",
        "Offered calls the agent answered.",
        "count",
        ANSWERED_AGENT,
    ),
    Measure(
        "agent",
        "not_answered",
        "Ej besvarade",
        "Not answered",
        "Erbjudna samtal som ringde hos agenten utan att agenten svarade (i en kö: RINGNOANSWER).",
        "Offered calls that rang the agent without the agent answering (in a queue: RINGNOANSWER).",
        "count",
        f"{OFFERED} AND type <> 'in_answered'",
    ),
    Measure(
        "agent",
        "mean_ring_time",
        "(M) Ringtid",
        "(M) Ring time",
        "Medelvärdet av hur länge agentens telefon ringde per erbjudet samtal: till svar, "
        "eller alla ringsignaler till samtalet om agenten inte svarade.",
        "The mean time the agent's phone rang per offered call: until the answer, or all the "
        "ringing of the call where the agent did not answer.",
        "avg",
        OFFERED,
        "wait_s",
        "seconds",
    ),
    _talk("agent", ANSWERED_AGENT, "sum"),
    _talk("agent", ANSWERED_AGENT, "avg"),
    Measure(
        "agent",
        "logged_in_time",
        "Inloggad tid",
        "Logged-in time",
        "Tiden agenten var inloggad i minst en grupp (från ADDMEMBER till REMOVEMEMBER, eller "
        "till en omstart av växeln), i det intervall den infaller i.",
        "The time the agent was logged in to at least one group (from ADDMEMBER to "
        "REMOVEMEMBER, or to a restart of the switchboard), in the interval it falls in.",
        "sum",
        LOGGED_IN,
        "talk_s",
        "seconds",
    ),
    Measure(
        "agent",
        "paused_time",
        "Pausad tid",
        "Paused time",
        "Den del av den inloggade tiden som agenten var pausad i alla sina grupper (PAUSE "
        "till UNPAUSE) och inte erbjöds samtal, oavsett orsak.",
        "The part of the logged-in time the agent was paused in all its groups (PAUSE to "
        "UNPAUSE) and offered no calls, whatever the reason.",
        "sum",
        PAUSED,
        "talk_s",
        "seconds",
    ),
    Measure(
        "agent",
        "available_time",
        "Tillgänglig tid",
        "Available time",
        "Inloggad tid som agenten inte var pausad.",
        "Logged-in time the agent was not paused.",
        "sum",
        "direction = 'agent'",
        AVAILABLE_S,
        "seconds",
    ),
    Measure(
        "agent",
        "occupancy",
        "Beläggning",
        "Occupancy",
        "Samtalstiden i procent av den tillgängliga tiden (inloggad och inte pausad).",
        "The talk time as a percentage of the available time (logged in and not paused).",
        "ratio",
        ANSWERED_AGENT,
        "talk_s",
        "percent",
        of=AVAILABLE_S,
    ),
]

# Återuppringning (vaxelstat.reports.callbacks): a leg of a lost call, from a number.
LOST = "cb_lost AND from_number <> ''"
CALLBACK_SCOPES = ("user_in", "group", "routing")


def _callbacks(scope: str) -> list[Measure]:
    """The lost callers of a scope's objects and whether they were reached afterwards."""
    within = "inom gränsen för återuppringning (Servicenivå och larm, normalt 24 timmar)"
    within_en = "within the callback limit (Service level and alerts, 24 hours by default)"
    rows = [
        (
            "lost_calls",
            "Förlorade samtal",
            "Lost calls",
            "Externa samtal med nummer som ingen svarade på, varken här eller dit de "
            "kopplades vidare.",
            "External calls with a number that no one answered, neither here nor where they "
            "were sent on.",
            "count",
            LOST,
            "",
            "count",
        ),
        (
            "called_back",
            "Uppringda",
            "Called back",
            f"Förlorade samtal vars uppringare organisationen ringde upp (ett besvarat utgående "
            f"samtal till samma nummer) {within}, före ett nytt besvarat samtal från dem.",
            f"Lost calls whose caller the organization called back (an answered outgoing "
            f"call to the same number) {within_en}, before a new answered call from them.",
            "count",
            f"{LOST} AND cb_how = 'back'",
            "",
            "count",
        ),
        (
            "called_again_answered",
            "Ringde igen, besvarat",
            "Called again, answered",
            f"Förlorade samtal vars uppringare ringde igen och fick svar (var som helst i "
            f"organisationen) {within}, före en uppringning.",
            f"Lost calls whose caller called again and was answered (anywhere in the "
            f"organization) {within_en}, before a call back.",
            "count",
            f"{LOST} AND cb_how = 'again'",
            "",
            "count",
        ),
        (
            "never_reached",
            "Ej nådda",
            "Never reached",
            f"Förlorade samtal vars uppringare varken ringdes upp eller fick svar när den "
            f"ringde igen {within}: arbetslistan.",
            f"Lost calls whose caller was neither called back nor answered on calling "
            f"again {within_en}: the work list.",
            "count",
            f"{LOST} AND cb_how = ''",
            "",
            "count",
        ),
        (
            "mean_time_to_reach",
            "(M) Tid till kontakt",
            "(M) Time to reach",
            "Medeltiden från det förlorade samtalets början till samtalet som nådde "
            "uppringaren (uppringning eller nytt besvarat samtal).",
            "The mean time from the lost call's start to the call that reached the caller "
            "(a call back or a new answered call).",
            "avg",
            f"{LOST} AND cb_how <> ''",
            "cb_s",
            "seconds",
        ),
        (
            "lost_hidden",
            "Förlorade, dolt nummer",
            "Lost, hidden number",
            "Externa samtal från dolt nummer som ingen svarade på: de kan varken ringas upp "
            "eller kännas igen, och räknas för sig.",
            "External calls from a hidden number that no one answered: they can be neither "
            "called back nor recognized, and are counted apart.",
            "count",
            "cb_lost AND from_number = ''",
            "",
            "count",
        ),
    ]
    return [
        Measure(scope, key, sv, en, def_sv, def_en, agg, where, value, unit, source="callbacks")
        for key, sv, en, def_sv, def_en, agg, where, value, unit in rows
    ]


MEASURES += [m for scope in CALLBACK_SCOPES for m in _callbacks(scope)]

# Samtalets väg (vaxelstat.reports.journey): the external calls that came in by an object
# first (its front door), by where they ended (its JOURNEY_ENDINGS).


# The kinds of object a call from outside may come in by, with their scope and their legs
# (Återuppringning's and Samtalens väg's reports).
FRONT_DOORS = (
    ("user", "user_in", "direction = 'in'"),
    ("acd", "group", "true"),
    ("hunt", "group", "true"),
    ("ivr", "routing", "true"),
    ("rule", "routing", "true"),
)


def _journey(scope: str) -> list[Measure]:
    front = "j_front"
    measures = [
        Measure(
            scope,
            "entered",
            "Inkommande först hit",
            "Came in here first",
            "Externa samtal vars första steg var detta mätobjekt (ytterdörren); de delas upp "
            "efter var de slutade, var de än gick.",
            "External calls whose first step was this object (the front door); they are "
            "divided by where they ended, wherever they went.",
            "count",
            front,
            source="journey",
        )
    ]
    for key, _name, sv, en, def_sv, def_en in JOURNEY_ENDINGS:
        measures.append(
            Measure(
                scope,
                f"ended_{key}",
                sv,
                en,
                f"Samtal som kom in här först och slutade så: {def_sv}.",
                f"Calls that came in here first and ended so: {def_en}.",
                "count",
                f"{front} AND j_end = '{key}'",
                source="journey",
            )
        )
    return measures


MEASURES += [m for scope in CALLBACK_SCOPES for m in _journey(scope)]

# The measures compared with the organization's target for the service level.
SERVICE_LEVELS = ("service_level", "service_level_answered")

BY_KEY: dict[tuple[str, str], Measure] = {(m.scope, m.key): m for m in MEASURES}

# The identities of SPEC §5: a total and the parts that add up to it, per scope.
IDENTITIES: list[tuple[str, str, tuple[str, ...]]] = [
    ("user_in", "incoming", ("answered", "unanswered", "busy", "voicemail", "forwarded")),
    ("user_in", "incoming", ("internal", "external")),
    ("user_out", "outgoing", ("answered", "unanswered")),
    ("group", "incoming", ("answered", "unanswered", "forwarded")),
    # The distributions: the first limit's count and the bands above it.
    *(
        (
            "group",
            kind,
            (
                f"{kind}_within_{limits[0]}",
                *(m.key for m in MEASURES if m.key.startswith((f"{kind}_band_", f"{kind}_after_"))),
            ),
        )
        for kind, limits in (("answered", ANSWERED_WITHIN), ("abandoned", ABANDONED_WITHIN))
    ),
    ("routing", "handled", ("connected", "not_connected")),
    *(
        (scope, "lost_calls", ("called_back", "called_again_answered", "never_reached"))
        for scope in CALLBACK_SCOPES
    ),
    *(
        (scope, "entered", tuple(f"ended_{key}" for key, *_ in JOURNEY_ENDINGS))
        for scope in CALLBACK_SCOPES
    ),
    ("agent", "offered", ("answered", "not_answered")),
    ("agent", "logged_in_time", ("paused_time", "available_time")),
]


def included_in(scope: str, key: str) -> list[str]:
    """The keys of the totals a measure is a part of."""
    return sorted({total for s, total, parts in IDENTITIES if s == scope and key in parts})


def described(measure: Measure, english: bool = False) -> str:
    """The measure's definition and the totals it is a part of ("Inkluderad i …"): shown on
    pointing at a column heading, as the exports' header comments and on the help page."""
    totals = [BY_KEY[(measure.scope, key)] for key in included_in(measure.scope, measure.key)]
    if english:
        text, phrase, names = measure.definition_en, "Included in", [t.label_en for t in totals]
    else:
        text, phrase, names = measure.definition_sv, "Inkluderad i", [t.label_sv for t in totals]
    return f"{text} {phrase}: {', '.join(names)}." if names else text


@dataclass(frozen=True)
class Report:
    key: str
    kind: str  # the measured objects' kind
    scope: str
    name_sv: str
    name_en: str
    columns: tuple[str, ...]
    # Leg filter of the scope beyond the objects' kind.
    legs: str = field(default="true")

    @property
    def name(self) -> str:
        """The report's name in the active language."""
        return self.name_en if english() else self.name_sv


def english() -> bool:
    """Whether the active language is English (else the words are the Swedish originals)."""
    return (get_language() or "sv").startswith("en")


REPORTS: dict[str, Report] = {
    r.key: r
    for r in [
        Report(
            "user.incoming",
            "user",
            "user_in",
            "Inkommande – Besvarade – Ej besvarade – (M) Svarstid",
            "Incoming – Answered – Unanswered – (M) Answer time",
            (
                "incoming",
                "answered",
                "unanswered",
                "busy",
                "voicemail",
                "forwarded",
                "mean_answer_time",
            ),
            "direction = 'in'",
        ),
        Report(
            "user.internal_external",
            "user",
            "user_in",
            "Inkommande – Interna – Externa",
            "Incoming – Internal – External",
            ("incoming", "internal", "external", "talk_time", "mean_talk_time"),
            "direction = 'in'",
        ),
        Report(
            "user.outgoing",
            "user",
            "user_out",
            "Utgående – Besvarade – Ej besvarade – (M) Samtalstid",
            "Outgoing – Answered – Unanswered – (M) Talk time",
            ("outgoing", "answered", "unanswered", "talk_time", "mean_talk_time"),
            "direction = 'out'",
        ),
        Report(
            "acd.incoming",
            "acd",
            "group",
            "Inkommande – Besvarade – Ej besvarade – (M) Svarstid",
            "Incoming – Answered – Unanswered – (M) Answer time",
            (
                "incoming",
                "answered",
                "unanswered",
                "forwarded",
                "mean_answer_time",
                "service_level",
            ),
        ),
        Report(
            "acd.waits",
            "acd",
            "group",
            "Inkommande – (M) Svarstid – (M) Kötid ej besvarade",
            "Incoming – (M) Answer time – (M) Wait of unanswered",
            (
                "incoming",
                "answered",
                "mean_answer_time",
                "mean_talk_time",
                "unanswered",
                "mean_wait_unanswered",
                "max_wait",
            ),
        ),
        Report(
            "hunt.incoming",
            "hunt",
            "group",
            "Inkommande – Besvarade – Ej besvarade – Vidarekopplade (overflow)",
            "Incoming – Answered – Unanswered – Forwarded (overflow)",
            ("incoming", "answered", "unanswered", "forwarded"),
        ),
        Report(
            "hunt.times",
            "hunt",
            "group",
            "(M) Svarstid – (M) Samtalstid",
            "(M) Answer time – (M) Talk time",
            ("incoming", "answered", "mean_answer_time", "mean_talk_time"),
        ),
        Report(
            "rule.handled",
            "rule",
            "routing",
            "Hanterade samtal",
            "Handled calls",
            ("handled", "connected", "not_connected"),
        ),
        Report(
            "ivr.handled",
            "ivr",
            "routing",
            "Hanterade samtal",
            "Handled calls",
            ("handled", "connected", "not_connected", "mean_menu_time"),
        ),
        *(
            Report(
                f"{kind}.callbacks",
                kind,
                scope,
                "Förlorade samtal – Uppringda – Ringde igen – Ej nådda",
                "Lost calls – Called back – Called again – Never reached",
                (
                    "lost_calls",
                    "called_back",
                    "called_again_answered",
                    "never_reached",
                    "mean_time_to_reach",
                    "lost_hidden",
                ),
                legs,
            )
            for kind, scope, legs in FRONT_DOORS
        ),
        *(
            Report(
                f"{kind}.journey",
                kind,
                scope,
                "Samtalens väg – Inkommande först hit – Var de slutade",
                "Call journey – Came in here first – Where they ended",
                ("entered", *(f"ended_{key}" for key, *_ in JOURNEY_ENDINGS)),
                legs,
            )
            for kind, scope, legs in FRONT_DOORS
        ),
        Report(
            "agent.calls",
            "user",
            "agent",
            "Agenter – Erbjudna – Besvarade – Ej besvarade – (M) Ringtid – Samtalstid",
            "Agents – Offered – Answered – Not answered – (M) Ring time – Talk time",
            (
                "offered",
                "answered",
                "not_answered",
                "mean_ring_time",
                "talk_time",
                "mean_talk_time",
            ),
            AGENT_LEGS,
        ),
        Report(
            "agent.sessions",
            "user",
            "agent",
            "Agenter – Inloggad tid – Pausad tid – Tillgänglig tid – Beläggning",
            "Agents – Logged-in time – Paused time – Available time – Occupancy",
            ("logged_in_time", "paused_time", "available_time", "occupancy", "answered"),
            AGENT_LEGS,
        ),
    ]
}


def columns_of(report: Report) -> list[Measure]:
    return [BY_KEY[(report.scope, key)] for key in report.columns]


def chosen_columns(report: Report, keys: list[str]) -> list[Measure] | None:
    """An advanced report's columns: the measures of the report's scope named in `keys`, in
    the measure table's order; None (the report's own) when none is named."""
    wanted = set(keys)
    return [m for m in MEASURES if m.scope == report.scope and m.key in wanted] or None

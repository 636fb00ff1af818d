"""The simulated PBX: how each kind of call flows and what it leaves in the logs.

The PBX is FreePBX-style Asterisk (SPEC §13). Its dialplan forks the CDR at each routing step
(time condition, IVR, queue, ring group, voicemail), as `ForkCDR()` does, so every step leaves
a row. Calls are handled in arrival order; an extension is busy until its last call ends.
"""

import math
import random
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from vaxelstat.demo import switchboard as sb
from vaxelstat.demo.records import CdrRow, QueueLogLine

RING_TIMEOUT_S = 25
AGENT_RING_S = 15
WRAPUP_S = 10


@dataclass(slots=True)
class _Call:
    linkedid: str
    src: str
    clid: str
    channel: str
    internal: bool
    rows: list[CdrRow] = field(default_factory=list)
    qlog: list[QueueLogLine] = field(default_factory=list)
    last: int = 0

    def note(self, t: int) -> None:
        self.last = max(self.last, t)


class Pbx:
    def __init__(self, rng: random.Random, tz: zoneinfo.ZoneInfo) -> None:
        self.rng = rng
        self.tz = tz
        self.people = {p.ext: p for p in sb.people()}
        self.busy_until: defaultdict[str, int] = defaultdict(int)
        self.last_answer: defaultdict[str, int] = defaultdict(int)
        self.counter = 0
        self.sequence = 0
        self.stats: Counter[str] = Counter()
        self.callers = self._caller_pool(2500)
        weights = [1.0 / (i + 1) ** 0.7 for i in range(len(self.callers))]
        self.caller_cum = [sum(weights[: i + 1]) for i in range(len(weights))]

    # -- identities -------------------------------------------------------------------------

    def _caller_pool(self, n: int) -> list[tuple[str, str]]:
        pool = []
        firms = [
            "Byggare AB",
            "Kvarnen HB",
            "Norrlandsfrakt",
            "Vårdcentralen",
            "Ekonomibyrån",
            "Skolkontoret",
            "Hyresgästen",
            "Bilverkstaden",
        ]
        for _ in range(n):
            if self.rng.random() < 0.6:
                number = "07" + "".join(str(self.rng.randint(0, 9)) for _ in range(8))
            else:
                number = "08" + "".join(str(self.rng.randint(0, 9)) for _ in range(7))
            name = self.rng.choice(firms) if self.rng.random() < 0.3 else ""
            pool.append((number, name))
        return pool

    def channel(self, peer: str, t: int) -> tuple[str, str]:
        self.counter += 1
        return f"PJSIP/{peer}-{self.counter:08x}", f"{t}.{self.counter}"

    def local_hour(self, t: int) -> tuple[int, float]:
        local = datetime.fromtimestamp(t, self.tz)
        return local.weekday(), local.hour + local.minute / 60

    def external_call(self, t: int) -> _Call:
        if self.rng.random() < 0.04:
            number, name = "anonymous", "Anonymous"
        else:
            number, name = self.callers[
                self.rng.choices(range(len(self.callers)), cum_weights=self.caller_cum)[0]
            ]
        chan, uid = self.channel(sb.TRUNK, t)
        clid = f'"{name}" <{number}>' if name else f'"{number}" <{number}>'
        return _Call(uid, number, clid, chan, internal=False)

    def user_call(self, t: int, ext: str) -> _Call:
        chan, uid = self.channel(ext, t)
        return _Call(uid, ext, f'"{self.people[ext].name}" <{ext}>', chan, internal=True)

    def row(self, call: _Call, **fields: Any) -> CdrRow:
        self.sequence += 1
        fields.setdefault("channel", call.channel)
        fields.setdefault("dstchannel", "")
        fields.setdefault("uniqueid", call.linkedid)
        r = CdrRow(
            src=call.src, clid=call.clid, linkedid=call.linkedid, sequence=self.sequence, **fields
        )
        call.rows.append(r)
        call.note(r.end)
        return r

    def dial(
        self,
        call: _Call,
        dst: str,
        dcontext: str,
        lastdata: str,
        dstchannel: str,
        start: int,
        answer: int | None,
        end: int,
        disposition: str,
    ) -> CdrRow:
        return self.row(
            call,
            dst=dst,
            dcontext=dcontext,
            lastapp="Dial",
            lastdata=lastdata,
            dstchannel=dstchannel,
            start=start,
            answer=answer,
            end=end,
            disposition=disposition,
        )

    def queue_row(
        self,
        call: _Call,
        q: sb.Queue,
        start: int,
        end: int,
        answer: int | None = None,
        dstchannel: str = "",
    ) -> CdrRow:
        return self.row(
            call,
            dst=q.number,
            dcontext="ext-queues",
            lastapp="Queue",
            lastdata=f"{q.number},t,,,{q.timeout_s}",
            dstchannel=dstchannel,
            start=start,
            answer=answer,
            end=end,
            disposition="NO ANSWER" if answer is None else "ANSWERED",
        )

    def qlog(
        self, call: _Call, epoch: int, queue: str, agent: str, event: str, *data: object
    ) -> None:
        call.qlog.append(
            QueueLogLine(epoch, call.linkedid, queue, agent, event, tuple(str(d) for d in data))
        )
        call.note(epoch)

    def talk(self, mean: float) -> int:
        sigma = 0.8
        return max(5, int(self.rng.lognormvariate(math.log(mean) - sigma**2 / 2, sigma)))

    def patience(self, scale: float) -> int:
        return max(2, int(self.rng.weibullvariate(scale, 1.6)))

    # -- flows ------------------------------------------------------------------------------

    def main_number(self, t: int) -> _Call:
        call = self.external_call(t)
        weekday, hour = self.local_hour(t)
        is_open = weekday < 5 and sb.OPEN_HOURS[0] <= hour < sb.OPEN_HOURS[1]
        cond = "08:00-17:00,mon-fri,*,*"
        if not is_open:
            end = t + min(12, self.patience(20))
            self.row(
                call,
                dst=sb.RULE_ID,
                dcontext="timeconditions",
                lastapp="Playback",
                lastdata="custom/stangt",
                start=t,
                answer=t,
                end=end,
                disposition="ANSWERED",
            )
            self.stats["rule:not_connected"] += 1
            return call
        self.row(
            call,
            dst=sb.RULE_ID,
            dcontext="timeconditions",
            lastapp="GotoIfTime",
            lastdata=f"{cond}?{sb.IVR_CONTEXT},s,1",
            start=t,
            answer=None,
            end=t,
            disposition="NO ANSWER",
        )
        self.stats["rule:connected"] += 1
        menu = min(30, 3 + int(self.rng.expovariate(1 / 5)))
        r = self.rng.random()
        if r < 0.04:
            self.menu_row(call, "s", t, menu)
            self.stats["ivr:not_connected"] += 1
            return call
        r = self.rng.random()
        target: sb.Queue | sb.HuntGroup
        if r < 0.04:
            key, menu, target = "t", 10, sb.QUEUES[0]
        elif r < 0.04 + sb.QUEUES[0].ivr_share:
            key, target = "1", sb.QUEUES[0]
        elif r < 0.04 + sb.QUEUES[0].ivr_share + sb.QUEUES[1].ivr_share:
            key, target = "2", sb.QUEUES[1]
        else:
            key, target = "3", sb.HUNT_GROUPS[0]
        self.menu_row(call, key, t, menu)
        self.stats["ivr:connected"] += 1
        if isinstance(target, sb.Queue):
            self.queue(call, target, t + menu)
        else:
            self.hunt(call, target, t + menu)
        return call

    def menu_row(self, call: _Call, key: str, t: int, menu: int) -> CdrRow:
        """The IVR's row: the menu answered at t, left after `menu` s with `key` ("s": hung up)."""
        return self.row(
            call,
            dst=key,
            dcontext=sb.IVR_CONTEXT,
            lastapp="BackGround",
            lastdata="custom/huvudmeny",
            start=t,
            answer=t,
            end=t + menu,
            disposition="ANSWERED",
        )

    def logged_in(self, q: sb.Queue, member: str, t: int) -> bool:
        """Whether the member takes the queue's calls: logged in and not on a break."""
        weekday, hour = self.local_hour(t)
        start, end = q.login.get(member, sb.OPEN_HOURS)
        on_break = sb.BREAK_HOURS[0] <= hour < sb.BREAK_HOURS[1]
        return weekday < 5 and start <= hour < end and not on_break

    def shifts(self, start: int, end: int) -> list[QueueLogLine]:
        """The members' logins, breaks and logouts of every weekday from `start` to `end`
        (epochs), as the queue_log has them (ADDMEMBER, PAUSE, UNPAUSE, REMOVEMEMBER)."""
        lines = []
        day = datetime.fromtimestamp(start, self.tz).date()
        while (midnight := datetime.combine(day, time(0), self.tz)).timestamp() < end:
            if day.weekday() < 5:
                for q in sb.QUEUES:
                    for member in q.members:
                        login, logout = q.login.get(member, sb.OPEN_HOURS)
                        events = [(login, "ADDMEMBER", ""), (logout, "REMOVEMEMBER", "")]
                        if login <= sb.BREAK_HOURS[0] and sb.BREAK_HOURS[1] <= logout:
                            events += [
                                (sb.BREAK_HOURS[0], "PAUSE", sb.BREAK_REASON),
                                (sb.BREAK_HOURS[1], "UNPAUSE", ""),
                            ]
                        # (A shift that began before the simulation is not in its log.)
                        if (midnight + timedelta(hours=login)).timestamp() < start:
                            continue
                        for hour, event, data in events:
                            at = int((midnight + timedelta(hours=hour)).timestamp())
                            if at <= end:
                                lines.append(
                                    QueueLogLine(
                                        at,
                                        "NONE",
                                        q.number,
                                        f"Local/{member}@from-queue/n",
                                        event,
                                        (data,),
                                    )
                                )
            day += timedelta(days=1)
        return lines

    def queue(self, call: _Call, q: sb.Queue, t: int) -> None:
        key = f"queue:{q.number}"
        self.stats[f"{key}:incoming"] += 1
        self.qlog(call, t, q.number, "NONE", "ENTERQUEUE", "", call.src, 1)
        members = [m for m in q.members if self.logged_in(q, m, t)]
        if not members:
            self.qlog(call, t + 1, q.number, "NONE", "EXITEMPTY", 1, 1, 1)
            self.queue_row(call, q, t, t + 1)
            self.stats[f"{key}:no_agent"] += 1
            self.voicemail(call, q.number, t + 1, "u")
            return
        patience = self.patience(100)
        key_press = t + self.rng.randint(15, 90) if self.rng.random() < 0.03 else None
        give_up = t + patience
        skip_until: dict[str, int] = {}
        now = t
        while True:
            free = [m for m in members if self.busy_until[m] <= now and skip_until.get(m, 0) <= now]
            if not free:
                candidates = [max(self.busy_until[m], skip_until.get(m, 0)) for m in members]
                now = max(now + 1, min(candidates))
            ends = {"abandon": give_up, "timeout": t + q.timeout_s}
            if key_press:
                ends["key"] = key_press
            first_end, end_at = min(ends.items(), key=lambda kv: kv[1])
            if not free and now < end_at:
                continue
            if not free or end_at <= now:
                self.queue_exit(call, q, t, first_end, min(end_at, now) if free else end_at)
                return
            agent = min(free, key=lambda m: self.last_answer[m])
            person = self.people[agent]
            iface = f"Local/{agent}@from-queue/n"
            agent_chan = f"Local/{agent}@from-queue-{self.counter + 1:08x};1"
            self.counter += 1
            answers = self.rng.random() < person.answer_prob
            ring = self.rng.randint(2, 10) if answers else AGENT_RING_S
            if now + ring > end_at:
                self.busy_until[agent] = max(self.busy_until[agent], end_at)
                self.queue_row(call, q, now, end_at, dstchannel=agent_chan)
                self.queue_exit(call, q, t, first_end, end_at)
                return
            if not answers:
                self.qlog(call, now + ring, q.number, iface, "RINGNOANSWER", ring * 1000)
                self.queue_row(call, q, now, now + ring, dstchannel=agent_chan)
                self.stats[f"ext:{agent}:ringnoanswer"] += 1
                skip_until[agent] = now + ring + 30
                now += ring
                continue
            connect = now + ring
            talk = self.talk(q.mean_talk_s)
            self.qlog(
                call,
                connect,
                q.number,
                iface,
                "CONNECT",
                connect - t,
                f"{connect}.{self.counter}",
                ring,
            )
            who = "COMPLETECALLER" if self.rng.random() < 0.6 else "COMPLETEAGENT"
            self.qlog(call, connect + talk, q.number, iface, who, connect - t, talk, 1)
            self.queue_row(call, q, now, connect + talk, answer=connect, dstchannel=agent_chan)
            self.busy_until[agent] = connect + talk + WRAPUP_S
            self.last_answer[agent] = connect
            self.stats[f"{key}:answered"] += 1
            self.stats[f"{key}:wait_answered"] += connect - t
            return

    def queue_exit(self, call: _Call, q: sb.Queue, t: int, reason: str, at: int) -> None:
        key = f"queue:{q.number}"
        wait = at - t
        if reason == "abandon":
            self.qlog(call, at, q.number, "NONE", "ABANDON", 1, 1, wait)
            self.stats[f"{key}:abandoned"] += 1
            self.stats[f"{key}:wait_abandoned"] += wait
            if not call.rows or call.rows[-1].lastapp != "Queue":
                self.queue_row(call, q, t, at)
            return
        if reason == "timeout":
            self.qlog(call, at, q.number, "NONE", "EXITWITHTIMEOUT", 1, 1, wait)
        else:
            self.qlog(call, at, q.number, "NONE", "EXITWITHKEY", "0", 1, 1, wait)
        self.queue_row(call, q, t, at)
        self.stats[f"{key}:forwarded"] += 1
        self.voicemail(call, q.number, at, "u")

    def voicemail(self, call: _Call, mailbox: str, t: int, why: str) -> None:
        length = self.rng.randint(4, 40)
        self.row(
            call,
            dst=f"vm{why}{mailbox}",
            dcontext="ext-local",
            lastapp="VoiceMail",
            lastdata=f"{mailbox}@default,{why}",
            start=t,
            answer=t,
            end=t + length,
            disposition="ANSWERED",
        )

    def hunt(self, call: _Call, g: sb.HuntGroup, t: int) -> None:
        key = f"group:{g.number}"
        self.stats[f"{key}:incoming"] += 1
        dial = "&".join(f"PJSIP/{m}" for m in g.members) + f",{g.ring_s},tr"
        free = [m for m in g.members if self.busy_until[m] <= t]
        if not free:
            for m in g.members:
                chan, _ = self.channel(m, t)
                self.dial(call, g.number, "ext-group", dial, chan, t, None, t, "BUSY")
            self.stats[f"{key}:no_agent"] += 1
            self.voicemail(call, g.number, t, "u")
            return
        patience = self.patience(45)
        picks = {
            m: t + self.rng.randint(2, 12)
            for m in free
            if self.rng.random() < self.people[m].answer_prob * 0.7
        }
        winner = min(picks, key=lambda m: picks[m]) if picks else None
        if winner and picks[winner] - t <= min(g.ring_s, patience):
            answer = picks[winner]
            talk = self.talk(180)
            for m in g.members:
                chan, _ = self.channel(m, t)
                if m == winner:
                    self.dial(
                        call,
                        g.number,
                        "ext-group",
                        dial,
                        chan,
                        t,
                        answer,
                        answer + talk,
                        "ANSWERED",
                    )
                elif m in free:
                    self.dial(call, g.number, "ext-group", dial, chan, t, None, answer, "NO ANSWER")
            self.busy_until[winner] = answer + talk
            self.stats[f"{key}:answered"] += 1
            return
        gave_up = patience < g.ring_s
        end = t + (patience if gave_up else g.ring_s)
        for m in free:
            chan, _ = self.channel(m, t)
            self.dial(call, g.number, "ext-group", dial, chan, t, None, end, "NO ANSWER")
        if gave_up:
            self.stats[f"{key}:abandoned"] += 1
        else:
            self.stats[f"{key}:forwarded"] += 1
            self.voicemail(call, g.number, end, "u")

    def ring_user(
        self, call: _Call, ext: str, t: int, dcontext: str, patience: int, forwarded: bool = False
    ) -> None:
        """Ring one extension directly, then follow its busy / no-answer handling."""
        person = self.people[ext]
        key = f"ext:{ext}"
        chan, _ = self.channel(ext, t)
        lastdata = f"PJSIP/{ext},{RING_TIMEOUT_S},tr"
        if self.busy_until[ext] > t:
            self.dial(call, ext, dcontext, lastdata, chan, t, None, t + 1, "BUSY")
            if person.voicemail and not call.internal:
                # The busy greeting: the mailbox took the call (Röstsvar, Övrigt busy).
                self.stats[f"{key}:in_voicemail"] += 1
                self.voicemail(call, ext, t + 1, "b")
            else:
                self.stats[f"{key}:in_busy"] += 1
            return
        answers = self.rng.random() < person.answer_prob
        ring = self.rng.randint(3, 15) if answers else RING_TIMEOUT_S
        if ring > patience:
            self.dial(call, ext, dcontext, lastdata, chan, t, None, t + patience, "NO ANSWER")
            self.stats[f"{key}:in_no_answer"] += 1
            return
        if answers:
            talk = self.talk(90 if call.internal else 200)
            self.dial(call, ext, dcontext, lastdata, chan, t, t + ring, t + ring + talk, "ANSWERED")
            self.busy_until[ext] = t + ring + talk
            self.stats[f"{key}:in_answered"] += 1
            return
        self.dial(call, ext, dcontext, lastdata, chan, t, None, t + ring, "NO ANSWER")
        now = t + ring
        if person.forward_to and not forwarded:
            self.stats[f"{key}:in_forwarded"] += 1
            if person.forward_to in self.people:
                self.ring_user(
                    call, person.forward_to, now, "from-internal", patience - ring, forwarded=True
                )
            else:
                self.dial_out(call, person.forward_to, now, "from-internal")
        elif person.voicemail and not call.internal:
            self.stats[f"{key}:in_voicemail"] += 1
            self.voicemail(call, ext, now, "u")
        else:
            self.stats[f"{key}:in_no_answer"] += 1

    def dial_out(self, call: _Call, number: str, t: int, dcontext: str) -> str:
        chan, _ = self.channel(sb.TRUNK, t)
        lastdata = f"PJSIP/{number}@{sb.TRUNK},300,T"
        r = self.rng.random()
        if r < 0.72:
            ring = self.rng.randint(3, 20)
            talk = self.talk(200)
            self.dial(
                call, number, dcontext, lastdata, chan, t, t + ring, t + ring + talk, "ANSWERED"
            )
            return "answered"
        if r < 0.78:
            self.dial(call, number, dcontext, lastdata, chan, t, None, t + 2, "BUSY")
            return "busy"
        self.dial(
            call,
            number,
            dcontext,
            lastdata,
            chan,
            t,
            None,
            t + self.rng.randint(10, 40),
            "NO ANSWER",
        )
        return "no_answer"

    def direct(self, t: int) -> _Call:
        call = self.external_call(t)
        ext = self.rng.choice(list(self.people))
        self.ring_user(call, ext, t, "from-did-direct", self.patience(45))
        return call

    def outgoing(self, t: int) -> _Call | None:
        ext = self.rng.choice(list(self.people))
        if self.busy_until[ext] > t:
            return None
        call = self.user_call(t, ext)
        number = self.callers[self.rng.randrange(len(self.callers))][0]
        outcome = self.dial_out(call, number, t, "from-internal")
        if outcome == "answered":
            self.busy_until[ext] = call.last
        self.stats[f"ext:{ext}:out_{outcome}"] += 1
        return call

    def internal(self, t: int) -> _Call | None:
        a, b = self.rng.sample(list(self.people), 2)
        if self.busy_until[a] > t:
            return None
        call = self.user_call(t, a)
        self.ring_user(call, b, t, "from-internal", self.patience(30))
        if any(r.disposition == "ANSWERED" for r in call.rows):
            self.busy_until[a] = call.last
            self.stats[f"ext:{a}:out_answered"] += 1
        elif call.rows[0].disposition == "BUSY":
            self.stats[f"ext:{a}:out_busy"] += 1
        else:
            self.stats[f"ext:{a}:out_no_answer"] += 1
        return call

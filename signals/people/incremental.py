"""Folding a batch of new activities into the stored scores, as if they came one at a time.

The merge step inserts a classify batch's activities at once; this folds them in post order.
Each activity sees the log, the organisation hints and the recent stages as they were when its
own post came in (later posts of the batch are hidden), so the stored scores, the stage changes
(every transition, in order), the events and the tasks equal those of merging the posts one by
one. What is read is read once per batch: contacts, accounts, stored scores, the logs' relevant
days, hints and the stages in the buyer window. Per activity only arithmetic and the stage
rules run; each account's score is stored once, at the end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from signals.people import account_scores, clock, stages
from signals.people import config as people_config
from signals.people.config import ScoringConfig
from signals.people.fit import Fit, fit_from
from signals.people.scoring import (
    ActivityRow,
    activity_rows,
    day_start,
    fold,
    score_activities,
    score_row,
    store_score,
)
from signals.store import models as db
from signals.store.models_people import AccountActivity, ContactScore, InferredAttribute

Applied = Callable[[db.Activity, ContactScore, db.Contact], None]


@dataclass(frozen=True)
class _Hint:
    post_id: int | None
    attribute: str
    value: str


class _Batch:
    """What the batch's contacts and accounts looked like, and which rows each activity sees."""

    def __init__(
        self,
        session: Session,
        activities: Sequence[db.Activity],
        now: datetime,
        config: ScoringConfig,
    ) -> None:
        self.config, self.now = config, now
        self.since = now - timedelta(days=config.buyer_window_days)
        # Position in the fold: a row of the batch is seen from its own activity on.
        self.position = {a.id: n for n, a in enumerate(activities)}
        self.post_position: dict[int, int] = {}
        for n, a in enumerate(activities):
            self.post_position.setdefault(a.post_id, n)
        contact_ids = sorted({a.contact_id for a in activities})
        self.contacts = {
            c.id: c
            for c in session.scalars(select(db.Contact).where(col(db.Contact.id).in_(contact_ids)))
        }
        account_ids = sorted({c.account_id for c in self.contacts.values() if c.account_id})
        self.accounts = {
            a.id: a
            for a in session.scalars(select(db.Account).where(col(db.Account.id).in_(account_ids)))
        }
        self.scores = {
            s.contact_id: s
            for s in session.scalars(
                select(ContactScore).where(col(ContactScore.contact_id).in_(contact_ids))
            )
        }
        self.log = self._logs(session, contact_ids, activities)
        self.hints = self._hints(session, contact_ids, account_ids)
        self.member_stages = self._member_stages(session, account_ids)

    def _logs(
        self, session: Session, contact_ids: list[int], activities: Sequence[db.Activity]
    ) -> dict[int, list[ActivityRow]]:
        """Whole logs of contacts without a usable score; from the earliest day needed else."""
        whole = [c for c in contact_ids if (s := self.scores.get(c)) is None or s.as_of > self.now]
        recent = sorted(set(contact_ids) - set(whole))
        floor = min([self.since, *(day_start(a.occurred_at) for a in activities)])
        rows = activity_rows(session, whole, self.config) if whole else []
        if recent:
            rows += activity_rows(session, recent, self.config, since=floor)
        log: dict[int, list[ActivityRow]] = defaultdict(list)
        for row in sorted(rows, key=lambda r: (r.occurred_at, r.id)):
            log[row.contact_id].append(row)
        return log

    def _hints(
        self, session: Session, contact_ids: list[int], account_ids: list[int]
    ) -> dict[tuple[str, int], list[_Hint]]:
        hint = InferredAttribute
        statement = (
            select(
                col(hint.contact_id),
                col(hint.account_id),
                col(hint.post_id),
                col(hint.attribute),
                col(hint.value),
            )
            .where(
                or_(col(hint.contact_id).in_(contact_ids), col(hint.account_id).in_(account_ids))
            )
            .order_by(col(hint.id))
        )
        found: dict[tuple[str, int], list[_Hint]] = defaultdict(list)
        for contact_id, account_id, post_id, attribute, value in session.execute(statement):
            if contact_id is not None:
                found[("contact", contact_id)].append(_Hint(post_id, attribute, value))
            if account_id is not None:
                found[("account", account_id)].append(_Hint(post_id, attribute, value))
        return found

    def _member_stages(
        self, session: Session, account_ids: list[int]
    ) -> dict[int, list[tuple[int, str | None]]]:
        """Per account: (activity id, stage) of its live contacts' signals in the buyer window."""
        if not account_ids:
            return {}
        activity = db.Activity
        statement = (
            select(col(activity.id), col(activity.stage), col(db.Contact.account_id))
            .join(db.Contact, col(db.Contact.id) == col(activity.contact_id))
            .where(col(db.Contact.account_id).in_(account_ids))
            .where(col(db.Contact.merged_into_id).is_(None))
            .where(col(activity.occurred_at) > self.since, col(activity.occurred_at) <= self.now)
            .where(col(activity.stage).is_not(None))
        )
        found: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
        for activity_id, stage, account_id in session.execute(statement):
            found[account_id or 0].append((activity_id or 0, stage))
        own = select(col(AccountActivity.account_id), col(AccountActivity.stage)).where(
            col(AccountActivity.account_id).in_(account_ids),
            col(AccountActivity.occurred_at) > self.since,
            col(AccountActivity.occurred_at) <= self.now,
        )
        for account_id, stage in session.execute(own):
            found[account_id].append((0, stage))  # the account's own: none is in the batch
        return found

    def seen(self, activity_id: int, at: int) -> bool:
        return self.position.get(activity_id, at) <= at

    def _hint_seen(self, hint: _Hint, at: int) -> bool:
        return hint.post_id is None or self.post_position.get(hint.post_id, at) <= at

    def fit(self, contact: db.Contact, at: int) -> Fit:
        """fit_for with the hints stored by the time the activity at `at` came in."""
        account = self.accounts.get(contact.account_id)
        inferred: dict[str, list[str]] = defaultdict(list)
        keys = [("contact", contact.id or 0)]
        if account is not None:
            keys.append(("account", account.id or 0))
        for key in keys:
            for hint in self.hints.get(key, ()):
                if self._hint_seen(hint, at):
                    inferred[hint.attribute].append(hint.value)
        return fit_from(contact, account, inferred, self.config)

    def hinted(self, activity: db.Activity) -> bool:
        """Whether the activity's own post gave its contact hints (fit may change)."""
        own = self.hints.get(("contact", activity.contact_id), ())
        return any(hint.post_id == activity.post_id for hint in own)

    def buyer(self, contact_id: int, at: int) -> str | None:
        """stages.buyer_stage of one contact as of the activity at `at`."""
        found = [
            r.stage
            for r in self.log.get(contact_id, ())
            if r.stage in stages.RESITD
            and self.since < r.occurred_at <= self.now
            and self.seen(r.id, at)
        ]
        return max(found, key=stages.RESITD.index) if found else None

    def account_stages(self, account_id: int, at: int) -> list[str | None]:
        return [s for aid, s in self.member_stages.get(account_id, ()) if self.seen(aid, at)]


def apply_activities(
    session: Session,
    activity_ids: Sequence[int],
    now: datetime | None = None,
    refit: bool | None = None,
    on_applied: Applied | None = None,
) -> dict[int, ContactScore]:
    """Fold new (inserted) activities into their contacts' stored scores, in post order.

    Each activity updates its contact's score (from the log when there is no score yet, else
    incrementally by its day group), lifecycle and buyer stage, and its account's buyer stage;
    `on_applied(activity, score, contact)` then runs with the score as of that activity.
    `refit` None refits only a contact whose activity's post gave it hints (else the stored fit
    stands); True or False forces it. Account scores are stored once each at the end. Returns
    the stored score of each contact.
    """
    config = people_config.active()
    now = now or clock.now()
    statement = select(db.Activity).where(col(db.Activity.id).in_(sorted(set(activity_ids))))
    activities = sorted(session.scalars(statement), key=lambda a: (a.post_id, a.id or 0))
    if not activities:
        return {}
    batch = _Batch(session, activities, now, config)
    touched: set[int] = set()
    for at, activity in enumerate(activities):
        contact = batch.contacts[activity.contact_id]
        assert activity.id is not None
        assert contact.id is not None
        stored = batch.scores.get(contact.id)
        seen = [r for r in batch.log.get(contact.id, ()) if batch.seen(r.id, at)]
        if stored is None or stored.as_of > now:  # as refresh_contacts: from the log
            scored = score_activities(seen, now, config)
            row = score_row(contact.id, batch.fit(contact, at), scored, now, config)
        else:
            day = day_start(activity.occurred_at)
            group = [r for r in seen if r.kind == activity.kind and day_start(r.occurred_at) == day]
            refitted = batch.hinted(activity) if refit is None else refit
            fit = batch.fit(contact, at) if refitted else Fit(stored.fit_points, stored.fit_grade)
            row = fold(stored, activity.id, group, fit, now, config)
        stored = batch.scores[contact.id] = store_score(session, row, stored)
        buyer = batch.buyer(contact.id, at)
        stages.update_contact(session, contact, stored, now, config, "new activity", buyer=buyer)
        account = batch.accounts.get(contact.account_id)
        if account is not None and account.id is not None:
            stages.move_account(session, account, batch.account_stages(account.id, at), now)
            touched.add(account.id)
        if on_applied is not None:
            on_applied(activity, stored, contact)
    session.flush()
    for account_id in sorted(touched):
        account_scores.refresh_account(session, account_id, now, config)
    return dict(batch.scores)

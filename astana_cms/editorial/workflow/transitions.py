"""The four transitions (verify, publish, return, withdraw), one entry at a time or many."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import (
    AuditRecord,
    EditorialEntry,
    Revision,
    State,
)
from .core import (
    PUBLISH,
    RETURN,
    TRANSITIONS,
    VERIFY,
    WITHDRAW,
    Transition,
    TransitionRefused,
    User,
    _locked,
    _move,
    _record,
    _refresh_caller_copy,
    _require_permission,
    changed_since_opened,
    may,
    one_action,
    reviewed_values,
    who_may,
)
from .edits import authors_since_verification


def judges_content(transition: Transition, entry: EditorialEntry) -> bool:
    """Whether `transition` is a checker's judgement of `entry`'s content against its
    evidence (a verification, or a draft returned to its author): taken at the desk, never by
    anyone who wrote the content since it was last verified."""
    return transition is VERIFY or (transition is RETURN and entry.state == State.DRAFT)


def require_takeable(
    transition: Transition,
    current: EditorialEntry,
    user: User,
    note: str,
    expected_version: int | None,
) -> None:
    """Refuse `transition` on `current` (the locked row) unless `user` may take it from its
    state, on the version they looked at, with the note it needs. Taken now or scheduled."""
    _require_permission(user, transition.name, current)
    if current.state not in transition.sources:
        raise TransitionRefused(
            transition.wrong_state % {"state": current.get_state_display()},
            transition.wrong_state_reason,
        )
    changed_since_opened(current, expected_version)
    if transition.note_required and not note:
        raise TransitionRefused(transition.note_required, _("no note"))


def require_ready(transition: Transition, current: EditorialEntry) -> None:
    """Refuse a verification or publication of an entry that lacks what it needs."""
    if transition in (VERIFY, PUBLISH):
        problems = current.verification_problems()
        if problems:
            raise TransitionRefused(" ".join(map(str, problems)), _("not ready"))


def _perform(
    transition: Transition,
    entry: EditorialEntry,
    user: User,
    note: str = "",
    *,
    four_eyes_override: bool = False,
    with_dependencies: bool = False,
    expected_version: int | None = None,
    checked: Sequence[str] | None = None,
) -> AuditRecord:
    note = (note or "").strip()
    with one_action(), transaction.atomic():
        current = _locked(entry)
        require_takeable(transition, current, user, note, expected_version)

        # Four eyes: nobody who wrote any of the content since it was last verified judges it
        # (a superuser may override a verification, and the record says so).
        checks = judges_content(transition, current)
        override = checks and user.pk in authors_since_verification(current)
        if override and not (four_eyes_override and user.is_superuser and transition is VERIFY):
            raise TransitionRefused(FOUR_EYES, _("four eyes"))
        if checked is not None and transition is VERIFY:
            missing = [label for name, label in current.VERIFICATION_CHECKS if name not in checked]
            if missing:
                raise TransitionRefused(
                    format_lazy(
                        _("Confirm each check before verifying: {checks}."),
                        checks=", ".join(map(str, missing)),
                    ),
                    _("not checked"),
                )

        require_ready(transition, current)

        if transition is PUBLISH:
            for dependency in current.publication_dependencies():
                _publish_dependency(dependency, user, with_dependencies)

        from_state = current.state
        if transition is WITHDRAW:
            from .corrections import reject_correction  # corrections build on transitions

            for revision in Revision.objects.of(current).open():
                reject_correction(revision, user, _("The entry was withdrawn."))
        _move(current, from_state, transition.target)
        known = {name for name, _label in current.VERIFICATION_CHECKS}
        record = _record(
            current,
            transition.action,
            from_state,
            transition.target,
            user,
            note,
            public=transition.public_note,
            four_eyes_override=override,
            checked=[name for name in checked or () if name in known],
            values=reviewed_values(current) if transition is VERIFY else None,
        )
    _refresh_caller_copy(entry, current)
    return record


def _publish_dependency(dependency: EditorialEntry, user: User, with_dependencies: bool) -> None:
    """An excerpt is public only with its source and round: publish them with it, if asked and
    they are verified; otherwise refuse and say which is missing."""
    current = _locked(dependency)
    if current.state == State.PUBLISHED:
        _refresh_caller_copy(dependency, current)
        return
    name = dependency._meta.verbose_name
    if with_dependencies and current.state == State.VERIFIED:
        _perform(PUBLISH, dependency, user)
        return
    dependency = current
    raise TransitionRefused(
        format_lazy(
            _("Its {name} “{title}” is {state}: publish it first, or with this entry."),
            name=name,
            title=str(dependency),
            state=dependency.get_state_display(),
        ),
        format_lazy(_("{name} not published"), name=name),
    )


def verify(
    entry: EditorialEntry,
    user: User,
    note: str = "",
    *,
    four_eyes_override: bool = False,
    checked: Sequence[str] | None = None,
    expected_version: int | None = None,
) -> AuditRecord:
    """A verifier confirms a draft against its evidence. From the verification desk, `checked`
    names what they checked (every one of the entry's VERIFICATION_CHECKS, or it is refused)
    and `expected_version` the version they looked at; both go into the record."""
    return _perform(
        VERIFY,
        entry,
        user,
        note,
        four_eyes_override=four_eyes_override,
        checked=checked,
        expected_version=expected_version,
    )


def publish(
    entry: EditorialEntry, user: User, note: str = "", *, with_dependencies: bool = False
) -> AuditRecord:
    """A publisher releases a verified entry (with its verified source and round, if asked)."""
    return _perform(PUBLISH, entry, user, note, with_dependencies=with_dependencies)


def return_to_draft(
    entry: EditorialEntry,
    user: User,
    reason: str,
    *,
    checked: Sequence[str] | None = None,
    expected_version: int | None = None,
) -> AuditRecord:
    """A verifier sends a draft they checked, or a verified entry, back to its author, saying
    why; the author finds it among what was returned to them."""
    return _perform(RETURN, entry, user, reason, checked=checked, expected_version=expected_version)


def withdraw(entry: EditorialEntry, user: User, note: str) -> AuditRecord:
    """A publisher takes a published entry down; readers see the note in its place."""
    return _perform(WITHDRAW, entry, user, note)


@dataclass(frozen=True)
class Offer:
    """A transition as the admin offers it to one user on one entry."""

    transition: Transition
    refused: str = ""  # why the user cannot take it now, in the newsroom's words
    problems: tuple[str, ...] = ()  # what the entry lacks (shown; the step is refused)
    override: bool = False  # a superuser may take it anyway, recorded (four eyes)
    ask: tuple[str, ...] = ()  # who may take it instead, when the user may not
    permitted: bool = True  # whether the user holds the step's permission at all

    @property
    def allowed(self) -> bool:
        return not self.refused and not self.problems

    @property
    def note_required(self) -> bool:
        return self.transition.note_required is not None


FOUR_EYES = _(
    "You wrote part of this version since it was last verified: another verifier must check it."
)


def offers(user: User, entry: EditorialEntry, *, unpermitted: bool = False) -> list[Offer]:
    """The transitions `entry`'s state allows that `user` holds the permission for, each with
    what stands in its way: the one place the admin asks what a user may do. With
    `unpermitted`, the others too, refused with the reason and whom to ask: nothing is hidden
    without a word."""
    result = []
    for name, transition in TRANSITIONS.items():
        if entry.state not in transition.sources:
            continue
        checks = judges_content(transition, entry)
        authors = authors_since_verification(entry) if checks else set()
        if not may(user, name, entry):
            if unpermitted:
                ask = tuple(who_may(name, entry, excluding=authors))
                result.append(
                    Offer(transition, str(transition.not_permitted), ask=ask, permitted=False)
                )
            continue
        refused, override, ask = "", False, ()
        if checks and user.pk in authors:
            override = bool(user.is_superuser) and transition is VERIFY
            refused = "" if override else str(FOUR_EYES)
            ask = () if override else tuple(who_may(name, entry, excluding=authors))
        problems = ()
        if transition in (VERIFY, PUBLISH):
            problems = tuple(str(p) for p in entry.verification_problems())
        result.append(Offer(transition, refused, problems, override, ask))
    return result


def perform(name: str, entry: EditorialEntry, user: User, note: str = "", **options) -> AuditRecord:
    """Run the transition called `name` ("verify", "publish", "return", "withdraw")."""
    return _perform(TRANSITIONS[name], entry, user, note, **options)


# --- Many at once ----------------------------------------------------------------------------


@dataclass
class BulkReport:
    transition: Transition
    done: int = 0
    skipped: Counter = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [self.transition.done % {"count": self.done}]
        if self.skipped:
            total = sum(self.skipped.values())
            reasons = ", ".join(
                f"{reason} ({n})" if len(self.skipped) > 1 else reason
                for reason, n in self.skipped.most_common()
            )
            parts.append(
                ngettext("%(count)d skipped: %(reasons)s", "%(count)d skipped: %(reasons)s", total)
                % {"count": total, "reasons": reasons}
            )
        return "; ".join(parts)


def perform_many(name: str, entries, user: User, note: str = "", **options) -> BulkReport:
    """Apply one transition to each entry under the same rules, each in its own transaction,
    and report what was done and why the rest was skipped ("12 published; 3 skipped: not
    verified")."""
    report = BulkReport(TRANSITIONS[name])
    with one_action():  # one bulk action, one group of audit records
        for entry in entries:
            try:
                perform(name, entry, user, note, **options)
            except TransitionRefused as refused:
                report.skipped[refused.reason] += 1
                report.messages.append(f"{entry}: {refused.message}")
            else:
                report.done += 1
    return report

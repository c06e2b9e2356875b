"""The review workflow: the only code that changes an entry's state.

Rounds, sources and excerpts move draft → verified → published (and published → withdrawn).
Each transition is a plain function that checks permission and the entry's readiness, changes
the state and writes its audit record, in one transaction. Admin views and actions, imports and
management commands all call these functions; none of them sets `state` itself.

Race safety: the entry's row is locked (PostgreSQL) and the state change is a conditional UPDATE
(`… WHERE state = <the state we checked>`), so two people publishing the same entry at once
produce exactly one transition and one record, on every database.
"""

from .assignment import NEXT_STEP, assign, assignable, may_assign
from .core import (
    ACTION_VERBS,
    CHANGED_MEANWHILE,
    PUBLISH,
    RETURN,
    TRANSITIONS,
    VERIFY,
    WITHDRAW,
    Transition,
    TransitionRefused,
    User,
    may,
    one_action,
    reviewed_values,
    who_may,
)
from .corrections import (
    CORRECTION_ACTIONS,
    field_value,
    open_revision,
    propose_correction,
    proposed_entry,
    publish_correction,
    reject_correction,
    verify_correction,
)
from .edits import (
    authors_since_verification,
    awaiting_verification_by,
    check_edit,
    create,
    frozen_fields,
    may_edit,
    may_open,
    record_imports,
    returned_unchanged,
    save_edit,
    stale_refusal,
    void_verification,
)
from .queues import QUEUES, Queue, queues_for
from .scheduling import SCHEDULABLE, cancel, pending_for, perform_due, schedule
from .transitions import (
    BulkReport,
    Offer,
    judges_content,
    offers,
    perform,
    perform_many,
    publish,
    return_to_draft,
    verify,
    withdraw,
)

__all__ = [
    "ACTION_VERBS",
    "CHANGED_MEANWHILE",
    "CORRECTION_ACTIONS",
    "NEXT_STEP",
    "PUBLISH",
    "QUEUES",
    "RETURN",
    "SCHEDULABLE",
    "TRANSITIONS",
    "VERIFY",
    "WITHDRAW",
    "BulkReport",
    "Offer",
    "Queue",
    "Transition",
    "TransitionRefused",
    "User",
    "assign",
    "assignable",
    "authors_since_verification",
    "awaiting_verification_by",
    "cancel",
    "check_edit",
    "create",
    "field_value",
    "frozen_fields",
    "judges_content",
    "may",
    "may_assign",
    "may_edit",
    "may_open",
    "offers",
    "one_action",
    "open_revision",
    "pending_for",
    "perform",
    "perform_due",
    "perform_many",
    "propose_correction",
    "proposed_entry",
    "publish",
    "publish_correction",
    "queues_for",
    "record_imports",
    "reject_correction",
    "return_to_draft",
    "returned_unchanged",
    "reviewed_values",
    "save_edit",
    "schedule",
    "stale_refusal",
    "verify",
    "verify_correction",
    "void_verification",
    "who_may",
    "withdraw",
]

"""The review workflow: who may move which entry where, and the record every move leaves."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone, translation

from astana_cms.editorial import workflow
from astana_cms.editorial.models import AuditRecord, State, StateChangeOutsideWorkflow
from astana_cms.editorial.workflow import TransitionRefused
from rounds.models import Round
from statements.models import Excerpt, Source
from tests.factories import (
    ExcerptFactory,
    OutletFactory,
    RoundFactory,
    SourceFactory,
    UserFactory,
    correct,
    walk,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ROLES = ["Editor", "Verifier", "Publisher"]
TRANSITIONS = ["verify", "publish", "return", "withdraw"]
STATES = [State.DRAFT, State.VERIFIED, State.PUBLISHED, State.WITHDRAWN]
MODELS = ["round", "source", "excerpt"]

# What each role may do, and from which state each transition starts.
GRANTS = {"Editor": set(), "Verifier": {"verify", "return"}, "Publisher": {"publish", "withdraw"}}
STARTS = {
    "verify": {State.DRAFT},
    "publish": {State.VERIFIED},
    "return": {State.DRAFT, State.VERIFIED},
    "withdraw": {State.PUBLISHED},
}
TARGETS = {
    "verify": State.VERIFIED,
    "publish": State.PUBLISHED,
    "return": State.DRAFT,
    "withdraw": State.WITHDRAWN,
}
WRONG_STATE = {
    "verify": "Only drafts can be verified; this entry is {state}.",
    "publish": "Only verified entries can be published; this entry is {state}.",
    "return": (
        "Only drafts and verified entries can be returned to their author; this entry is {state}."
    ),
    "withdraw": "Only published entries can be withdrawn; this entry is {state}.",
}
NO_PERMISSION = {
    "verify": "You do not have permission to verify {plural}.",
    "publish": "You do not have permission to publish {plural}.",
    "return": "You do not have permission to return {plural}.",
    "withdraw": "You do not have permission to withdraw {plural}.",
}


def entry_in_state(model: str, state: str):
    """A complete, ready entry of `model` in `state`, its source and round already public."""
    if model == "round":
        entry = RoundFactory()
    elif model == "source":
        entry = SourceFactory(outlet=OutletFactory())
    else:
        entry = ExcerptFactory(
            source=SourceFactory(state=State.PUBLISHED), round=RoundFactory(state=State.PUBLISHED)
        )
    return walk(entry, state)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("transition", TRANSITIONS)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, transition, state, model):
    user = UserFactory(role=role)
    entry = entry_in_state(model, state)
    allowed = transition in GRANTS[role] and state in STARTS[transition]
    note = "سبب" if transition in ("return", "withdraw") else ""
    before = AuditRecord.objects.count()

    if allowed:
        record = workflow.perform(transition, entry, user, note)
        entry.refresh_from_db()
        assert entry.state == TARGETS[transition]
        assert (record.from_state, record.to_state, record.user) == (state, entry.state, user)
        assert AuditRecord.objects.count() == before + 1
        return

    with pytest.raises(TransitionRefused) as refused:
        workflow.perform(transition, entry, user, note)
    if transition not in GRANTS[role]:
        expected = NO_PERMISSION[transition].format(plural=entry._meta.verbose_name_plural)
    else:
        expected = WRONG_STATE[transition].format(state=entry.get_state_display())
    assert refused.value.message == expected
    entry.refresh_from_db()
    assert entry.state == state
    assert AuditRecord.objects.count() == before


def test_superuser_may_do_everything_the_rules_allow():
    root = UserFactory(is_superuser=True)
    excerpt = entry_in_state("excerpt", State.DRAFT)
    workflow.verify(excerpt, root)
    workflow.publish(excerpt, root)
    workflow.withdraw(excerpt, root, "خطأ في النسبة")
    assert excerpt.state == State.WITHDRAWN


class TestFourEyes:
    def test_the_last_author_of_the_content_cannot_verify(self):
        verifier = UserFactory(role="Verifier")
        excerpt = entry_in_state("excerpt", State.DRAFT)
        excerpt.record_change(verifier)
        excerpt.save()
        with pytest.raises(TransitionRefused, match="another verifier must check it"):
            workflow.verify(excerpt, verifier)
        workflow.verify(excerpt, UserFactory(role="Verifier"))

    def test_a_superuser_override_is_recorded(self):
        root = UserFactory(is_superuser=True)
        excerpt = entry_in_state("excerpt", State.DRAFT)
        excerpt.record_change(root)
        excerpt.save()
        with pytest.raises(TransitionRefused):
            workflow.verify(excerpt, root)
        record = workflow.verify(excerpt, root, four_eyes_override=True)
        assert record.four_eyes_override
        assert AuditRecord.for_entry(excerpt).get().four_eyes_override

    def test_the_override_is_for_superusers_only(self):
        verifier = UserFactory(role="Verifier")
        excerpt = entry_in_state("excerpt", State.DRAFT)
        excerpt.record_change(verifier)
        excerpt.save()
        with pytest.raises(TransitionRefused, match="another verifier"):
            workflow.verify(excerpt, verifier, four_eyes_override=True)


class TestVerificationNeedsEvidence:
    def test_an_unanchored_excerpt_cannot_be_verified(self):
        excerpt = ExcerptFactory(text="جملة لا يتضمنها المصدر")
        with pytest.raises(TransitionRefused, match="not anchored in its source"):
            workflow.verify(excerpt, UserFactory(role="Verifier"))
        excerpt.refresh_from_db()
        assert excerpt.state == State.DRAFT

    def test_an_excerpt_needs_its_speaker_and_round(self):
        excerpt = ExcerptFactory(speaker=None, round=None)
        with pytest.raises(TransitionRefused) as refused:
            workflow.verify(excerpt, UserFactory(role="Verifier"))
        assert "No speaker is set." in refused.value.message
        assert "No round is set." in refused.value.message

    def test_a_source_needs_its_outlet_and_date(self):
        source = SourceFactory(outlet=None, published_on=None)
        with pytest.raises(TransitionRefused) as refused:
            workflow.verify(source, UserFactory(role="Verifier"))
        assert refused.value.message == "No outlet is set. No publication date is set."

    def test_a_source_whose_text_no_longer_matches_its_hash_cannot_be_verified(self):
        source = SourceFactory()
        Source.objects.filter(pk=source.pk).update(text="نص آخر")
        with pytest.raises(TransitionRefused, match="no longer matches its SHA-256"):
            workflow.verify(source, UserFactory(role="Verifier"))


class TestPublication:
    def test_an_excerpt_waits_for_its_source_and_round(self):
        publisher = UserFactory(role="Publisher")
        excerpt = ExcerptFactory(source=SourceFactory(state=State.VERIFIED))
        walk(excerpt, State.VERIFIED)
        with pytest.raises(TransitionRefused, match=r"Its source .* is Verified: publish it first"):
            workflow.publish(excerpt, publisher)
        assert not AuditRecord.objects.filter(action="publish").exists()

    def test_or_is_published_with_them_in_the_same_action(self):
        publisher = UserFactory(role="Publisher")
        source = SourceFactory()
        round_ = RoundFactory()
        excerpt = ExcerptFactory(source=source, round=round_)
        for entry in (source, round_, excerpt):
            walk(entry, State.VERIFIED)
        workflow.publish(excerpt, publisher, with_dependencies=True)
        for entry in (source, round_, excerpt):
            entry.refresh_from_db()
            assert entry.state == State.PUBLISHED
            assert AuditRecord.for_entry(entry).filter(action="publish").count() == 1

    def test_a_draft_source_is_not_published_along(self):
        publisher = UserFactory(role="Publisher")
        excerpt = ExcerptFactory(round=RoundFactory(state=State.PUBLISHED))
        walk(excerpt, State.VERIFIED)
        with pytest.raises(TransitionRefused, match="is Draft"):
            workflow.publish(excerpt, publisher, with_dependencies=True)
        excerpt.refresh_from_db()
        assert excerpt.state == State.VERIFIED
        assert excerpt.source.state == State.DRAFT

    def test_first_publication_time_is_kept(self):
        excerpt = entry_in_state("excerpt", State.VERIFIED)
        before = timezone.now()
        workflow.publish(excerpt, UserFactory(role="Publisher"))
        first = excerpt.published_at
        assert before <= first <= timezone.now()
        correct(excerpt, "صُحّح النوع", kind=Excerpt.Kind.PARAPHRASE)  # a later change…
        excerpt.refresh_from_db()
        assert excerpt.published_at == first  # …keeps the first publication's time


class TestNotes:
    def test_returning_needs_a_reason_the_author_sees(self):
        entry = entry_in_state("source", State.VERIFIED)
        verifier = UserFactory(role="Verifier")
        with pytest.raises(TransitionRefused, match="its author will see it"):
            workflow.return_to_draft(entry, verifier, "  ")
        record = workflow.return_to_draft(entry, verifier, "التاريخ غير صحيح")
        assert record.note == "التاريخ غير صحيح"
        assert not record.public

    def test_withdrawing_needs_a_public_note(self):
        entry = entry_in_state("excerpt", State.PUBLISHED)
        publisher = UserFactory(role="Publisher")
        with pytest.raises(TransitionRefused, match="readers will see"):
            workflow.withdraw(entry, publisher, "")
        record = workflow.withdraw(entry, publisher, "نُسب الاقتباس خطأً")
        assert record.public
        assert not Excerpt.objects.published().filter(pk=entry.pk).exists()


class TestEdits:
    def test_editing_a_verified_entry_voids_its_verification(self):
        editor = UserFactory(role="Editor")
        source = entry_in_state("source", State.VERIFIED)
        source.headline = "عنوان مصحح"
        record = workflow.save_edit(source, editor)
        assert source.state == State.DRAFT
        assert (record.action, record.from_state, record.to_state) == ("void", "verified", "draft")
        assert AuditRecord.for_entry(source).filter(action="edit", user=editor).exists()

    def test_editing_a_draft_records_its_author(self):
        editor = UserFactory(role="Editor")
        source = entry_in_state("source", State.DRAFT)
        source.headline = "عنوان آخر"
        record = workflow.save_edit(source, editor)
        assert (record.action, record.user, record.public) == ("edit", editor, False)
        assert "headline" in record.note
        assert workflow.save_edit(source, editor) is None  # nothing changed, nothing recorded

    def test_a_published_translation_is_fixed_only_by_a_publisher_with_a_note(self):
        excerpt = entry_in_state("excerpt", State.PUBLISHED)
        excerpt.translation_en = "A fixed translation"
        with pytest.raises(TransitionRefused, match="permission to correct"):
            workflow.save_edit(excerpt, UserFactory(role="Editor"), "تصحيح")
        publisher = UserFactory(role="Publisher")
        with pytest.raises(TransitionRefused, match="describe the correction"):
            workflow.save_edit(excerpt, publisher, "")
        record = workflow.save_edit(excerpt, publisher, "صُحّحت الترجمة")
        assert (record.action, record.public, record.to_state) == ("correct", True, "published")
        assert excerpt.state == State.PUBLISHED

    def test_what_readers_see_of_a_published_entry_never_changes_in_place(self):
        excerpt = entry_in_state("excerpt", State.PUBLISHED)
        excerpt.kind = Excerpt.Kind.PARAPHRASE
        with pytest.raises(TransitionRefused, match="a second person verifies"):
            workflow.save_edit(excerpt, UserFactory(is_superuser=True), "تصحيح")
        excerpt.refresh_from_db()
        assert excerpt.kind == Excerpt.Kind.DIRECT_QUOTE

    def test_internal_notes_of_a_published_entry_change_at_once_and_privately(self):
        excerpt = entry_in_state("excerpt", State.PUBLISHED)
        excerpt.notes = "راجع الترجمة لاحقاً"
        record = workflow.save_edit(excerpt, UserFactory(role="Editor"))
        assert (record.action, record.public) == ("internal", False)

    def test_a_withdrawn_entry_cannot_be_edited(self):
        excerpt = entry_in_state("excerpt", State.WITHDRAWN)
        with pytest.raises(TransitionRefused, match="withdrawn"):
            workflow.check_edit(excerpt, UserFactory(is_superuser=True), {"notes"}, "x")


class TestNoStateChangeWithoutRecord:
    def test_saving_a_hand_set_state_is_refused(self):
        excerpt = entry_in_state("excerpt", State.DRAFT)
        excerpt.state = State.PUBLISHED
        with pytest.raises(StateChangeOutsideWorkflow):
            excerpt.save()
        excerpt.refresh_from_db()
        assert excerpt.state == State.DRAFT

    @pytest.mark.parametrize("model", MODELS)
    def test_every_transition_leaves_exactly_one_record(self, model):
        root = UserFactory(is_superuser=True)
        entry = entry_in_state(model, State.DRAFT)
        steps = [
            ("verify", ""),
            ("return", "ناقص"),
            ("verify", ""),
            ("publish", ""),
            ("withdraw", "سُحب"),
        ]
        for name, note in steps:
            workflow.perform(name, entry, root, note)
        records = list(AuditRecord.for_entry(entry).order_by("at", "pk"))
        assert [(r.from_state, r.to_state) for r in records] == [
            ("draft", "verified"),
            ("verified", "draft"),
            ("draft", "verified"),
            ("verified", "published"),
            ("published", "withdrawn"),
        ]
        assert entry.version == 1 + len(steps)


class TestBulk:
    def test_bulk_publish_reports_per_entry_outcomes(self):
        publisher = UserFactory(role="Publisher")
        ready = [entry_in_state("round", State.VERIFIED) for _ in range(3)]
        drafts = [entry_in_state("round", State.DRAFT) for _ in range(2)]
        report = workflow.perform_many("publish", Round.objects.all(), publisher)
        assert str(report) == "3 published; 2 skipped: not verified"
        assert all(Round.objects.get(pk=r.pk).state == State.PUBLISHED for r in ready)
        assert all(Round.objects.get(pk=r.pk).state == State.DRAFT for r in drafts)

    def test_several_reasons_are_counted(self):
        verifier = UserFactory(role="Verifier")
        entry_in_state("source", State.DRAFT)
        entry_in_state("source", State.PUBLISHED)
        mine = entry_in_state("source", State.DRAFT)
        mine.record_change(verifier)
        mine.save()
        report = workflow.perform_many("verify", Source.objects.all(), verifier)
        assert str(report) == "1 verified; 2 skipped: not a draft (1), four eyes (1)"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("transition", ["publish", "verify"])
def test_concurrent_transitions_happen_once(transition):
    """Two people acting on the same entry at the same moment, on two connections."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks between concurrent connections are a PostgreSQL matter")
    (start_state,) = STARTS[transition] - {State.DRAFT} or STARTS[transition]
    entry = entry_in_state("round", start_state)
    users = [
        UserFactory(role="Publisher" if transition == "publish" else "Verifier") for _ in range(2)
    ]
    barrier = threading.Barrier(len(users))
    outcomes = []

    def act(user):
        translation.activate("en")  # each thread has its own language
        try:
            barrier.wait()
            copy = Round.objects.get(pk=entry.pk)  # each read the entry before acting
            workflow.perform(transition, copy, user)
            outcomes.append("done")
        except TransitionRefused as refused:
            outcomes.append(refused.reason)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == sorted(["done", WRONG_STATE_REASON[transition]])
    assert AuditRecord.for_entry(entry).filter(action=transition).count() == 1
    entry.refresh_from_db()
    assert entry.state == TARGETS[transition]


WRONG_STATE_REASON = {"publish": "not verified", "verify": "not a draft"}


class TestOneActionOneGroup:
    def test_a_publication_with_its_source_and_round_is_one_action(self):
        excerpt = ExcerptFactory()
        for entry in (excerpt.source, excerpt.round, excerpt):
            walk(entry, State.VERIFIED)
        workflow.publish(excerpt, UserFactory(role="Publisher"), with_dependencies=True)
        groups = set(AuditRecord.objects.filter(action="publish").values_list("group", flat=True))
        assert len(groups) == 1 and None not in groups
        assert AuditRecord.objects.filter(action="publish").count() == 3

    def test_separate_actions_are_separate_groups(self):
        first, second = RoundFactory(), RoundFactory()
        verifier = UserFactory(role="Verifier")
        workflow.verify(first, verifier)
        workflow.verify(second, verifier)
        groups = AuditRecord.objects.filter(action="verify").values_list("group", flat=True)
        assert len(set(groups)) == 2

    def test_a_bulk_action_is_one_action_and_labels_its_entries(self):
        rounds = RoundFactory.create_batch(3)
        workflow.perform_many("verify", rounds, UserFactory(role="Verifier"))
        records = AuditRecord.objects.filter(action="verify")
        assert len(set(records.values_list("group", flat=True))) == 1
        assert sorted(records.values_list("label", flat=True)) == sorted(str(r) for r in rounds)


# --- The verifier's decision: what was checked, on which version; returning a draft ----------


class TestVerifierDecision:
    def test_verify_records_what_was_checked_and_the_values_verified(self):
        verifier = UserFactory(role="Verifier")
        excerpt = ExcerptFactory()
        checks = [name for name, _label in Excerpt.VERIFICATION_CHECKS]
        record = workflow.verify(excerpt, verifier, checked=checks, expected_version=1)
        assert record.checked == checks
        assert record.values["text"] == excerpt.text
        assert record.values["speaker"] == excerpt.speaker_id

    def test_verify_from_the_desk_needs_every_check(self):
        verifier = UserFactory(role="Verifier")
        excerpt = ExcerptFactory()
        with pytest.raises(TransitionRefused) as refused:
            workflow.verify(excerpt, verifier, checked=["words", "speaker"])
        assert refused.value.message == (
            "Confirm each check before verifying: the round, the date, the kind of passage."
        )
        excerpt.refresh_from_db()
        assert excerpt.state == State.DRAFT

    def test_a_decision_on_an_older_version_says_who_changed_it_and_when(self):
        editor = UserFactory(username="nour", first_name="Nour", role="Editor")
        verifier = UserFactory(role="Verifier")
        excerpt = ExcerptFactory()
        opened = excerpt.version
        stale = Excerpt.objects.get(pk=excerpt.pk)
        excerpt.translation_en = "The solution in Syria is not military"
        workflow.save_edit(excerpt, editor)
        with pytest.raises(TransitionRefused) as refused:
            workflow.verify(stale, verifier, expected_version=opened)
        assert refused.value.message.startswith("Nour changed this entry at ")
        assert refused.value.message.endswith(
            "after you opened it: look at it again before you decide."
        )
        assert refused.value.reason == "changed meanwhile"
        # The same refusal for a return, so neither decision lands on words nobody checked.
        with pytest.raises(TransitionRefused):
            workflow.return_to_draft(stale, verifier, "سبب", expected_version=opened)
        assert AuditRecord.for_entry(excerpt).filter(action__in=["verify", "return"]).count() == 0

    def test_a_returned_draft_waits_for_its_author_not_the_verifier(self):
        editor = UserFactory(role="Editor")
        verifier = UserFactory(role="Verifier")
        excerpt = ExcerptFactory()
        excerpt.record_change(editor)
        excerpt.save()
        queue = workflow.QUEUES["my-verification"]
        returned = workflow.QUEUES["returned"]
        assert list(queue.entries(Excerpt, verifier)) == [excerpt]

        workflow.return_to_draft(excerpt, verifier, "المتحدث غير مذكور في الفقرة")
        excerpt.refresh_from_db()
        assert excerpt.state == State.DRAFT
        assert list(queue.entries(Excerpt, verifier)) == []
        assert list(returned.entries(Excerpt, editor)) == [excerpt]

        # The author answers with an edit: it is the verifier's again, and no longer "returned".
        excerpt.notes = "أضفت اسم المتحدث"
        excerpt.translation_en = "Answered"
        workflow.save_edit(excerpt, editor)
        assert list(queue.entries(Excerpt, verifier)) == [excerpt]
        assert list(returned.entries(Excerpt, editor)) == []

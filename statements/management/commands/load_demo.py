"""Load the demo data and create the demo users: `manage.py load_demo`.

Everything is created as a draft by the demo editor and then walked to the state the demo file
gives it through the workflow, by the demo verifier and publisher (a withdrawal with its public
note, a correction proposed by the editor and checked by the verifier), so the demo's audit
trail is real and the four-eyes rule holds all along.

Running it again is harmless: what exists already (matched by its natural key) is left as it is,
so a demo in which people have moved entries through the workflow keeps their work. Only the
demo users' passwords are set anew, and printed.
"""

from __future__ import annotations

import datetime
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from astana_cms.editorial import comments, roles, workflow
from astana_cms.editorial.models import EditorialEntry, Notification, State
from astana_cms.imports.engine import import_file
from rounds.models import Actor, ActorAlias, Participation, Round, Venue, VenueAlias
from statements.models import Excerpt, Outlet, Source, Topic, sha256_of

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEMO_USERS = {"editor": roles.EDITOR, "verifier": roles.VERIFIER, "publisher": roles.PUBLISHER}
CHECKED = "Demo data: checked against the seed article."


@dataclass
class Target:
    """A new entry and where the demo walks it: its state, the public note of a withdrawal,
    and a correction to publish once it is public."""

    entry: EditorialEntry
    state: str
    withdrawal_note: str = ""
    correction: dict = field(default_factory=dict)


class Command(BaseCommand):
    help = "Load the demo data (seed articles, meetings, actors, excerpts) and the demo users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fixture", type=Path, default=FIXTURES / "demo.json", help="Demo data file."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DJANGO_DEBUG off (demo users have printed passwords).",
        )

    def handle(self, *args, fixture: Path, force: bool, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo creates users with printed passwords; it refuses to run with "
                "DJANGO_DEBUG off. Pass --force if this really is a demo site."
            )
        try:
            data = json.loads(fixture.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the demo data {fixture}: {error}") from error

        with transaction.atomic():
            logins = self.create_users()
            loader = DemoLoader(data, fixture.parent, author=logins["editor"][0])
            created = loader.load()
            loader.walk_to_target_states(
                verifier=logins["verifier"][0], publisher=logins["publisher"][0]
            )
            # The walk is the demo's past: what it told people is read (and never emailed).
            now = timezone.now()
            Notification.objects.filter(read_at=None).update(read_at=now, emailed_at=now)
            loader.work_together(*(logins[name][0] for name in ("editor", "verifier", "publisher")))
        summary = ", ".join(f"{count} {name}" for name, count in created.items())
        self.stdout.write(f"Demo data: created {summary}.")
        self.stdout.write(
            f"In the database: {Round.objects.count()} meetings, {Source.objects.count()} "
            f"sources, {Excerpt.objects.count()} excerpts."
        )
        self.stdout.write("Demo users (passwords are new on every run):")
        for username, (_user, password) in logins.items():
            role = DEMO_USERS[username]
            self.stdout.write(f"  {role:<10} username: {username:<10} password: {password}")

    def create_users(self) -> dict:
        User = get_user_model()
        logins = {}
        for username, role in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@demo.invalid"}
            )
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_staff = True
            user.is_active = True
            user.save()
            user.groups.add(Group.objects.get(name=role))
            logins[username] = (user, password)
        return logins


class DemoLoader:
    """Creates what the demo file describes, skipping whatever exists already."""

    def __init__(self, data: dict, folder: Path, author) -> None:
        self.author = author  # the demo editor writes every entry; others verify and publish
        self.data = data
        self.folder = folder
        self.created: dict[str, int] = {}
        self.targets: list[Target] = []  # new entries only: what exists is left as it is

    def _count(self, name: str, was_created: bool) -> None:
        self.created[name] = self.created.get(name, 0) + int(was_created)

    def load(self) -> dict[str, int]:
        self.load_venues()
        self.load_actors()
        self.load_topics_and_outlets()
        self.load_rounds()
        self.load_sources()
        self.load_excerpts()
        return self.created

    def load_venues(self) -> None:
        for item in map(dict, self.data["venues"]):
            aliases = item.pop("aliases", [])
            venue, created = Venue.objects.get_or_create(slug=item["slug"], defaults=item)
            self._count("venues", created)
            for alias in aliases:
                VenueAlias.objects.get_or_create(venue=venue, name=alias)

    def load_actors(self) -> None:
        links = []
        for item in map(dict, self.data["actors"]):
            aliases = item.pop("aliases", [])
            affiliation = item.pop("affiliation", None)
            members = item.pop("members", [])
            actor, created = Actor.objects.get_or_create(slug=item["slug"], defaults=item)
            self._count("actors", created)
            for alias in aliases:
                ActorAlias.objects.get_or_create(actor=actor, name=alias)
            if created:
                links.append((actor, affiliation, members))
        for actor, affiliation, members in links:
            if affiliation:
                actor.affiliation = Actor.objects.get(slug=affiliation)
                actor.save(update_fields=["affiliation"])
            actor.members.set(Actor.objects.filter(slug__in=members))

    def load_topics_and_outlets(self) -> None:
        for model, key in ((Topic, "topics"), (Outlet, "outlets")):
            for item in self.data[key]:
                _, created = model.objects.get_or_create(slug=item["slug"], defaults=item)
                self._count(key, created)

    def load_rounds(self) -> None:
        """The rounds spreadsheet through the import engine, as a newsroom imports it (drafts,
        recorded as imported by the demo editor); then who took part in the new meetings, and
        the summaries the seed articles support, written by the editor before verification."""
        spec = self.data["rounds"]
        before = set(Round.objects.values_list("slug", flat=True))
        report = import_file(
            "rounds", (self.folder / spec["csv"]).read_bytes(), spec["csv"], self.author
        )
        if not report.ok:
            raise CommandError(
                "The demo rounds do not import: " + "; ".join(map(str, report.problems))
            )
        new = Round.objects.exclude(slug__in=before).order_by("start_date")
        self._count("meetings", False)
        guarantors = list(Actor.objects.filter(slug__in=spec["guarantors"]))
        summaries = spec.get("summaries", {})
        for round_ in new:
            self._count("meetings", True)
            self.targets.append(Target(round_, spec.get("state", State.DRAFT)))
            roles = {actor.slug: "guarantor" for actor in guarantors}
            roles.update({p["actor"]: p["role"] for p in spec["participants"].get(round_.slug, [])})
            actors = Actor.objects.in_bulk(list(roles), field_name="slug")
            Participation.objects.bulk_create(
                Participation(round=round_, actor=actors[slug], role=role)
                for slug, role in roles.items()
            )
            if round_.slug in summaries:
                self.write_summary(round_, summaries[round_.slug])

    def write_summary(self, round_: Round, summary: dict) -> None:
        """The editor's edit of an imported draft: recorded, so that someone else verifies it."""
        for name in ("summary_ar", "summary_en", "outcomes_ar", "outcomes_en"):
            setattr(round_, name, summary.get(name, ""))
        workflow.save_edit(round_, self.author)

    def load_sources(self) -> None:
        for item in map(dict, self.data["sources"]):
            text = (self.folder / "seeds" / item.pop("file")).read_text(encoding="utf-8")
            outlet = item.pop("outlet", None)
            target = item.pop("state", State.DRAFT)
            if Source.objects.filter(text_sha256=sha256_of(text)).exists():
                self._count("sources", False)
                continue
            source = Source(
                text=text, outlet=Outlet.objects.get(slug=outlet) if outlet else None, **item
            )
            workflow.create(source, self.author)
            self._count("sources", True)
            self.targets.append(Target(source, target))

    def load_excerpts(self) -> None:
        for item in map(dict, self.data["excerpts"]):
            text = (self.folder / "seeds" / item.pop("source")).read_text(encoding="utf-8")
            source = Source.objects.get(text_sha256=sha256_of(text))
            topics = item.pop("topics", [])
            item["speaker"] = Actor.objects.get(slug=item["speaker"])
            item["round"] = Round.objects.get(slug=item["round"])
            state = item.pop("state", State.DRAFT)
            withdrawal_note = item.pop("withdrawal_note", "")
            correction = item.pop("correction", {})
            start, end = item.pop("start"), item.pop("end")
            created = not Excerpt.objects.filter(source=source, start=start, end=end).exists()
            self._count("excerpts", created)
            if created:
                excerpt = Excerpt(source=source, **item)
                workflow.create(excerpt, self.author)
                if (excerpt.start, excerpt.end) != (start, end):
                    raise CommandError(
                        f"The demo excerpt {item['text'][:40]!r} anchors at "
                        f"{excerpt.start}–{excerpt.end}, not {start}–{end}."
                    )
                excerpt.topics.set(Topic.objects.filter(slug__in=topics))
                self.targets.append(Target(excerpt, state, withdrawal_note, correction))

    def walk_to_target_states(self, verifier, publisher) -> None:
        """Rounds and sources first: an excerpt is published only after them. A refusal (an
        entry the rules do not let through) stops the load: the demo file is wrong."""
        for target in self.targets:
            try:
                self.walk(target, verifier, publisher)
            except workflow.TransitionRefused as refused:
                raise CommandError(
                    f"The demo {target.entry._meta.verbose_name} “{target.entry}” cannot be "
                    f"{target.state}: {refused.message}"
                ) from refused

    def walk(self, target: Target, verifier, publisher) -> None:
        entry, state = target.entry, target.state
        if state not in (State.DRAFT, State.VERIFIED, State.PUBLISHED, State.WITHDRAWN):
            raise CommandError(f"Unknown demo state {state!r} for “{entry}”.")
        if state == State.DRAFT:
            return
        workflow.verify(entry, verifier, CHECKED)
        if state == State.VERIFIED:
            return
        workflow.publish(entry, publisher)
        if target.correction:
            self.correct(entry, target.correction, verifier, publisher)
        if state == State.WITHDRAWN:
            workflow.withdraw(entry, publisher, target.withdrawal_note)

    def work_together(self, editor, verifier, publisher) -> None:
        """A day's teamwork on the demo's entries: the editor hands a draft to the verifier,
        who asks about it under the entry; the publisher schedules a verified excerpt for
        tomorrow morning. Each user's inbox then shows what they were told."""
        drafts = [t.entry for t in self.targets if t.state == State.DRAFT]
        verified = [t.entry for t in self.targets if t.state == State.VERIFIED]
        draft = next((e for e in drafts if isinstance(e, Excerpt)), None)
        excerpt = next((e for e in verified if isinstance(e, Excerpt)), None)
        if draft is None or excerpt is None:  # loaded before: its teamwork is there already
            return
        workflow.assign(draft, editor, verifier, "هل يمكنك التحقق منه اليوم؟")
        question = comments.post(draft, verifier, "هل تأكدت من اسم المتحدث في المقال؟ @editor")
        comments.post(draft, editor, "سأراجع المقال وأرد هنا.", parent=question)
        tomorrow = timezone.localtime() + datetime.timedelta(days=1)
        morning = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
        workflow.schedule(excerpt, publisher, "publish", morning)

    def correct(self, entry: EditorialEntry, correction: dict, verifier, publisher) -> None:
        """A correction of a published entry as the newsroom makes one: the editor proposes
        it, the verifier checks it, the publisher publishes it with its public note."""
        revision = workflow.propose_correction(
            entry,
            self.author,
            correction["values"],
            correction.get("proposed_because", ""),
            expected_version=entry.version,
        )
        if revision is None:
            raise CommandError(f"The demo correction of “{entry}” changes nothing.")
        workflow.verify_correction(revision, verifier, CHECKED)
        workflow.publish_correction(revision, publisher, correction["note"])

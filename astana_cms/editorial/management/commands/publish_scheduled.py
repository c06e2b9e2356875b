"""`manage.py publish_scheduled`: take every scheduled publication and withdrawal that is due,
through the workflow (the name Wagtail gives the same command). The task worker runs it every
minute while anything is scheduled; cron may run it too: a step is never taken twice."""

from django.core.management.base import BaseCommand

from astana_cms.editorial.models import Schedule
from astana_cms.editorial.workflow.scheduling import perform_due


class Command(BaseCommand):
    help = "Publish and withdraw what was scheduled for now or earlier, through the workflow."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what is due without taking any step."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        if dry_run:
            from django.utils import timezone

            due = Schedule.objects.filter(status=Schedule.Status.PENDING, at__lte=timezone.now())
            for planned in due:
                self.stdout.write(f"due: {planned} — {planned.content_type} {planned.object_id}")
            return
        for planned in perform_due():
            line = f"{planned.get_status_display()}: {planned} — {planned.entry}"
            if planned.outcome:
                line += f" ({planned.outcome})"
            style = (
                self.style.SUCCESS if planned.status == Schedule.Status.DONE else self.style.WARNING
            )
            self.stdout.write(style(line))

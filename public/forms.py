"""The readers' error report form: short, anonymous, and hard for a robot to fill in."""

from __future__ import annotations

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from astana_cms.editorial.forms import from_textarea

from .models import Report

SIGNING_SALT = "public.report"  # a namespace for the signature, not a secret
TOKEN_MAX_AGE = 7 * 24 * 3600  # a page may be served from the cache for a while; not for weeks


def report_token(excerpt_id: int) -> str:
    """A signed token naming the excerpt: a report must come from its page (or the report
    page), not from a script that never loaded it."""
    return signing.TimestampSigner(salt=SIGNING_SALT).sign(str(excerpt_id))


class ReportForm(forms.ModelForm):
    # Left empty by people (it is hidden from them and from screen readers); robots fill it in.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    token = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = Report
        fields = ["message", "contact"]
        labels = {
            "message": _("What is wrong?"),
            "contact": _("Your email or phone (optional)"),
        }
        help_texts = {
            "message": _(
                "A wrong word, the wrong speaker, missing context… Be as precise as you can."
            ),
            "contact": _("Only if you want an answer. It is never published."),
        }
        widgets = {
            "message": forms.Textarea(attrs={"rows": 4, "maxlength": 2000, "dir": "auto"}),
            "contact": forms.TextInput(attrs={"dir": "auto", "autocomplete": "email"}),
        }

    def __init__(self, *args, excerpt_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.excerpt_id = excerpt_id
        self.fields["token"].initial = report_token(excerpt_id)
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    def clean_message(self) -> str:
        message = from_textarea(self.cleaned_data["message"]).strip()
        if len(message) < 5:
            raise forms.ValidationError(_("Please say in a few words what is wrong."))
        if message.count("http://") + message.count("https://") > 2:
            raise forms.ValidationError(_("Please send at most two links."))
        return message

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        try:
            value = signing.TimestampSigner(salt=SIGNING_SALT).unsign(token, max_age=TOKEN_MAX_AGE)
        except signing.BadSignature:
            value = None
        if value != str(self.excerpt_id):
            raise forms.ValidationError(
                _("This form has expired. Reload the page and send your report again.")
            )
        return token

    @property
    def is_robot(self) -> bool:
        return bool(self.cleaned_data.get("website"))

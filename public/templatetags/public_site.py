import datetime
import json

from django import template
from django.utils import translation
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from astana_cms.editorial.cache import remembered

register = template.Library()

# As django.utils.html.json_script: nothing in the data can close the element or open markup.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def json_ld(data: dict) -> SafeString:
    """A schema.org block. It is data, not script: a Content Security Policy does not run it."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308


@register.simple_tag
def date_range(start: datetime.date, end: datetime.date, short: bool = False) -> str:
    """A meeting's dates as a newsroom writes them: "20–21 June 2023", "28 November – 1
    December 2018", or "16 March 2018" for one day; `short` leaves out the year."""
    year = "" if short else " Y"
    if end is None or end == start:
        return date_format(start, "j F" + year)
    if (start.year, start.month) == (end.year, end.month):
        return f"{date_format(start, 'j')}–{date_format(end, 'j F' + year)}"
    if start.year == end.year:
        return f"{date_format(start, 'j F')} – {date_format(end, 'j F' + year)}"
    return f"{date_format(start, 'j F Y')} – {date_format(end, 'j F Y')}"


class _OncePerGeneration(template.Node):
    def __init__(self, nodelist, name: str, vary_on: list) -> None:
        self.nodelist, self.name, self.vary_on = nodelist, name, vary_on

    def render(self, context) -> str:
        values = [str(value.resolve(context)) for value in self.vary_on]
        key = ":".join(["fragment", self.name, translation.get_language(), *values])
        return remembered(key, lambda: self.nodelist.render(context), 3600)


@register.tag
def once_per_generation(parser, token) -> _OncePerGeneration:
    """`{% once_per_generation name [vary_on …] %}…{% end_once_per_generation %}`: a fragment
    that is the same for every reader until the public record changes (a timeline drawn from
    every meeting's counts), rendered once per generation of the public cache and language.
    Unlike Django's `{% cache %}`, it is never stale after a publication, and a cache that is
    down only means it is rendered afresh."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]} needs a name")
    nodelist = parser.parse(("end_once_per_generation",))
    parser.delete_first_token()
    return _OncePerGeneration(nodelist, bits[1], [parser.compile_filter(b) for b in bits[2:]])

from django import template
from django.utils.safestring import mark_safe

from kkr_portal.admin_site import nav_sidebar

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_nav_sidebar(context):
    """The admin's navigation sidebar, from kkr_portal.admin_site's cache."""
    return mark_safe(nav_sidebar(context["request"], context.get("available_apps") or []))  # noqa: S308


class ChangeListPartNode(template.Node):
    def __init__(self, name: str, nodelist) -> None:
        self.name, self.nodelist = name, nodelist

    def render(self, context):
        changelist = context.get("cl")
        if not hasattr(changelist, "cached_part"):
            return self.nodelist.render(context)
        return changelist.cached_part(self.name, lambda: self.nodelist.render(context))


@register.tag
def changelist_part(parser, token):
    """``{% changelist_part "name" %}…{% endchangelist_part %}``: a part of a change list page
    cached with its rows (kkr_portal.admin_cache). Never around the CSRF token or messages."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "'\"" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("changelist_part takes one quoted name")
    nodelist = parser.parse(("endchangelist_part",))
    parser.delete_first_token()
    return ChangeListPartNode(bits[1][1:-1], nodelist)

"""The admin site: Django's own, with the navigation sidebar built once per set of permissions.

Every admin page lists every model the user may reach in its sidebar; building that list asks each
of the ~40 model admins for four permissions, and rendering it translates a dozen strings per
model: a third of a warm change list's time. Both depend only on the user's permissions (and
superuser/staff/active flags), the language and which entry the current page is, never on data,
so this process keeps them, keyed exactly on those (a changed permission is a different key).
"""

from __future__ import annotations

import time

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.template.defaultfilters import urlencode
from django.template.loader import render_to_string
from django.utils import translation

from .pagecache import MAX_AGE, LocalParts

# The app lists and sidebars of the users lately seen (a few KB each).
navigation = LocalParts(4 * 1024 * 1024)


def permissions_key(user) -> tuple:
    """What the user's app list depends on: who they are and what they may do."""
    permissions = () if user.is_superuser else tuple(sorted(user.get_all_permissions()))
    return (user.pk, user.is_active, user.is_superuser, user.is_staff, permissions, translation.get_language())


class PortalAdminSite(admin.AdminSite):
    def get_app_list(self, request, app_label=None):
        if app_label is not None:
            return super().get_app_list(request, app_label)
        key = repr(("apps", permissions_key(request.user)))
        apps = navigation.get(key)
        if apps is None:
            apps = super().get_app_list(request)
            navigation.set(key, apps, time.time() + MAX_AGE)
        # A page may change its app list; the kept one stays as built (the dicts are copied, the
        # strings and model classes in them are never changed).
        return [{**app, "models": [dict(model) for model in app["models"]]} for app in apps]


def nav_sidebar(request, app_list) -> str:
    """Django's sidebar (``admin/nav_sidebar.html``), kept per permissions, language and the
    entries the current page is under (what Django's template marks as current)."""
    path = urlencode(request.path)
    current = tuple(
        url
        for app in app_list
        for url in (app["app_url"], *(model.get("admin_url") for model in app["models"]))
        if url and url in path
    )
    key = repr(("sidebar", permissions_key(request.user), current))
    html = navigation.get(key)
    if html is None:
        html = render_to_string("admin/nav_sidebar.html", {"available_apps": app_list, "request": request})
        navigation.set(key, html, time.time() + MAX_AGE)
    return html


class PortalAdminConfig(AdminConfig):
    default_site = "kkr_portal.admin_site.PortalAdminSite"

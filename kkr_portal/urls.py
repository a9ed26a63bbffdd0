from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import accessibility, auth, views

admin.site.site_header = _("KKR Portal – sekretariatet")
admin.site.site_title = _("KKR Portal")
admin.site.index_title = _("Administration")
# The admin logs in and out through allauth, so its rate limits and two-factor login apply there.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.logout = auth.admin_logout

urlpatterns = [
    path("", views.home, name="home"),
    # The address Digitaliseringsstyrelsen prescribes, and as typed with a slash.
    path("was", accessibility.was, name="was"),
    path("was/", accessibility.was),
    path("tilgaengelighed/", accessibility.statement, name="accessibility_statement"),
    path("", include("members.urls")),
    path("", include("fora.urls")),
    path("", include("agreements.urls")),
    path("", include("reminders.urls")),
    path("api/v1/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("admin/", include("kkr_portal.admin_views")),  # the index, dashboards, changeover
    path("admin/", include("elections.admin_views")),  # the KKR's composition: import, calculation
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "kkr_portal.views.bad_request"
handler403 = "kkr_portal.views.permission_denied"
handler404 = "kkr_portal.views.page_not_found"
handler500 = "kkr_portal.views.server_error"

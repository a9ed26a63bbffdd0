from django.urls import path

from . import balance, changes, directory, lens, views

urlpatterns = [
    path("kkr/<slug:slug>/", views.council_detail, name="council_detail"),
    path("kkr/<slug:slug>/balance/", balance.council_balance_page, name="council_balance"),
    path("kkr/<slug:slug>/balance.svg", balance.council_balance_chart, name="council_balance_chart"),
    path("omraader/", lens.policy_area_list, name="policy_area_list"),
    path("omraader/<slug:slug>/", lens.policy_area_detail, name="policy_area_detail"),
    path("aendringer/", changes.changes_page, name="changes"),
    path("aendringer/feed/", changes.changes_atom, name="changes_feed"),
    path("aendringer/rss/", changes.changes_rss, name="changes_rss"),
    path("blaa-bog/", directory.directory, name="blaa_bog"),
    path("blaa-bog/eksport.<str:fmt>", directory.export, name="blaa_bog_export"),
    path("blaa-bog/udskriv/", directory.print_view, name="blaa_bog_print"),
    path("personer/<slug:slug>/", views.person_detail, name="person_detail"),
    path("moeder/", views.meeting_list, name="meeting_list"),
    path("moeder/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("moeder/kkr/<slug:slug>.ics", views.council_feed, name="council_feed"),
    path("kalender/<str:token>.ics", views.personal_feed, name="personal_feed"),
    path("min-side/", views.my_page, name="my_page"),
    path("om-kkr/", views.about, name="about"),
]

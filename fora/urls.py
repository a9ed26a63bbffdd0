from django.urls import path

from . import views

urlpatterns = [
    path("fora/", views.forum_list, name="forum_list"),
    path("fora/<slug:slug>/", views.forum_detail, name="forum_detail"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("aftaler/", views.agreement_list, name="agreement_list"),
]

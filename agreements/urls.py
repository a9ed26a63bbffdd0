from django.urls import path

from . import views

urlpatterns = [
    path("aftaler/", views.agreement_list, name="agreement_list"),
    path("aftaler/<int:pk>/", views.agreement_detail, name="agreement_detail"),
]

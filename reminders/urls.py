from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("paamindelser/frameld/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

from django.urls import path

from . import views

app_name = "competency"
urlpatterns = [
    path("", views.home, name="home"),
    path("recognition/", views.recognition, name="recognition"),
    path("assignments/<int:pk>/start/", views.assignment_start, name="assignment_start"),
]

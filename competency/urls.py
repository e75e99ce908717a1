from django.urls import path

from . import views, views_redrill, views_replay

app_name = "competency"
urlpatterns = [
    path("", views.home, name="home"),
    path("recognition/", views.recognition, name="recognition"),
    path("readiness/", views.readiness, name="readiness"),
    path("redrill/schedule/", views_redrill.redrill_schedule, name="redrill_schedule"),
    path("rate/", views.rate, name="rate"),
    path("assignments/<int:pk>/start/", views.assignment_start, name="assignment_start"),
    path("simulations/<slug:code>/", views.simulation_detail, name="simulation_detail"),
    path("simulations/<slug:code>/start/", views.run_start, name="run_start"),
    path("runs/<int:pk>/", views.play, name="play"),
    path("runs/<int:pk>/answer/", views.answer, name="answer"),
    path("runs/<int:pk>/result/", views.result, name="result"),
    path("answers/", views.answers_rate, name="answers_rate"),
    path("answers/agreement/", views.rating_agreement, name="rating_agreement"),
    path("authoring/", views.authoring_list, name="authoring_list"),
    path("authoring/versions/<int:pk>/", views.authoring_edit, name="authoring_edit"),
    path(
        "authoring/replay/<int:crisis_id>/", views_replay.authoring_replay, name="authoring_replay"
    ),
    path(
        "crises/<int:crisis_id>/replay-panel/",
        views_replay.crisis_replay_panel,
        name="crisis_replay_panel",
    ),
]

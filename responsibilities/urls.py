from django.urls import path

from . import editor, views

app_name = "responsibilities"
urlpatterns = [
    path("", views.map_list, name="map_list"),
    path("new/", editor.map_edit, name="map_new"),
    path("coverage/recompute/", views.coverage_recompute, name="coverage_recompute"),
    path("editor/preview/", editor.map_preview, name="map_preview"),
    path("<int:pk>/", views.map_detail, name="map_detail"),
    path("<int:pk>/edit/", editor.map_edit, name="map_edit"),
    path("<int:pk>/versions/", views.map_versions, name="map_versions"),
    path("<int:pk>/publish/", editor.map_publish, name="map_publish"),
    path("<int:pk>/archive/", views.map_archive, name="map_archive"),
    path("<int:pk>/revise/", views.map_revise, name="map_revise"),
    path("scenarios/new/", views.scenario_new, name="scenario_new"),
    path("scenarios/<slug:code>/manual/", views.scenario_manual, name="scenario_manual"),
    path("positions/<slug:code>/", views.position_duties, name="position_duties"),
]

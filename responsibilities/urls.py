from django.urls import path

from . import views

app_name = "responsibilities"
urlpatterns = [
    path("", views.map_list, name="map_list"),
    path("new/", views.map_edit, name="map_new"),
    path("<int:pk>/", views.map_detail, name="map_detail"),
    path("<int:pk>/edit/", views.map_edit, name="map_edit"),
    path("<int:pk>/versions/", views.map_versions, name="map_versions"),
    path("<int:pk>/publish/", views.map_publish, name="map_publish"),
    path("<int:pk>/archive/", views.map_archive, name="map_archive"),
    path("<int:pk>/revise/", views.map_revise, name="map_revise"),
    path("scenarios/new/", views.scenario_new, name="scenario_new"),
    path("scenarios/<slug:code>/manual/", views.scenario_manual, name="scenario_manual"),
    path("positions/<slug:code>/", views.position_duties, name="position_duties"),
]

"""Crisis pages, mounted at /crises/."""

from django.urls import path

from . import views

app_name = "crisis"

urlpatterns = [
    path("", views.crisis_list, name="list"),
    path("new/", views.crisis_file, name="file"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/board/", views.dashboard_live, name="dashboard_live"),
    path("<int:pk>/", views.crisis_detail, name="detail"),
    path("<int:pk>/live/", views.crisis_live, name="detail_live"),
    path("<int:pk>/timeline/", views.crisis_timeline, name="detail_timeline"),
    path("<int:pk>/pause/", views.crisis_pause, name="pause"),
    path("<int:pk>/resume/", views.crisis_resume, name="resume"),
    path("<int:pk>/decide/", views.crisis_decide, name="decide"),
    path("<int:pk>/brief/", views.crisis_brief, name="brief"),
    path("<int:pk>/close/", views.crisis_close, name="close"),
    path("tasks/<int:pk>/acknowledge/", views.task_acknowledge, name="task_acknowledge"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/comment/", views.task_comment, name="task_comment"),
    path("tasks/<int:pk>/reassign/", views.task_reassign, name="task_reassign"),
    path("deliverables/<int:pk>/download/", views.deliverable_download, name="deliverable"),
]

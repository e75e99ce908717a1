"""Crisis pages, mounted at /crises/."""

from django.urls import path

from . import course_views, views, views_drills, views_obligations, views_walk_in

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
    path("<int:pk>/walk-in/outcome/", views_walk_in.walk_in_outcome, name="walk_in_outcome"),
    path("tasks/<int:pk>/acknowledge/", views.task_acknowledge, name="task_acknowledge"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/comment/", views.task_comment, name="task_comment"),
    path("tasks/<int:pk>/reassign/", views.task_reassign, name="task_reassign"),
    path("deliverables/<int:pk>/download/", views.deliverable_download, name="deliverable"),
    # Statutory clocks (issue 15 §3).
    path("obligations/", views_obligations.obligations_library, name="obligations_library"),
    path("obligations/new/", views_obligations.obligation_edit, name="obligation_new"),
    path("obligations/<int:pk>/edit/", views_obligations.obligation_edit, name="obligation_edit"),
    path("clocks/<int:pk>/file/", views_obligations.obligation_file, name="obligation_file"),
    path("clocks/<int:pk>/adjust/", views_obligations.obligation_adjust, name="obligation_adjust"),
    path("clocks/<int:pk>/proof/", views_obligations.obligation_proof, name="obligation_proof"),
]

# Post-incident review (issue 15 §5).
from . import views_review  # noqa: E402

urlpatterns += [
    path("<int:pk>/review/", views_review.review, name="review"),
    path("<int:pk>/review/findings/", views_review.review_finding_add, name="review_finding_add"),
    path("<int:pk>/review/actions/", views_review.review_action_add, name="review_action_add"),
    path(
        "findings/<int:pk>/lesson/",
        views_review.review_finding_lesson,
        name="review_finding_lesson",
    ),
    path(
        "findings/<int:pk>/propose/",
        views_review.review_finding_propose,
        name="review_finding_propose",
    ),
    path("actions/<int:pk>/done/", views_review.review_action_done, name="review_action_done"),
    path("lessons/", views_review.lessons, name="lessons"),
    path("report/", views_review.monthly_report, name="report"),
    path("report.csv", views_review.monthly_report_csv, name="report_csv"),
]
urlpatterns += course_views.urlpatterns  # changing course (issue 15 §4)
# Drills (issue 16 §1–2).
urlpatterns += [
    path("drills/", views_drills.drills, name="drills"),
    path("<int:pk>/drill-report/", views_drills.drill_report_page, name="drill_report"),
    path("<int:pk>/stop-drill/", views_drills.drill_stop_page, name="stop_drill"),
]

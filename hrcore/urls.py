from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import performance_views, reach_views, selfservice_views, views
from .api import errors as api_errors

urlpatterns = [
    path("", views.home, name="home"),
    path("org/", views.org_chart, name="org_chart"),
    path("org/positions/<slug:code>/", views.position_detail, name="position_detail"),
    path(
        "people/<int:pk>/performance/",
        performance_views.performance_page,
        name="performance_page",
    ),
    path(
        "people/<int:pk>/performance/refresh/",
        performance_views.performance_refresh,
        name="performance_refresh",
    ),
    path(
        "people/performance-rules/",
        performance_views.performance_rules_page,
        name="performance_rules",
    ),
    path("people/", include("hrcore.people_urls")),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/contact/", views.preferences_contact, name="preferences_contact"),
    path("preferences/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("inbox/", views.inbox, name="inbox"),
    path("me/questions/", selfservice_views.questions_mine, name="questions_mine"),
    path("me/questions/team/", selfservice_views.questions_team, name="questions_team"),
    path(
        "me/questions/escalated/",
        selfservice_views.questions_escalated,
        name="questions_escalated",
    ),
    path(
        "me/questions/<int:pk>/answer/", selfservice_views.question_answer, name="question_answer"
    ),
    path("me/leave/", selfservice_views.absence_self, name="absence_self"),
    path(
        "me/leave/<int:pk>/cancel/",
        selfservice_views.absence_self_cancel,
        name="absence_self_cancel",
    ),
    path("r/ack/<str:token>/", reach_views.acknowledge, name="reach_ack"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/login/", views.admin_login, name="admin_login"),  # before the admin's own
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("hrcore.api.urls")),
    path("api/v1/", include("responsibilities.api.urls")),
    path("api/v1/", include("crisis.api.urls")),
    path("api/v1/", include("competency.api.urls")),
    path("api/v1/", include("integrations.api.urls")),
    path("maps/", include("responsibilities.urls")),
    path("crises/", include("crisis.urls")),
    path("training/", include("competency.urls")),
    path("integrations/", include("integrations.urls")),
]

handler400 = api_errors.handler400
handler403 = api_errors.handler403
handler404 = api_errors.handler404
handler500 = api_errors.handler500

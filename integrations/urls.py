from django.urls import path

from . import commission_views, reach_views, roi_views, rollcall_views, views, warroom_views

app_name = "integrations"
urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/roi/", roi_views.roi_table, name="customer_roi"),
    path("customers/roi/refresh/", roi_views.roi_refresh, name="customer_roi_refresh"),
    path("customers/<str:external_id>/", views.customer_dossier, name="customer_dossier"),
    path(
        "customers/<str:external_id>/fragment/",
        views.customer_dossier_fragment,
        name="customer_dossier_fragment",
    ),
    path(
        "customers/<str:external_id>/refresh/",
        views.customer_dossier_refresh,
        name="customer_dossier_refresh",
    ),
    path("crises/<int:crisis_pk>/panel/", views.crisis_dossier_panel, name="crisis_dossier_panel"),
    path(
        "crises/<int:crisis_pk>/deliveries/",
        reach_views.crisis_deliveries_panel,
        name="crisis_deliveries_panel",
    ),
    path(
        "crises/<int:crisis_pk>/roll-calls/",
        rollcall_views.crisis_roll_calls_panel,
        name="crisis_roll_calls_panel",
    ),
    path(
        "crises/<int:crisis_pk>/roll-calls/send/",
        rollcall_views.crisis_roll_call_send,
        name="crisis_roll_call_send",
    ),
    path(
        "crises/<int:crisis_pk>/war-room/",
        warroom_views.crisis_war_room_panel,
        name="crisis_war_room_panel",
    ),
    path(
        "crises/<int:crisis_pk>/war-room/open/",
        warroom_views.crisis_war_room_open,
        name="crisis_war_room_open",
    ),
    path("rollcall/<str:token>/", rollcall_views.answer_page, name="rollcall_answer_page"),
    path(
        "crises/<int:crisis_pk>/decision-acks/",
        reach_views.crisis_decision_acks_panel,
        name="crisis_decision_acks_panel",
    ),
    path(
        "crises/<int:crisis_pk>/decisions/<int:decision_pk>/acknowledge/",
        reach_views.crisis_decision_ack,
        name="crisis_decision_ack",
    ),
    path(
        "crises/<int:crisis_pk>/decisions/<int:decision_pk>/remind/",
        reach_views.crisis_decision_remind,
        name="crisis_decision_remind",
    ),
    path("crises/<int:crisis_pk>/", views.crisis_dossier_page, name="crisis_dossier"),
    path(
        "crises/<int:crisis_pk>/refresh/",
        views.crisis_dossier_refresh,
        name="crisis_dossier_refresh",
    ),
    path("crises/<int:crisis_pk>/plan/edit/", views.plan_edit, name="plan_edit"),
    path("crises/<int:crisis_pk>/plan/share/", views.plan_share, name="plan_share"),
    path("offboarding/", views.offboarding, name="offboarding"),
    path(
        "offboarding/<int:employee_pk>/handover/",
        views.handover_execute,
        name="handover_execute",
    ),
    path("handovers/<int:pk>/revert/", views.handover_revert, name="handover_revert"),
    path("complaints/<int:pk>/outcome/", views.complaint_outcome, name="complaint_outcome"),
    path("commissions/", views.commission_list, name="commissions"),
    path("commissions/<int:pk>/decide/", views.commission_decide, name="commission_decide"),
    path("commissions/statement/", commission_views.statement, name="commission_statement"),
    path(
        "commissions/statement/<int:employee_pk>/",
        commission_views.statement,
        name="commission_statement_of",
    ),
    path("commissions/rules/", commission_views.rules, name="commission_rules"),
    path("commissions/payroll.csv", commission_views.payroll_csv, name="commission_payroll_csv"),
    path(
        "commissions/payroll/push/", commission_views.payroll_push, name="commission_payroll_push"
    ),
]

from django.urls import path
from rest_framework.routers import SimpleRouter

from ..reach_views import ChannelCallbackView, CrisisDeliveriesView, DecisionAcknowledgeView
from ..rollcall_views import (
    RollCallAnswerView,
    RollCallDetailView,
    RollCallSendView,
    WarRoomOpenView,
)
from .commissions import CommissionViewSet
from .master_data_events import MasterDataEventList
from .views import CrisisDossierView, CustomerViewSet, InboundWebhookView
from .webhook_subscriptions import WebhookSubscriptionViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("commissions", CommissionViewSet, basename="commission")
router.register(
    "webhook-subscriptions", WebhookSubscriptionViewSet, basename="webhook-subscription"
)
urlpatterns = [
    path(
        "integrations/webhooks/<slug:partner>/",
        InboundWebhookView.as_view(),
        name="integrations-webhook",
    ),
    path(
        "integrations/master-data-events/",
        MasterDataEventList.as_view(),
        name="master-data-event-list",
    ),
    path(
        "integrations/crises/<int:crisis_id>/dossier/",
        CrisisDossierView.as_view(),
        name="integrations-crisis-dossier",
    ),
    path(
        "crises/<int:crisis_id>/deliveries/",
        CrisisDeliveriesView.as_view(),
        name="crisis-deliveries",
    ),
    path(
        "crises/<int:crisis_id>/decisions/<int:decision_id>/acknowledge/",
        DecisionAcknowledgeView.as_view(),
        name="decision-acknowledge",
    ),
    path("crises/<int:crisis_id>/roll-calls/", RollCallSendView.as_view(), name="roll-call-send"),
    path("roll-calls/<int:roll_call_id>/", RollCallDetailView.as_view(), name="roll-call"),
    path("crises/<int:crisis_id>/war-room/", WarRoomOpenView.as_view(), name="war-room-open"),
    path(
        "roll-calls/<int:roll_call_id>/answer/",
        RollCallAnswerView.as_view(),
        name="roll-call-answer",
    ),
    path(
        "integrations/reach/callbacks/<slug:channel>/",
        ChannelCallbackView.as_view(),
        name="reach-callback",
    ),
    *router.urls,
]

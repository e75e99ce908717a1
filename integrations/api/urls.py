from django.urls import path
from rest_framework.routers import SimpleRouter

from ..reach_views import ChannelCallbackView, CrisisDeliveriesView
from .views import CrisisDossierView, CustomerViewSet, InboundWebhookView
from .webhook_subscriptions import WebhookSubscriptionViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
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
        "integrations/reach/callbacks/<slug:channel>/",
        ChannelCallbackView.as_view(),
        name="reach-callback",
    ),
    *router.urls,
]

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CrisisDossierView, CustomerViewSet, InboundWebhookView

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
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
    *router.urls,
]

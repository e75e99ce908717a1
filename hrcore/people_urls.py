"""People: the list (search, pages) and one view of a person (issue 17 §5). Namespaced
``hrcore`` so that the apps' person-page sections and the performance pages sit beside them
(``hrcore:person``, ``hrcore:people``, ``hrcore:my_page``)."""

from django.urls import path

from . import views

app_name = "hrcore"
urlpatterns = [
    path("", views.people_list, name="people"),
    path("me/", views.my_page, name="my_page"),
    path("<int:pk>/", views.person_page, name="person"),
]

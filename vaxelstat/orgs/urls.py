from django.urls import path

from vaxelstat.orgs import views

urlpatterns = [
    path("administration/gallring/", views.gallring, name="gallring"),
    path("operator/organisationer/", views.organizations, name="organizations"),
]

from django.urls import path

from vaxelstat.api import keys, views

urlpatterns = [
    path("api/v1/openapi.json", views.openapi, name="api-openapi"),
    path("api/v1/reports", views.reports, name="api-reports"),
    path("api/v1/objects", views.objects, name="api-objects"),
    path("api/v1/reports/<str:key>", views.report, name="api-report"),
    path("api/v1/reports/<str:key>/calls", views.calls, name="api-calls"),
    path("konto/api-nycklar/", keys.keys, name="api-keys"),
    path("konto/api-nycklar/<int:pk>/ta-bort/", keys.delete, name="api-key-delete"),
]

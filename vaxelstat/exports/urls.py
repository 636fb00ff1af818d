from django.urls import path

from vaxelstat.exports import views

urlpatterns = [
    path("exporter/ny/", views.create, name="export-create"),
    path("exporter/<int:export_id>/", views.status, name="export"),
    path("exporter/<int:export_id>/fil/", views.download, name="export-file"),
]

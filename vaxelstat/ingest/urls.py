from django.urls import path

from vaxelstat.ingest import views

urlpatterns = [path("push/<int:point_id>/", views.push, name="ingest-push")]

from django.urls import include, path

urlpatterns = [
    path("", include("vaxelstat.web.urls")),
    path("ingest/", include("vaxelstat.ingest.urls")),
]

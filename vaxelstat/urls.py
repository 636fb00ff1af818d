from django.urls import include, path

urlpatterns = [
    path("", include("vaxelstat.web.urls")),
]

from django.urls import include, path

urlpatterns = [
    path("", include("vaxelstat.accounts.urls")),
    path("", include("vaxelstat.orgs.urls")),
    path("", include("vaxelstat.exports.urls")),
    path("", include("vaxelstat.saved.urls")),
    path("", include("vaxelstat.api.urls")),
    path("", include("vaxelstat.web.urls")),
    path("ingest/", include("vaxelstat.ingest.urls")),
]

handler400 = "vaxelstat.web.errors.bad_request"
handler403 = "vaxelstat.web.errors.forbidden"
handler404 = "vaxelstat.web.errors.not_found"
handler500 = "vaxelstat.web.errors.server_error"

from django.urls import path

from vaxelstat import control
from vaxelstat.web import views

urlpatterns = [
    path("", views.start, name="start"),
    path("operator/imports/", views.imports, name="imports"),
    path("_control/run", control.run_view, name="control-run"),
    # Menu items not built yet: each says so plainly.
    *(
        path(f"{slug}/", views.not_built, {"title": title, "module": module}, name=name)
        for name, slug, title, module in views.NOT_BUILT
    ),
]

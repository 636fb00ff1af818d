from django.urls import path

from vaxelstat.saved import dashboards, views

urlpatterns = [
    path("sparade-rapporter/", views.saved_list, name="saved"),
    path("sparade-rapporter/ny/", views.create, name="saved-create"),
    path("sparade-rapporter/<int:pk>/", views.open_saved, name="saved-open"),
    path("sparade-rapporter/<int:pk>/andra/", views.edit, name="saved-edit"),
    path("sparade-rapporter/<int:pk>/ta-bort/", views.delete, name="saved-delete"),
    path("dashboardkatalog/", dashboards.catalog, name="dashboards"),
    path("dashboardkatalog/<int:pk>/", dashboards.show, name="dashboard-show"),
    path("dashboardkatalog/<int:pk>/andra/", dashboards.edit, name="dashboard-edit"),
    path("dashboardkatalog/<int:pk>/ta-bort/", dashboards.delete, name="dashboard-delete"),
]

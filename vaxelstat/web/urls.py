from django.urls import path

from vaxelstat import control
from vaxelstat.web import advanced, dashboard, health, menu, reports, views, wallboard

urlpatterns = [
    path("", views.start, name="start"),
    path("healthz", health.healthz, name="healthz"),
    path("operator/imports/", views.imports, name="imports"),
    path("basrapporter/", reports.report_page, name="reports"),
    path("avancerade-rapporter/", advanced.advanced_page, name="advanced"),
    path("basrapporter/samtal/", reports.calls_page, name="report-calls"),
    path("basrapporter/samtal/vag/", reports.journey_page, name="call-journey"),
    path("basrapporter/bemanning/", reports.staffing_page, name="staffing"),
    path("basrapporter/pausorsaker/", reports.pauses_page, name="pauses"),
    path("basrapporter/agenter-per-ko/", reports.agent_queues_page, name="agent-queues"),
    path("hjalp/", menu.help_page, name="help"),
    path("sok/", menu.search_page, name="search"),
    path("dashboard/", dashboard.dashboard_page, name="dashboard"),
    path("vaggskarm/", wallboard.wallboard, name="wallboard"),
    path("_control/run", control.run_view, name="control-run"),
]

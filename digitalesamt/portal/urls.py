"""The municipal portal `/portal/`: every view requires a clerk and sees only their Kommune.

tests/test_portal_isolation.py walks these patterns; a new pattern with a parameter needs an
object of another Kommune there (the test says which).
"""

from django.urls import path

from .views import (
    application,
    central,
    coat_of_arms,
    procedure_files,
    procedures,
    submitting,
    upload,
)

app_name = "portal"

urlpatterns = [
    path("", application.dashboard, name="dashboard"),
    path("antrag/", application.application, name="application"),
    path("antrag/stellen/", application.application_create, name="application_create"),
    path("antrag/einreichen/", submitting.application_submit, name="application_submit"),
    path(
        "antrag/bestaetigung/",
        submitting.application_confirmation,
        name="application_confirmation",
    ),
    path("antrag/eingereicht/", submitting.application_submitted, name="application_submitted"),
    path("antrag/antworten/", application.application_answer, name="application_answer"),
    path("antrag/zurueckziehen/", submitting.application_withdraw, name="application_withdraw"),
    path("verfahren/", procedures.procedure_list, name="procedures"),
    path("verfahren/neu/", procedures.procedure_create, name="procedure_create"),
    path("verfahren/zentral/", central.central_procedures, name="central_procedures"),
    path(
        "verfahren/<int:pk>/bearbeiten/",
        procedures.procedure_edit,
        name="procedure_edit",
    ),
    path(
        "verfahren/<int:pk>/deaktivieren/",
        procedures.procedure_deactivate,
        name="procedure_deactivate",
    ),
    path(
        "verfahren/<int:pk>/reaktivieren/",
        procedures.procedure_reactivate,
        name="procedure_reactivate",
    ),
    path("verfahren/import/", upload.procedure_upload, name="procedure_upload"),
    path(
        "verfahren/import/uebernehmen/",
        upload.procedure_import_confirm,
        name="procedure_import_confirm",
    ),
    path("verfahren/export.csv", procedure_files.procedure_export_csv, name="procedure_export_csv"),
    path(
        "verfahren/export.xlsx", procedure_files.procedure_export_xlsx, name="procedure_export_xlsx"
    ),
    path(
        "verfahren/import/vorlage.csv",
        procedure_files.procedure_template_csv,
        name="procedure_template_csv",
    ),
    path(
        "verfahren/import/vorlage.xlsx",
        procedure_files.procedure_template_xlsx,
        name="procedure_template_xlsx",
    ),
    path("wappen/", coat_of_arms.coat_of_arms, name="coat_of_arms"),
    path("wappen/bild.png", coat_of_arms.coat_of_arms_image, name="coat_of_arms_image"),
    path("leistungen/suche/", procedures.service_search, name="service_search"),
]

"""Login, logout, password reset, invitations and the second factor under /konto/."""

from django.urls import path

from . import factor_views, views

app_name = "account"

urlpatterns = [
    path("anmelden/", views.LoginView.as_view(), name="login"),
    path("abmelden/", views.LogoutView.as_view(), name="logout"),
    path("passwort-vergessen/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "passwort-vergessen/gesendet/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "passwort/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "passwort/geaendert/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("einladung/<uidb64>/<token>/", views.InvitationView.as_view(), name="invitation"),
    path("zweiter-faktor/", factor_views.SecondStepView.as_view(), name="second_factor"),
    path(
        "zweiter-faktor/wiederherstellungscode/",
        factor_views.RecoveryStepView.as_view(),
        name="second_factor_recovery",
    ),
    path(
        "zweiter-faktor/einrichten/",
        factor_views.SetupView.as_view(),
        name="second_factor_setup",
    ),
    path(
        "zweiter-faktor/wiederherstellungscodes/",
        factor_views.CodesView.as_view(),
        name="second_factor_codes",
    ),
    path(
        "zweiter-faktor/verwalten/",
        factor_views.ManageView.as_view(),
        name="second_factor_manage",
    ),
    path(
        "zweiter-faktor/passkeys/<int:pk>/entfernen/",
        factor_views.RemovePasskeyView.as_view(),
        name="second_factor_remove_passkey",
    ),
]

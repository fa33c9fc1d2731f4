"""Login, logout, password reset and invitations under /konto/."""

from django.urls import path

from . import accounts

app_name = "account"

urlpatterns = [
    path("anmelden/", accounts.LoginView.as_view(), name="login"),
    path("abmelden/", accounts.LogoutView.as_view(), name="logout"),
    path("passwort-vergessen/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "passwort-vergessen/gesendet/",
        accounts.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "passwort/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "passwort/geaendert/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("einladung/<uidb64>/<token>/", accounts.InvitationView.as_view(), name="invitation"),
]

"""Login, logout, password reset and invitations under /konto/."""

from django.urls import path

from . import views

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
]

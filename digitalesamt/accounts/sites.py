"""The admin site: Django's, but only for staff whom a second factor has verified.

It is the default site (SecondFactorAdminConfig), so `admin.site` and every registration on it
stay as they are. Its login form still takes the password; SecondFactorMiddleware then holds
the session at the second step, as after /konto/anmelden/.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse


class SecondFactorAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if request.path == reverse("admin:logout", current_app=self.name):
            return True  # signing out needs no second factor
        # OTPMiddleware installs is_verified(); a request without it has verified nothing.
        is_verified = getattr(request.user, "is_verified", None)
        return bool(is_verified and is_verified())

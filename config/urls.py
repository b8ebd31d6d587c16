"""URL routes: the sign-in pages, each app's pages and the Django admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite

from patients.sign_in import SignInView, two_factor_enrol, two_factor_verify
from patients.views import InviteAcceptView, home

# The admin lets in only people who passed the second sign-in step (django-otp's admin site).
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("", home, name="home"),
    path("accounts/invite/<uidb64>/<token>/", InviteAcceptView.as_view(), name="invite_accept"),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/two-step/", two_factor_verify, name="two_factor_verify"),
    path("accounts/two-step/set-up/", two_factor_enrol, name="two_factor_enrol"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("patients.urls")),
    path("", include("prescriptions.urls")),
    path("catalog/", include("exercises.urls")),
    # One sign-in page for everyone, with its rate limit, lockout and second step.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

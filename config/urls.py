"""URL routes: the sign-in pages, each app's pages and the Django admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from patients.views import InviteAcceptView, home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/invite/<uidb64>/<token>/", InviteAcceptView.as_view(), name="invite_accept"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("patients.urls")),
    path("", include("prescriptions.urls")),
    path("catalog/", include("exercises.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

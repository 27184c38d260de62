"""URL map: the JSON API under /api/, Django's admin under /admin/."""
from django.contrib import admin
from django.urls import include, path

from accounts import views

urlpatterns = [
    path("api/health", views.health, name="health"),
    path("api/auth/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "accounts.views.not_found"
handler500 = "accounts.views.server_error"

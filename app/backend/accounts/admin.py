from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Token, User


@admin.register(User)
class AppUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_staff", "date_joined")


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__email", "prefix")
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at")
    actions = ["revoke_tokens"]

    # Tokens come from /api/auth/login only: the raw key is never stored.
    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke_tokens(self, request, queryset):
        for token in queryset:
            token.revoke()

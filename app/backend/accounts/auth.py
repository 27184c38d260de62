"""Bearer-token authentication for the JSON views."""
from functools import wraps

from django.http import JsonResponse
from django.utils import timezone

from .models import Token


def bearer_key(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return key.strip()


def unauthorized(detail):
    response = JsonResponse({"detail": detail}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def token_required(view):
    """Run view with request.api_token and request.user set, or answer 401."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = bearer_key(request)
        if not key:
            return unauthorized("authentication credentials were not provided")
        token = Token.objects.find_active(key)
        if token is None:
            return unauthorized("invalid, expired or revoked token")
        # Written at most once a minute to keep reads cheap.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            Token.objects.filter(pk=token.pk).update(last_used_at=now)
        request.api_token = token
        request.user = token.user
        return view(request, *args, **kwargs)

    return wrapper

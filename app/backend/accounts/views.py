"""The JSON API: register, login, me, logout and health.

Requests and responses are JSON. Validation errors answer 400 with
{"errors": {field: [messages]}}; authentication failures answer 401 with
{"detail": message}. The API never uses cookies, so CSRF does not apply.
"""
import json
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from .auth import token_required
from .models import Token

log = logging.getLogger(__name__)

USERNAME_MAX = 150


class BadRequest(Exception):
    pass


def api_view(*methods):
    """JSON endpoint accepting only methods (others answer 405); a BadRequest
    raised by the view answers 400 with its message."""

    def decorate(view):
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = JsonResponse({"detail": f"method {request.method} not allowed"}, status=405)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except BadRequest as exc:
                return JsonResponse({"detail": str(exc)}, status=400)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return never_cache(csrf_exempt(wrapper))

    return decorate


def json_body(request):
    try:
        body = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("request body must be JSON")
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    return body


def text_field(body, name):
    value = body.get(name, "")
    return value if isinstance(value, str) else ""


def field_errors(errors, status=400):
    return JsonResponse({"errors": errors}, status=status)


@api_view("POST")
def register(request):
    body = json_body(request)
    User = get_user_model()
    email = text_field(body, "email").strip().lower()
    username = text_field(body, "username").strip()
    password = text_field(body, "password")
    errors = {}

    if not email:
        errors["email"] = ["This field is required."]
    else:
        try:
            validate_email(email)
        except ValidationError as exc:
            errors["email"] = list(exc.messages)

    if not username:
        errors["username"] = ["This field is required."]
    elif len(username) > USERNAME_MAX:
        errors["username"] = [f"Ensure this value has at most {USERNAME_MAX} characters."]
    else:
        try:
            User.username_validator(username)
        except ValidationError as exc:
            errors["username"] = list(exc.messages)

    if not password:
        errors["password"] = ["This field is required."]
    else:
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)

    if errors:
        return field_errors(errors)

    conflicts = {}
    if User.objects.filter(email__iexact=email).exists():
        conflicts["email"] = ["A user with this email already exists."]
    if User.objects.filter(username__iexact=username).exists():
        conflicts["username"] = ["A user with this username already exists."]
    if conflicts:
        return field_errors(conflicts, status=409)

    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
    except IntegrityError:
        # Lost a race with a concurrent registration of the same email or name.
        return field_errors({"email": ["A user with this email or username already exists."]}, status=409)
    return JsonResponse(user.as_json(), status=201)


@api_view("POST")
def login(request):
    body = json_body(request)
    User = get_user_model()
    email = text_field(body, "email").strip().lower()
    password = text_field(body, "password")
    if not email or not password:
        errors = {}
        if not email:
            errors["email"] = ["This field is required."]
        if not password:
            errors["password"] = ["This field is required."]
        return field_errors(errors)

    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        # Hash anyway so the answer time does not tell which emails exist.
        User().set_password(password)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active
    if not ok:
        return JsonResponse({"detail": "invalid email or password"}, status=401)

    token, raw = Token.objects.issue(user)
    return JsonResponse(
        {"token": raw, "expires_at": token.expires_at.isoformat(), "user": user.as_json()},
        status=200,
    )


@api_view("GET")
@token_required
def me(request):
    return JsonResponse(request.user.as_json())


@api_view("POST")
@token_required
def logout(request):
    request.api_token.revoke()
    return HttpResponse(status=204)


def database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except DatabaseError as exc:
        log.warning("health: database unavailable: %s", exc)
        # Drop the broken connection so the next request reconnects.
        try:
            connection.close()
        except DatabaseError:
            pass
        return False


@api_view("GET", "HEAD")
def health(request):
    db = database_ok()
    body = {
        "status": "ok" if db else "degraded",
        "database": "ok" if db else "unavailable",
        "release": settings.RELEASE_ID,
        "released_at": settings.RELEASED_AT or None,
    }
    return JsonResponse(body, status=200 if db else 503)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "not found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "internal server error"}, status=500)
    return defaults.server_error(request)

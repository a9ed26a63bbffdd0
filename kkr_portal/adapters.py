"""allauth adapter: the portal is closed; the secretariat registers everyone who may log in."""

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from django.conf import settings

# The error allauth's forms raise when a rate limit (login_failed, request_login_code, the
# second factor) is used up.
RATE_LIMITED = "too_many_login_attempts"


class ClosedAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def validation_error(self, code, *args):
        """A used-up rate limit answers 429 with the portal's page, not a form error.

        allauth reports most of its limits as a form error on a 200 page; only the "login"
        limit answers 429 itself. One answer for all of them is clearer to a person and to a
        monitor. AccountMiddleware turns ImmediateHttpResponse into the response.
        """
        request = allauth_context.request
        if code == RATE_LIMITED and request is not None:
            raise ImmediateHttpResponse(respond_429(request))
        return super().validation_error(code, *args)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Failed logins are counted per address, whatever the request's Host header says.

        allauth prefixes the address with the current site's domain, which without
        django.contrib.sites is the Host header as sent: "TESTSERVER", "testserver:8000" and
        every other spelling that ALLOWED_HOSTS accepts would each get five guesses. (A private
        hook of allauth's; tests/portal/test_auth_throttling.py fails if it stops being called.)
        """
        return credentials.get("email", credentials.get("username", "")).lower()

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Mails may name the portal's address and how long a login code lasts."""
        context = {
            "site_url": settings.SITE_URL,
            "login_code_minutes": app_settings.LOGIN_BY_CODE_TIMEOUT // 60,
            **context,
        }
        super().send_mail(template_prefix, email, context)

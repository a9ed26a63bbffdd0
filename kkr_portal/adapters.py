"""allauth adapter: the portal is closed; the secretariat registers everyone who may log in."""

from allauth.account.adapter import DefaultAccountAdapter


class ClosedAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

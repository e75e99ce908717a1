from allauth.account.adapter import DefaultAccountAdapter


class KeelAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by HR admins, not by self sign-up."""

    def is_open_for_signup(self, request) -> bool:
        return False

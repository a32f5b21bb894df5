from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """The claims of a user: users named `unverified...` have an address the provider never
    verified (`email_verified: false`), as a lax provider may have."""

    oidc_claim_scope = OAuth2Validator.oidc_claim_scope | {
        "email": "email",
        "email_verified": "email",
        "preferred_username": "profile",
        "name": "profile",
    }

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": not user.username.startswith("unverified"),
            "preferred_username": user.username,
            "name": user.get_full_name() or user.username,
        }

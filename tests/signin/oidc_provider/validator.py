"""The test provider's OAuth2 validator: the user's email address and names as OpenID claims.

DOT puts a claim in the ID token and in the answer of ``/o/userinfo/`` when the scope that
``oidc_claim_scope`` maps it to was granted: ``email`` for the address, ``profile`` for the names.
"""

from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "email": "email",
        "name": "profile",
        "preferred_username": "profile",
        "given_name": "profile",
        "family_name": "profile",
    }

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "name": f"{user.first_name} {user.last_name}".strip(),
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
        }

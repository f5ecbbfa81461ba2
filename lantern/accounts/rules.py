"""Account rules that need a record of this app; rules about users themselves are in `lantern.core.policy`."""

import rules

from lantern.core.policy import register


@rules.predicate
def owns_api_token(user, token) -> bool:
    """The token is the user's own."""
    return token is not None and token.user_id == user.pk


register("can_revoke_api_token", owns_api_token)

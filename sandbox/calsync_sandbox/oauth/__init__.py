"""Google's OAuth 2.0 and OpenID Connect: tokens, the token endpoint, consent, id_tokens, JWTs.

Also the bearer-token check the gateway runs before every Calendar, Directory and Data Transfer
call.
"""

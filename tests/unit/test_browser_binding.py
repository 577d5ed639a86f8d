"""The cookie that binds an OAuth flow to the browser that started it (pure)."""

from __future__ import annotations

from calsync.organizers import browser_binding as binding


def test_the_secret_handed_out_matches_its_stored_digest() -> None:
    """The browser's cookie matches the digest stored with its flow."""
    secret = binding.new_secret()
    assert binding.matches(binding.digest(secret), secret)


def test_another_browsers_secret_does_not_match() -> None:
    """A cookie of another browser (another secret) does not."""
    assert not binding.matches(binding.digest(binding.new_secret()), binding.new_secret())


def test_a_flow_without_a_browser_matches_nothing() -> None:
    """A hop nobody opened (no digest), or a request without the cookie, never matches."""
    secret = binding.new_secret()
    assert not binding.matches("", secret)
    assert not binding.matches(None, secret)
    assert not binding.matches(binding.digest(secret), None)
    assert not binding.matches(binding.digest(""), "")


def test_calsync_stores_a_digest_not_the_secret() -> None:
    """Firestore holds a SHA-256 digest that does not contain the cookie's value."""
    secret = binding.new_secret()
    stored = binding.digest(secret)
    assert len(stored) == 64
    assert secret not in stored
    assert len(secret) >= 43  # 256 bits


def test_the_cookie_is_a_host_cookie_for_top_level_returns() -> None:
    """__Host- prefix, Secure, HttpOnly, Path=/, no Domain; SameSite=Lax so Google's
    top-level redirect back to /callback carries it."""
    name = binding.cookie_name("ab" * 32)
    header = binding.set_cookie(name, "s3cret", 600)
    attributes = [part.strip() for part in header.split(";")]
    assert attributes[0] == f"{name}=s3cret"
    assert name.startswith("__Host-")
    assert set(attributes[1:]) == {"Max-Age=600", "Path=/", "Secure", "HttpOnly", "SameSite=Lax"}


def test_each_flow_has_its_own_cookie_and_its_end_clears_it() -> None:
    """Two flows in one browser do not overwrite each other's cookie; clearing keeps the
    attributes a __Host- cookie must have."""
    assert binding.cookie_name("a" * 64) != binding.cookie_name("b" * 64)
    cleared = binding.clear_cookie(binding.cookie_name("a" * 64))
    assert "=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax" in cleared

"""Signed tokens, HMAC helpers, encryption at rest, rate limits."""

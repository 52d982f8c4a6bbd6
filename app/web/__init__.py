"""Shared web plumbing: dependencies, templating, CSRF, security headers, i18n, the app shell."""

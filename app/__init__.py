"""Hamkar: webmail and groupware in front of an organization's IMAP/SMTP server."""

__version__ = "0.1.0"

"""Authentication: login by IMAP, server-side web sessions, login throttling."""

"""Contacts: the contacts domain of Hamkar (see DESIGN.md)."""

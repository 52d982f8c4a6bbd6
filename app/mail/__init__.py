"""Mail: the mail domain of Hamkar (see DESIGN.md)."""

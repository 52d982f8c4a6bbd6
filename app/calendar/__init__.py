"""Calendar: the calendar domain of Hamkar (see DESIGN.md)."""

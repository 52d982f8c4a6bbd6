"""Tasks: the tasks domain of Hamkar (see DESIGN.md)."""

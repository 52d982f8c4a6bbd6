"""Files: the files domain of Hamkar (see DESIGN.md)."""

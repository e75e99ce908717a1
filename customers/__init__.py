"""Customer master data: the group's customers and their credit profile, owned by no partner."""

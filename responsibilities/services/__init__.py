"""Every write to scenarios and responsibility maps, plus validation, diff and dry-run."""

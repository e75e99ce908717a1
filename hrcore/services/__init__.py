"""Every write to the organisation and the notification/outbox plumbing, one module per concern."""

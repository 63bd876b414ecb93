"""Delivery: an outbox of webhooks, Slack messages and e-mails, sent with retries; alerts."""

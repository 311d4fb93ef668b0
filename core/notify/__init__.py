"""Notifications that leave StoreChat: email to the team and to shoppers, and
a Slack-compatible webhook. Each is a delivery row sent by an RQ job with
retries (core/notify/deliveries.py)."""

"""Conversations, messages and their live delivery."""

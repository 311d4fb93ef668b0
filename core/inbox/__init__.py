"""What the shop's team sees of its conversations: lists, one conversation
in full, read state, notes and canned replies (the admin's inbox reads these;
the agent socket carries the live changes)."""

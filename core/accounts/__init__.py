"""A shop's team: users, their passwords, sign-in links and sign-in throttling."""

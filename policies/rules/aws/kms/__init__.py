"""Rules for this resource family."""

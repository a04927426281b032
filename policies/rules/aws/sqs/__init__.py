"""SQS rules."""
